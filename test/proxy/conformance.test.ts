import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { runConformance, scenarioSummary } from '../support/conformance.js';
import { registerProxy } from './support.js';
import { startConformanceFixture, type ConformanceFixture } from './conformance-fixture.js';

/**
 * The official MCP conformance suite (server scenarios, v0.1.16, run under Node 22 via npx)
 * against our SDK-based fixture: directly, and through the gateway's direct proxy at
 * /mcp-servers/{name} and /mcp-servers/{name}/mcp (Streamable backend) and at /mcp-servers/{name}
 * for the same fixture reached over HTTP+SSE (bridged).
 */
const ACTIVE_SCENARIOS = 30;

function npx(command: string, cwd: string, timeoutMs: number) {
  return runConformance('0.1.16', command, cwd, timeoutMs);
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
  const s = scenarioSummary(r.out);
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
