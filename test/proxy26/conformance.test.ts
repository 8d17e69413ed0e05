import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { runConformance, scenarioSummary } from '../support/conformance.js';
import { registerProxy } from '../proxy/support.js';
import { startConformanceFixture, type ConformanceFixture } from '../proxy/conformance-fixture.js';
import { startStatelessUpstream, type StatelessUpstream } from './stateless-upstream.js';

/**
 * The conformance suite's 2026-07-28 server scenarios (v0.2.0-alpha.12, Node 22 via npx) through
 * direct proxies: (1) to the initialize-based SDK fixture, every request bridged by the gateway
 * (stateless client, legacy backend; the fixture has the tools of the shared scenarios, not the
 * 2026-only diagnostic tools test_missing_capability and test_trigger_*_change); (2) to the
 * stateless test upstream (which implements the input_required scenarios), passed through, compared
 * with the same upstream reached directly.
 */
const ACTIVE_2026_SCENARIOS = 20;
/** server-stateless checks that need a diagnostic tool an initialize-based backend cannot have. */
const NEEDS_STATELESS_BACKEND = new Set(['sep-2575-server-rejects-undeclared-capability', 'sep-2575-missing-capability-http-400', 'sep-2575-server-sends-prompts-list-changed-on-subscription', 'sep-2575-server-sends-tools-list-changed-on-subscription']);

function npx(command: string, cwd: string, timeoutMs: number) {
  return runConformance('0.2.0-alpha.12', command, cwd, timeoutMs);
}

/** Check id -> status from a `--verbose` run of one scenario. */
function checks(out: string): Map<string, string> {
  const start = out.indexOf('\n[') + 1;
  // the JSON array is followed by the suite's own text: parse up to the first `]` line that closes it
  let list: Array<{ id: string; status: string }> | undefined;
  for (let end = out.indexOf('\n]', start); end !== -1 && !list; end = out.indexOf('\n]', end + 1)) {
    try {
      list = JSON.parse(out.slice(start, end + 2));
    } catch {
      // not the closing bracket yet
    }
  }
  if (!list) throw new Error(`no check list in the suite output:\n${out.slice(-1000)}`);
  const result = new Map<string, string>();
  for (const c of list) if (result.get(c.id) !== 'FAILURE') result.set(c.id, c.status);
  return result;
}

let unavailable: string | undefined;
let work: string;
let fixture: ConformanceFixture;
let gw: TestGateway;
let url: string;
let stateless: StatelessUpstream;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-conformance26-'));
  const probe = await npx('conformance list', work, 180_000);
  if (probe.code !== 0 || !probe.out.includes('server-stateless')) {
    unavailable = `node@22 or @modelcontextprotocol/conformance@0.2.0-alpha.12 could not be fetched with npx (exit ${probe.code}): ${probe.out.trim().split('\n').slice(-3).join(' | ')}`;
    return;
  }
  fixture = await startConformanceFixture();
  gw = await startGateway();
  await registerProxy(gw, 'fx26', `127.0.0.1:${fixture.port}`, 'streamable-http', '/mcp');
  url = `${gw.dataUrl}/mcp-servers/fx26`;
  stateless = await startStatelessUpstream();
  await registerProxy(gw, 'st26', stateless.address, 'streamable-http', '/mcp');
}, 200_000);

afterAll(async () => {
  await gw?.stop();
  await fixture?.close();
  await stateless?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('MCP conformance 2026-07-28 through the direct proxy (stateless client, initialize-based backend)', () => {
  it('passes every active 2026-07-28 server scenario', { timeout: 300_000 }, async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const r = await npx(`conformance server --url ${url} --spec-version 2026-07-28`, work, 280_000);
    const s = scenarioSummary(r.out);
    expect(s.size, r.out.slice(-2000)).toBe(ACTIVE_2026_SCENARIOS);
    expect([...s].filter(([, ok]) => !ok).map(([n]) => n)).toEqual([]);
  });

  it('passes the stateless-protocol and header-validation checks the bridge answers for the backend', { timeout: 200_000 }, async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    for (const scenario of ['server-stateless', 'http-header-validation']) {
      const r = await npx(`conformance server --url ${url} --scenario ${scenario} --spec-version 2026-07-28 --verbose`, work, 120_000);
      const failed = [...checks(r.out)].filter(([id, status]) => status === 'FAILURE' && !NEEDS_STATELESS_BACKEND.has(id)).map(([id]) => id);
      expect(failed, scenario).toEqual([]);
      if (scenario === 'server-stateless') expect(checks(r.out).get('sep-2575-server-unsupported-version-error')).toBe('SUCCESS');
    }
  });
});

describe('MCP conformance 2026-07-28 through the direct proxy (stateless client, stateless backend)', () => {
  it('passes every input_required scenario, and every scenario the upstream passes directly', { timeout: 600_000 }, async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const direct = scenarioSummary((await npx(`conformance server --url ${stateless.url} --requirements 2026-07-28`, work, 280_000)).out);
    const through = scenarioSummary((await npx(`conformance server --url ${gw.dataUrl}/mcp-servers/st26 --requirements 2026-07-28`, work, 280_000)).out);
    const mrtr = [...through.keys()].filter((n) => n.startsWith('input-required-result-'));
    expect(mrtr.length).toBe(14);
    expect(mrtr.filter((n) => !through.get(n))).toEqual([]);
    expect([...direct].filter(([n, ok]) => ok && !through.get(n)).map(([n]) => n)).toEqual([]);
  });
});
