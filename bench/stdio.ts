import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fmt, load, startChild, tmpDir, ROOT, type LoadResult } from './support.js';

/**
 * Scenario `stdio`: tools/call (echo) through the gateway to a stdio MCP server (bench/stdio-echo.mjs),
 * `per-session` (one process per session) vs `shared` (one process, ids remapped), against the
 * same echo process driven directly over its pipes with the same concurrency, in the same run.
 * A second reference: the gateway's direct proxy to an HTTP echo backend (bench/proxy.ts's), same
 * run, so the cost of the stdio path is seen next to the HTTP one. Also the resident memory of each
 * echo process and of the gateway.
 */

const ECHO = path.join(ROOT, 'bench/stdio-echo.mjs');
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } };
const CALL = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hello' } } });
const CONCURRENCY = 32;
const SESSIONS = 32;
const SECONDS = Number(process.env.MCPGW_BENCH_SECONDS ?? 10);

/** Resident set size of a process, in KiB (from /proc). */
function rssKiB(pid: number): number {
  const m = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m);
  return m ? Number(m[1]) : 0;
}

/** Child processes of `parent` running the echo server. */
function echoProcesses(parent: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== parent) continue;
      if (fs.readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(ECHO)) out.push(Number(e));
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** The reference: the echo process over its own pipes, `CONCURRENCY` calls in flight, for `SECONDS`. */
async function direct(): Promise<{ rps: number; rssKiB: number }> {
  const child = spawn(process.execPath, [ECHO], { stdio: ['pipe', 'pipe', 'ignore'] });
  const lines = createInterface({ input: child.stdout! });
  let done = 0;
  let nextId = 10;
  let measuring = false;
  const send = () => child.stdin!.write(`${CALL.replace('"id":2', `"id":${nextId++}`)}\n`);
  await new Promise<void>((resolve) => {
    lines.once('line', () => resolve());
    child.stdin!.write(`${JSON.stringify(INIT)}\n`);
  });
  lines.on('line', (l) => {
    if (!l.includes('"hello"')) throw new Error(`unexpected answer: ${l.slice(0, 200)}`);
    if (measuring) done++;
    send();
  });
  for (let i = 0; i < CONCURRENCY; i++) send();
  await new Promise((r) => setTimeout(r, 2000));
  measuring = true;
  const t0 = process.hrtime.bigint();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const rps = done / seconds;
  const rss = rssKiB(child.pid!);
  lines.removeAllListeners('line');
  child.stdin!.on('error', () => undefined);
  child.kill('SIGKILL');
  return { rps, rssKiB: rss };
}

