import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { runConformance, scenarioSummary } from '../support/conformance.js';
import { startEverything, type RunningServer } from '../proxy/support.js';
import { EVERYTHING, registerStdio } from './support.js';

/**
 * The official MCP conformance suite (server scenarios, v0.1.16, Node 22 via npx) against
 * server-everything run over stdio by the gateway (per-session and shared), compared with the same
 * server over its own Streamable HTTP mode in the same run: the gateway must pass every scenario the
 * server passes over HTTP.
 */

function npx(command: string, cwd: string, timeoutMs: number) {
  return runConformance('0.1.16', command, cwd, timeoutMs);
}

let unavailable: string | undefined;
let work: string;
let http: RunningServer;
let gw: TestGateway;
let direct: Map<string, boolean>;

async function runSuite(url: string): Promise<Map<string, boolean>> {
  const r = await npx(`conformance server --url ${url}`, work, 400_000);
  const s = scenarioSummary(r.out);
  if (s.size === 0) throw new Error(`the conformance suite printed no summary (exit ${r.code}):\n${r.out.slice(-2000)}`);
  return s;
}

const passed = (s: Map<string, boolean>) => [...s.values()].filter(Boolean).length;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-stdio-conformance-'));
  const probe = await npx('conformance list', work, 180_000);
  if (probe.code !== 0 || !probe.out.includes('server-initialize')) {
    unavailable = `node@22 or @modelcontextprotocol/conformance@0.1.16 could not be fetched with npx (exit ${probe.code}): ${probe.out.trim().split('\n').slice(-3).join(' | ')}`;
    return;
  }
  [http, gw] = await Promise.all([startEverything('streamableHttp'), startGateway()]);
  await registerStdio(gw, 'ev-stdio', { command: process.execPath, args: [EVERYTHING, 'stdio'] });
  await registerStdio(gw, 'ev-stdio-shared', { command: process.execPath, args: [EVERYTHING, 'stdio'], mode: 'shared' });
  direct = await runSuite(`http://localhost:${http.port}/mcp`);
}, 600_000);

afterAll(async () => {
  await gw?.stop();
  await http?.stop();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('MCP conformance suite through a stdio server', () => {
  it.for<[string, string]>([
    ['per-session', 'ev-stdio'],
    ['shared', 'ev-stdio-shared'],
  ])('server-everything over stdio (%s) passes every scenario it passes over its own HTTP', { timeout: 600_000 }, async ([mode, server], ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const through = await runSuite(`${gw.dataUrl}/mcp-servers/${server}`);
    const gained = [...through].filter(([name, ok]) => ok && !direct.get(name)).map(([name]) => name);
    console.log(`conformance 0.1.16: server-everything over HTTP ${passed(direct)}/${direct.size}; over stdio through the gateway (${mode}) ${passed(through)}/${through.size}; passing only through stdio: ${gained.join(', ') || 'none'}`);
    expect(through.size).toBe(direct.size);
    const lost = [...direct].filter(([name, ok]) => ok && !through.get(name)).map(([name]) => name);
    expect(lost).toEqual([]);
    expect(passed(through)).toBeGreaterThanOrEqual(passed(direct));
  });
});
