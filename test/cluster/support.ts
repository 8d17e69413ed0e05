import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { Redis } from 'ioredis';
import { REPO_ROOT } from '../support/paths.js';
import { freePort } from '../proxy/support.js';

/** The machine's PostgreSQL (trust auth) and Redis; override to run elsewhere. */
export const PG_URL = process.env.MCPGW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const REDIS_URL = process.env.MCPGW_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
export const ADMIN_TOKEN = 'cluster-admin-token';

export function tag(): string {
  return `${process.pid.toString(36)}${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
}

/** Removes every key a test run wrote under its prefix (never anything else). */
export async function dropRedisPrefix(prefix: string, url = REDIS_URL): Promise<void> {
  const redis = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
      if (keys.length) await redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
  } finally {
    redis.disconnect();
  }
}

/** A fresh database for one test run; drop() removes it (after every replica let go of it). */
export async function freshDatabase(): Promise<{ url: string; name: string; drop(): Promise<void> }> {
  const name = `mcpgw_cluster_${tag()}`;
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = new URL(PG_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const c = new pg.Client({ connectionString: PG_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface Replica {
  dataUrl: string;
  adminUrl: string;
  child: ChildProcess;
  output(): string;
  admin(method: string, p: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** kill -9 */
  kill(): Promise<void>;
  stop(): Promise<void>;
}

/** One gateway replica as its own process (run from source), so it can be killed with SIGKILL. */
export async function startReplica(env: Record<string, string>): Promise<Replica> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-cluster-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(REPO_ROOT, 'src/cli/main.ts'), 'serve'], {
    cwd: REPO_ROOT,
    env: {
      ...process.env,
      MCPGW_PORT: '0',
      MCPGW_ADMIN_PORT: '0',
      MCPGW_HOST: '127.0.0.1',
      MCPGW_ADMIN_HOST: '127.0.0.1',
      MCPGW_DATA_DIR: dataDir,
      MCPGW_ADMIN_TOKEN: ADMIN_TOKEN,
      MCPGW_LOG_LEVEL: 'warn',
      MCPGW_SEED: 'false',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const match = await new Promise<RegExpMatchArray>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`replica did not start:\n${out}`));
    }, 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(/MCP on http:\/\/[^:]+:(\d+)\/.*console on http:\/\/[^:]+:(\d+)\//);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`replica exited with ${code}:\n${out}`));
    });
  });
  const dataUrl = `http://127.0.0.1:${match[1]}`;
  const adminUrl = `http://127.0.0.1:${match[2]}`;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  return {
    dataUrl,
    adminUrl,
    child,
    output: () => out,
    async admin(method, p, body) {
      const res = await fetch(`${adminUrl}${p}`, {
        method,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed };
    },
    kill: () => end('SIGKILL'),
    stop: () => end('SIGTERM'),
  };
}

/** A redis-server of this test alone, on a random port, that the test may stop and restart. */
export async function startOwnRedis(port?: number): Promise<{ url: string; port: number; stop(): Promise<void> }> {
  const p = port ?? (await freePort());
  const child = spawn('redis-server', ['--port', String(p), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server did not start:\n${out}`)), 10_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (/Ready to accept connections/.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}:\n${out}`));
    });
  });
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    url: `redis://127.0.0.1:${p}`,
    port: p,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** A TCP relay to a server that the test can cut and restore (PostgreSQL "briefly unavailable"). */
export async function startTcpCut(targetPort: number): Promise<{ port: number; cut(): Promise<void>; restore(): Promise<void>; close(): Promise<void> }> {
  const port = await freePort();
  const sockets = new Set<net.Socket>();
  let server: net.Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = net.createServer((client) => {
        const upstream = net.connect(targetPort, '127.0.0.1');
        sockets.add(client);
        sockets.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          sockets.delete(client);
          sockets.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream).pipe(client);
      });
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      sockets.clear();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return { port, cut, restore: listen, close: cut };
}

export interface CountingBackend {
  address: string;
  /** Executions per call key. */
  executions: Map<string, number>;
  close(): Promise<void>;
}

/** A REST backend whose /work records how often each key was executed (for "no call runs twice"). */
export async function startCountingBackend(delayMs = 0): Promise<CountingBackend> {
  const executions = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let key = '';
      try {
        key = String((JSON.parse(Buffer.concat(chunks).toString() || '{}') as { key?: string }).key ?? '');
      } catch {
        // no key
      }
      const n = (executions.get(key) ?? 0) + 1;
      executions.set(key, n);
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ key, execution: n }));
      }, delayMs);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as net.AddressInfo;
  return {
    address: `127.0.0.1:${port}`,
    executions,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const WORK_TOOLS = `server:
  name: work
tools:
  - name: work
    description: does one unit of work, once per key
    args:
      - name: key
        type: string
        required: true
    requestTemplate:
      url: /work
      method: POST
      argsToJsonBody: true
`;

/** A fetch that sends each request to the next replica in turn (a round-robin load balancer). */
export function rotatingFetch(bases: () => string[], log?: string[]): typeof fetch {
  let i = 0;
  return (input, init) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const all = bases();
    const base = new URL(all[i++ % all.length]);
    url.host = base.host;
    log?.push(`${init?.method ?? 'GET'} ${url.host}`);
    return fetch(url, init);
  };
}

export async function waitFor<T>(probe: () => Promise<T | undefined | false>, timeoutMs: number, stepMs = 20): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/** One JSON-RPC POST to a Streamable HTTP endpoint; returns status, session header and the parsed answer. */
export async function rpc(url: string, body: unknown, headers: Record<string, string> = {}): Promise<{ status: number; sid: string | null; body: any }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: any = text;
  if (text.startsWith('event:') || text.startsWith('data:') || text.startsWith(':')) {
    const line = text.split('\n').find((l) => l.startsWith('data: '));
    parsed = line ? JSON.parse(line.slice(6)) : undefined;
  } else if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      // keep text
    }
  }
  return { status: res.status, sid: res.headers.get('mcp-session-id'), body: parsed };
}

export const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'cluster-test', version: '1' } } };
