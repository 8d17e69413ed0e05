import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { runConformance } from '../support/conformance.js';
import type { TestBackend } from '../support/backend.js';
import { registerConformanceRest } from './conformance-rest.js';

/**
 * The official conformance suite's 2026-07-28 server requirements (v0.2.0-alpha.12, Node 22 via npx)
 * against an HTTP-to-MCP server whose tools are REST calls (conformance-rest.ts). Scenarios that need
 * prompts, resources, completions, progress or multi-round-trip tools are not something a REST-backed
 * server offers; they run against the direct proxy's fixtures instead.
 */

/** Scenarios an HTTP-to-MCP server passes on their substance (not because a probe tool is missing). */
const MUST_PASS = [
  'tools-list',
  'tools-call-simple-text',
  'tools-call-image',
  'tools-call-audio',
  'tools-call-error',
  'server-sse-multiple-streams',
  'resources-list',
  'prompts-list',
  'sep-2164-resource-not-found',
  'dns-rebinding-protection',
  'caching',
  'http-header-validation',
  'http-custom-header-server-validation',
];
/** server-stateless checks that need a tool asking the client for sampling, which REST tools never do. */
const STATELESS_NOT_APPLICABLE = ['sep-2575-server-rejects-undeclared-capability', 'sep-2575-missing-capability-http-400'];

function npx(command: string, cwd: string, timeoutMs: number) {
  return runConformance('0.2.0-alpha.12', command, cwd, timeoutMs);
}

/** Scenario name -> its checks, from the suite's output directory. */
function checksByScenario(dir: string): Map<string, Array<{ id: string; status: string; errorMessage?: string }>> {
  const out = new Map<string, Array<{ id: string; status: string; errorMessage?: string }>>();
  for (const entry of fs.readdirSync(dir)) {
    const m = /^server-(.+)-\d{4}-\d{2}-\d{2}T/.exec(entry);
    const file = path.join(dir, entry, 'checks.json');
    if (m && fs.existsSync(file)) out.set(m[1], JSON.parse(fs.readFileSync(file, 'utf8')));
  }
  return out;
}

let unavailable: string | undefined;
let work: string;
let gw: TestGateway;
let backend: TestBackend;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-conformance26-'));
  const probe = await npx('conformance list --requirements 2026-07-28', work, 180_000);
  if (probe.code !== 0 || !probe.out.includes('server-stateless')) {
    unavailable = `node@22 or @modelcontextprotocol/conformance@0.2.0-alpha.12 could not be fetched with npx (exit ${probe.code}): ${probe.out.trim().split('\n').slice(-3).join(' | ')}`;
    return;
  }
  gw = await startGateway();
  backend = await registerConformanceRest(gw);
}, 200_000);

afterAll(async () => {
  await gw?.stop();
  await backend?.close();
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('MCP conformance 2026-07-28 against an HTTP-to-MCP server', () => {
  it('passes the 2026-07-28 scenarios a REST-backed server can serve', async (ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const outDir = path.join(work, 'results');
    // The dns-rebinding scenario needs a localhost URL.
    const url = `${gw.dataUrl.replace('127.0.0.1', 'localhost')}/mcp-servers/conformance-rest`;
    const run = await npx(`conformance server --url ${url} --requirements 2026-07-28 -o ${outDir}`, work, 300_000);
    const checks = checksByScenario(outDir);
    expect(checks.size, run.out.slice(-2000)).toBeGreaterThan(30);
    const failing = (name: string) => (checks.get(name) ?? [{ id: 'not run', status: 'FAILURE' }]).filter((c) => c.status === 'FAILURE').map((c) => `${name}/${c.id}: ${c.errorMessage ?? ''}`);
    expect(MUST_PASS.flatMap(failing)).toEqual([]);
    const stateless = checks.get('server-stateless') ?? [];
    expect(stateless.length).toBeGreaterThan(20);
    expect(failing('server-stateless').map((f) => f.split(':')[0].split('/')[1]).sort()).toEqual([...STATELESS_NOT_APPLICABLE].sort());
    // The list_changed check must have really seen a notification (it is only a warning when missed).
    expect(stateless.find((c) => c.id === 'sep-2575-server-sends-tools-list-changed-on-subscription')?.status).toBe('SUCCESS');
  }, 400_000);
});
