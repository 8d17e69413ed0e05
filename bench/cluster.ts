import { randomBytes } from 'node:crypto';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { fmt, load, ROOT, startChild, tmpDir, type LoadResult } from './support.js';

/**
 * Scenario `cluster`: three gateway processes sharing a PostgreSQL database made for the run and
 * Redis under a prefix of the run.
 * - Change propagation: a server PUT through replica 1's admin API, timed until replicas 2 and 3
 *   answer initialize on it; the reference is the time until replica 1 itself serves it.
 * - Throughput: tools/call on one Streamable HTTP session against one replica, then against two
 *   replicas at once (the same session id on both); the ratio is two over one.
 * MCPGW_BENCH_DATABASE_URL, MCPGW_BENCH_REDIS_URL, MCPGW_BENCH_CHANGES and MCPGW_BENCH_SECONDS override.
 */

const PG_URL = process.env.MCPGW_BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const REDIS_URL = process.env.MCPGW_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOOLS = (name: string) => `server:\n  name: ${name}\ntools:\n  - name: hello\n    description: says hello\n    responseTemplate: { body: hello }\n`;
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
const CALL = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'hello', arguments: {} } });
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

async function serves(base: string, name: string): Promise<boolean> {
  try {
    const res = await fetch(`${base}/mcp-servers/${name}`, { method: 'POST', headers: HEADERS, body: INIT });
    await res.arrayBuffer();
    return res.status === 200;
  } catch {
    return false;
  }
}

/** Milliseconds from `start` until `base` serves the server. */
async function until(base: string, name: string, start: number): Promise<number> {
  for (;;) {
    if (await serves(base, name)) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 2));
  }
}

export async function run(): Promise<void> {
  const dbName = `mcpgw_bench_${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
  const prefix = `mcpgw-bench:${dbName}:`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${dbName}"`);
  const dbUrl = new URL(PG_URL);
  dbUrl.pathname = `/${dbName}`;
  const env = {
    MCPGW_PORT: '0', MCPGW_ADMIN_PORT: '0', MCPGW_HOST: '127.0.0.1', MCPGW_ADMIN_TOKEN: 'bench', MCPGW_LOG_LEVEL: 'warn', MCPGW_SEED: 'false',
    MCPGW_DATABASE_URL: dbUrl.toString(), MCPGW_REDIS_URL: REDIS_URL, MCPGW_REDIS_PREFIX: prefix, MCPGW_SECRET_KEY: randomBytes(32).toString('base64'),
  };
  const ready = /MCP on http:\/\/[^:]+:(\d+)\/.*console on http:\/\/[^:]+:(\d+)\//;
  const replicas = await Promise.all([0, 1, 2].map(() => startChild(path.join(ROOT, 'src/cli/main.ts'), ['serve'], { ...env, MCPGW_DATA_DIR: tmpDir() }, ready)));
  const data = replicas.map((r) => `http://127.0.0.1:${r.match[1]}`);
  const adminUrl = `http://127.0.0.1:${replicas[0].match[2]}`;
  const put = (name: string) =>
    fetch(`${adminUrl}/api/v1/mcp-servers/${name}`, { method: 'PUT', headers: { authorization: 'Bearer bench', 'content-type': 'application/json' }, body: JSON.stringify({ type: 'http-to-mcp', description: 'bench', tools: TOOLS(name) }) }).then(async (r) => {
      await r.arrayBuffer();
      if (r.status >= 300) throw new Error(`PUT ${name}: HTTP ${r.status}`);
    });
  try {
    const changes = Number(process.env.MCPGW_BENCH_CHANGES ?? 40);
    const local: number[] = [];
    const remote: number[] = [];
    for (let i = 0; i < changes; i++) {
      const name = `change-${i}`;
      const start = performance.now();
      await put(name);
      const [own, second, third] = await Promise.all(data.map((base) => until(base, name, start)));
      local.push(own);
      remote.push(Math.max(second, third));
    }
    local.sort((a, b) => a - b);
    remote.sort((a, b) => a - b);
    process.stdout.write(`change propagation over ${changes} changes (PUT on replica 1 until served):\n`);
    process.stdout.write(`  replica 1 itself (reference): median ${fmt(percentile(local, 50), 1)} ms, p99 ${fmt(percentile(local, 99), 1)} ms\n`);
    process.stdout.write(`  replicas 2 and 3 (both):      median ${fmt(percentile(remote, 50), 1)} ms, p99 ${fmt(percentile(remote, 99), 1)} ms (${fmt(percentile(remote, 50) / percentile(local, 50))}x the reference median)\n`);

    await put('hot');
    await Promise.all(data.map((base) => until(base, 'hot', performance.now())));
    const init = await fetch(`${data[0]}/mcp-servers/hot`, { method: 'POST', headers: HEADERS, body: INIT });
    await init.arrayBuffer();
    const sid = init.headers.get('mcp-session-id')!;
    const seconds = Number(process.env.MCPGW_BENCH_SECONDS ?? 10);
    const opts = (base: string, connections: number) => ({ url: `${base}/mcp-servers/hot`, method: 'POST' as const, headers: { ...HEADERS, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' }, body: CALL, connections, duration: seconds });
    const one = await load(opts(data[0], 32));
    const pair: LoadResult[] = await Promise.all([load(opts(data[0], 16)), load(opts(data[1], 16))]);
    const twoRps = pair[0].rps + pair[1].rps;
    process.stdout.write(`throughput, tools/call on one session (32 connections, ${seconds} s, load generator on the same machine):\n`);
    process.stdout.write(`  1 replica : ${fmt(one.rps, 0)} req/s, p99 ${one.p99} ms, errors ${one.errors + one.non2xx}\n`);
    process.stdout.write(`  2 replicas: ${fmt(twoRps, 0)} req/s, p99 ${Math.max(pair[0].p99, pair[1].p99)} ms, errors ${pair[0].errors + pair[0].non2xx + pair[1].errors + pair[1].non2xx} (${fmt(twoRps / one.rps)}x one replica)\n`);
  } finally {
    for (const r of replicas) r.child.kill('SIGTERM');
    await Promise.all(replicas.map((r) => new Promise((res) => (r.child.exitCode !== null ? res(undefined) : r.child.once('exit', res)))));
    await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
    await admin.end();
    const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    redis.disconnect();
  }
}
