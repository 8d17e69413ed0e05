import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startEverything, type RunningServer } from '../proxy/support.js';
import { EVERYTHING, registerStdio } from './support.js';

/**
 * The official MCP conformance suite (server scenarios, v0.1.16, Node 22 via npx) against
 * server-everything run over stdio by the gateway (per-session and shared), compared with the same
 * server over its own Streamable HTTP mode in the same run: the gateway must pass every scenario the
 * server passes over HTTP.
 */
const SUITE = ['-y', '-p', 'node@22', '-p', '@modelcontextprotocol/conformance@0.1.16', '-c'];

function npx(command: string, cwd: string, timeoutMs: number): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('npx', [...SUITE, command], { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

/** Scenario name -> passed, from the suite's summary. */
function summary(out: string): Map<string, boolean> {
  const result = new Map<string, boolean>();
  const tail = out.slice(out.indexOf('=== SUMMARY ==='));
  for (const m of tail.matchAll(/^([✓✗]) ([a-z0-9-]+): (\d+) passed, (\d+) failed/gm)) result.set(m[2], m[1] === '✓' && m[4] === '0');
  return result;
}

let unavailable: string | undefined;
let work: string;
let http: RunningServer;
let gw: TestGateway;
let direct: Map<string, boolean>;

async function runSuite(url: string): Promise<Map<string, boolean>> {
  const r = await npx(`conformance server --url ${url}`, work, 400_000);
  const s = summary(r.out);
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