async function initSession(url: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: HEADERS, body: JSON.stringify(INIT) });
  await res.text();
  const sid = res.headers.get('mcp-session-id');
  if (!sid) throw new Error(`no session id from ${url} (HTTP ${res.status})`);
  const check = await (await fetch(url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': sid }, body: CALL })).text();
  if (!check.includes('"text":"hello"')) throw new Error(`unexpected echo from ${url}: ${check.slice(0, 200)}`);
  return sid;
}

/** autocannon over `sids`, each connection on its own session (round robin). */
function loadSessions(url: string, sids: string[], duration: number): Promise<LoadResult> {
  let i = 0;
  return load({
    url,
    method: 'POST',
    body: CALL,
    connections: CONCURRENCY,
    duration,
    setupClient: (client) => client.setHeaders({ ...HEADERS, 'mcp-session-id': sids[i++ % sids.length] }),
  });
}

export async function run(): Promise<void> {
  const backend = await startChild(path.join(ROOT, 'bench/proxy.ts'), [], { MCPGW_BENCH_ROLE: 'proxy-backend' }, /listening (\d+)/);
  const dir = tmpDir();
  const config = path.join(dir, 'bench.yaml');
  fs.writeFileSync(
    config,
    [
      'services:',
      `  - { name: echo-own, protocol: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(ECHO)}], mode: per-session }`,
      `  - { name: echo-shared, protocol: stdio, command: ${JSON.stringify(process.execPath)}, args: [${JSON.stringify(ECHO)}], mode: shared }`,
      `  - { name: echo-http, protocol: mcp, endpoints: ["127.0.0.1:${backend.match[1]}"] }`,
      'mcpServers:',
      '  - { name: http, type: direct-proxy, description: benchmark, service: echo-http, transport: streamable-http, path: /mcp }',
      '  - { name: own, type: direct-proxy, description: benchmark, service: echo-own }',
      '  - { name: shared, type: direct-proxy, description: benchmark, service: echo-shared }',
      '',
    ].join('\n'),
  );
  const gw = await startChild(path.join(ROOT, 'src/cli/main.ts'), ['serve'], {
    MCPGW_PORT: '0', MCPGW_ADMIN_PORT: '0', MCPGW_HOST: '127.0.0.1', MCPGW_DATA_DIR: dir, MCPGW_CONFIG: config,
    MCPGW_ADMIN_TOKEN: 'bench', MCPGW_LOG_LEVEL: 'warn', MCPGW_SEED: 'false', MCPGW_ACCESS_LOG: 'false',
  }, /MCP on http:\/\/[^:]+:(\d+)/);
  const gwPid = gw.child.pid!;
  const base = `http://127.0.0.1:${gw.match[1]}/mcp-servers`;
  try {
    process.stdout.write(`${CONCURRENCY} calls in flight, ${SECONDS} s each; gateway RSS at start ${fmt(rssKiB(gwPid) / 1024, 1)} MiB\n`);
    const ref = await direct();
    process.stdout.write(`${'direct over pipes'.padEnd(34)}: ${fmt(ref.rps, 0)} calls/s  (echo process RSS ${fmt(ref.rssKiB / 1024, 1)} MiB)\n`);

    const rows: Array<{ label: string; url: string; sids: string[] }> = [];
    const http: string[] = [];
    for (let i = 0; i < SESSIONS; i++) http.push(await initSession(`${base}/http`));
    rows.push({ label: `HTTP backend, ${SESSIONS} sessions`, url: `${base}/http`, sids: http });
    rows.push({ label: 'per-session, 1 session', url: `${base}/own`, sids: [await initSession(`${base}/own`)] });
    const own: string[] = [];
    for (let i = 0; i < SESSIONS; i++) own.push(await initSession(`${base}/own`));
    rows.push({ label: `per-session, ${SESSIONS} sessions`, url: `${base}/own`, sids: own });
    const shared: string[] = [];
    for (let i = 0; i < SESSIONS; i++) shared.push(await initSession(`${base}/shared`));
    rows.push({ label: `shared, ${SESSIONS} sessions`, url: `${base}/shared`, sids: shared });

    const processes = echoProcesses(gwPid);
    const rss = processes.map(rssKiB);
    process.stdout.write(`echo processes under the gateway: ${processes.length} (expected ${1 + SESSIONS + 1}); RSS per process ${fmt(rss.reduce((a, b) => a + b, 0) / rss.length / 1024, 1)} MiB; gateway RSS ${fmt(rssKiB(gwPid) / 1024, 1)} MiB\n`);

    const results: Array<{ label: string; rps: number }> = [];
    for (const row of rows) {
      await loadSessions(row.url, row.sids, 2);
      const r = await loadSessions(row.url, row.sids, SECONDS);
      results.push({ label: row.label, rps: r.rps });
      process.stdout.write(`${`through gateway, ${row.label}`.padEnd(34)}: ${fmt(r.rps, 0)} calls/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors + r.non2xx}  ratio to direct ${fmt(r.rps / ref.rps)}\n`);
    }
    process.stdout.write(`gateway RSS after the runs: ${fmt(rssKiB(gwPid) / 1024, 1)} MiB\n`);
    const byLabel = new Map(results.map((r) => [r.label, r.rps]));
    const httpRps = byLabel.get(`HTTP backend, ${SESSIONS} sessions`)!;
    for (const [label, rps] of byLabel) if (!label.startsWith('HTTP')) process.stdout.write(`ratio ${label} / HTTP backend through the gateway: ${fmt(rps / httpRps)}\n`);
  } finally {
    gw.child.kill('SIGTERM');
    backend.child.kill('SIGTERM');
    await new Promise((r) => gw.child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
