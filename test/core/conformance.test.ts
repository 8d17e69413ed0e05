import { spawn } from 'node:child_process';
import os from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';

/**
 * The official conformance suite (needs Node 22, fetched by npx) against an HTTP-to-MCP server. The
 * scenarios that call the suite's own fixture tools, resources and prompts run against the direct proxy
 * (test/proxy); here run the ones any server must pass.
 */
const SCENARIOS = ['server-initialize', 'ping', 'tools-list', 'server-sse-multiple-streams', 'dns-rebinding-protection'];

function conformance(url: string, scenario: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn('npx', ['-y', '-p', 'node@22', '-p', '@modelcontextprotocol/conformance@0.1.16', '-c', `conformance server --url ${url} --scenario ${scenario}`], { cwd: os.tmpdir(), env: process.env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('official conformance scenarios against an HTTP-to-MCP server', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => gw?.stop());

  it('passes every server scenario that needs no fixture tools', async () => {
    const failures: string[] = [];
    for (const scenario of SCENARIOS) {
      const r = await conformance(`${gw.dataUrl}/mcp-servers/time`, scenario);
      // A single-scenario run ends with "Passed: N/M, F failed, W warnings".
      const m = /Passed: (\d+)\/(\d+), (\d+) failed/.exec(r.out);
      if (!m || Number(m[2]) === 0 || m[1] !== m[2] || m[3] !== '0') failures.push(`${scenario}: ${m ? m[0] : r.out.slice(-400)}`);
    }
    expect(failures).toEqual([]);
  }, 600_000);
});
