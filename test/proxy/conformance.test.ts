import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { registerProxy } from './support.js';
import { startConformanceFixture, type ConformanceFixture } from './conformance-fixture.js';

/**
 * The official MCP conformance suite (server scenarios, v0.1.16, run under Node 22 via npx)
 * against our SDK-based fixture: directly, and through the gateway's direct proxy at
 * /mcp-servers/{name} and /mcp-servers/{name}/mcp (Streamable backend) and at /mcp-servers/{name}
 * for the same fixture reached over HTTP+SSE (bridged).
 */
const SUITE = ['-y', '-p', 'node@22', '-p', '@modelcontextprotocol/conformance@0.1.16', '-c'];
const ACTIVE_SCENARIOS = 30;

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
let fixture: ConformanceFixture;
let gw: TestGateway;
const results = new Map<string, Map<string, boolean>>();

async function runSuite(url: string): Promise<Map<string, boolean>> {
  const cached = results.get(url);
  if (cached) return cached;
  const r = await npx(`conformance server --url ${url}`, work, 240_000);
  const s = summary(r.out);
  if (s.size === 0) throw new Error(`the conformance suite printed no summary (exit ${r.code}):\n${r.out.slice(-2000)}`);
  results.set(url, s);
  return s;
}

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-conformance-'));
  const probe = await npx('conformance list', work, 180_000);
  if (probe.code !== 0 || !probe.out.includes('server-initialize')) {
    unavailable = `node@22 or @modelcontextprotocol/conformance@0.1.16 could not be fetched with npx (exit ${probe.code}): ${probe.out.trim().split('\n').slice(-3).join(' | ')}`;
    return;
  }
  fixture = await startConformanceFixture();
  gw = await startGateway();
  await registerProxy(gw, 'fx-http', `127.0.0.1:${fixture.port}`, 'streamable-http', '/mcp');
  await registerProxy(gw, 'fx-sse', `127.0.0.1:${fixture.port}`, 'sse', '/sse');
}, 200_000);

afterAll(async () => {
  await gw?.stop();
  await fixture?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('MCP conformance suite through the direct proxy', () => {
  it('the fixture passes every active scenario directly', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const direct = await runSuite(`http://localhost:${fixture.port}/mcp`);
    expect(direct.size).toBe(ACTIVE_SCENARIOS);
    expect([...direct].filter(([, ok]) => !ok).map(([n]) => n)).toEqual([]);
  }, 300_000);

  it.for<[string, string, string]>([
    ['/mcp-servers/fx-http (Streamable backend, forwarded)', 'fx-http', ''],
    ['/mcp-servers/fx-http/mcp (Streamable backend, pass-through path)', 'fx-http', '/mcp'],
    ['/mcp-servers/fx-sse (HTTP+SSE backend, bridged)', 'fx-sse', ''],
  ])('all active scenarios pass at %s, never fewer than directly', { timeout: 300_000 }, async ([, server, rest], ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const through = await runSuite(`${gw.dataUrl}/mcp-servers/${server}${rest}`);
    expect(through.size).toBe(ACTIVE_SCENARIOS);
    expect([...through].filter(([, ok]) => !ok).map(([n]) => n)).toEqual([]);
    const direct = await runSuite(`http://localhost:${fixture.port}/mcp`);
    for (const [name, ok] of direct) if (ok) expect(through.get(name), name).toBe(true);
  });
});
