import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { fmt, load, startChild, tmpDir, ROOT, type LoadResult } from './support.js';

/**
 * Scenario `proxy`: a small tools/call (echo) through the gateway's direct proxy versus straight to
 * the backend, and versus Debian's nginx (proxy_pass, proxy_buffering off, keep-alive upstream)
 * when it is installed; same load tool (autocannon), same run. Then the latency the gateway adds
 * at a moderate, fixed rate (one request at a time), measured with an undici client.
 * Targets: gateway >= 0.8 x nginx throughput; added p50 < 0.5 ms.
 */

const SELF = fileURLToPath(import.meta.url);
const HEADERS = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
const INIT = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } });
const CALL = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hello' } } });
/** The same call in protocol 2026-07-28: no session, version and capabilities in `_meta`, routing headers. */
const MODERN = '2026-07-28';
const CALL_2026 = JSON.stringify({
  jsonrpc: '2.0', id: 3, method: 'tools/call',
  params: { name: 'echo', arguments: { message: 'hello' }, _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN, 'io.modelcontextprotocol/clientCapabilities': {} } },
});
const HEADERS_2026 = { ...HEADERS, 'mcp-protocol-version': MODERN, 'mcp-method': 'tools/call', 'mcp-name': 'echo' };

/**
 * The backend: a minimal Streamable HTTP MCP server (JSON answers, one session header), so the
 * proxy's cost is visible. It also answers stateless 2026-07-28 requests (no session), so the same
 * backend serves both protocol generations.
 */
function serveBackend(): void {
  let n = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const msg = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      if (msg.id === undefined) return void res.writeHead(202).end();
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      let result: unknown;
      if (req.headers['mcp-protocol-version'] === MODERN) {
        result = msg.method === 'server/discover'
          ? { resultType: 'complete', supportedVersions: [MODERN, '2025-06-18'], capabilities: { tools: {} }, ttlMs: 60_000, cacheScope: 'public' }
          : { resultType: 'complete', content: [{ type: 'text', text: String(msg.params?.arguments?.message ?? '') }] };
      } else if (msg.method === 'initialize') {
        headers['mcp-session-id'] = `backend-${++n}`;
        result = { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'echo', version: '1' } };
      } else result = { content: [{ type: 'text', text: String(msg.params?.arguments?.message ?? '') }] };
      const text = JSON.stringify({ jsonrpc: '2.0', id: msg.id, result });
      headers['content-length'] = String(Buffer.byteLength(text));
      res.writeHead(200, headers).end(text);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
}

/**
 * The floor of any Node.js proxy on this machine: node:http in, one undici Pool out, nothing else.
 * Shows how much of the gap to nginx is the runtime rather than the gateway.
 */
function serveMinimalProxy(backendPort: number): void {
  const pool = new Pool(`http://127.0.0.1:${backendPort}`, { connections: 256 });
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (req.headers['mcp-session-id']) headers['mcp-session-id'] = String(req.headers['mcp-session-id']);
      const r = await pool.request({ path: '/mcp', method: 'POST', headers, body: Buffer.concat(chunks) });
      const body = Buffer.from(await r.body.arrayBuffer());
      const out: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(body.length) };
      const sid = r.headers['mcp-session-id'];
      if (typeof sid === 'string') out['mcp-session-id'] = sid;
      res.writeHead(r.statusCode, out).end(body);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
}

if (process.env.MCPGW_BENCH_ROLE === 'proxy-backend') serveBackend();
if (process.env.MCPGW_BENCH_ROLE === 'minimal-proxy') serveMinimalProxy(Number(process.env.MCPGW_BENCH_BACKEND_PORT));

/** Starts nginx on a free loopback port in front of the backend, if Debian's nginx is installed. */
async function startNginx(backendPort: number, dir: string): Promise<{ port: number; child: ChildProcess } | undefined> {
  const bin = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => fs.existsSync(p));
  if (!bin) return undefined;
  const port = await new Promise<number>((resolve) => {
    const s = http.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
  const conf = path.join(dir, 'nginx.conf');
  fs.writeFileSync(
    conf,
    [
      'worker_processes 1;',
      'daemon off;',
      `pid ${dir}/nginx.pid;`,
      `error_log ${dir}/nginx-error.log warn;`,
      'events { worker_connections 4096; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
      `  upstream backend { server 127.0.0.1:${backendPort}; keepalive 64; }`,
      '  server {',
      `    listen 127.0.0.1:${port};`,
      '    location / {',
      '      proxy_pass http://backend;',
      '      proxy_http_version 1.1;',
      '      proxy_set_header Connection "";',
      '      proxy_buffering off;',
      '    }',
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const check = spawnSync(bin, ['-t', '-c', conf, '-p', dir, '-e', `${dir}/nginx-error.log`], { encoding: 'utf8' });
  if (check.status !== 0) {
    process.stdout.write(`nginx config rejected, skipping the nginx reference: ${check.stderr.trim()}\n`);
    return undefined;
  }
  const child = spawn(bin, ['-c', conf, '-p', dir, '-e', `${dir}/nginx-error.log`], { stdio: 'ignore' });
  for (let i = 0; i < 50; i++) {
    try {
      await fetch(`http://127.0.0.1:${port}/`, { method: 'GET' }).then((r) => r.arrayBuffer());
      return { port, child };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  child.kill('SIGTERM');
  return undefined;
}

async function initSession(url: string): Promise<string> {
  const res = await fetch(url, { method: 'POST', headers: HEADERS, body: INIT });
  await res.text();
  const sid = res.headers.get('mcp-session-id');
  if (!sid) throw new Error(`no session id from ${url} (HTTP ${res.status})`);
  const check = (await fetch(url, { method: 'POST', headers: { ...HEADERS, 'mcp-session-id': sid }, body: CALL }).then((r) => r.json())) as any;
  if (check.result?.content?.[0]?.text !== 'hello') throw new Error(`unexpected echo from ${url}: ${JSON.stringify(check)}`);
  return sid;
}

/** One request at a time for `count` requests: per-request latency in microseconds. */
async function sequentialLatency(url: string, sid: string, count: number): Promise<{ p50: number; p99: number }> {
  const u = new URL(url);
  const pool = new Pool(u.origin, { connections: 1 });
  const samples: number[] = [];
  try {
    for (let i = 0; i < count; i++) {
      const t0 = process.hrtime.bigint();
      const r = await pool.request({ path: u.pathname, method: 'POST', headers: { ...HEADERS, 'mcp-session-id': sid }, body: CALL });
      await r.body.text();
      if (i >= count / 10) samples.push(Number(process.hrtime.bigint() - t0) / 1000);
    }
  } finally {
    await pool.close();
  }
  samples.sort((a, b) => a - b);
  return { p50: samples[Math.floor(samples.length * 0.5)], p99: samples[Math.floor(samples.length * 0.99)] };
}

function line(label: string, r: LoadResult): string {
  return `${label.padEnd(18)}: ${fmt(r.rps, 0)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors + r.non2xx}\n`;
}

export async function run(): Promise<void> {
  const backend = await startChild(SELF, [], { MCPGW_BENCH_ROLE: 'proxy-backend' }, /listening (\d+)/);
  const backendPort = Number(backend.match[1]);
  const dir = tmpDir();
  const config = path.join(dir, 'bench.yaml');
  fs.writeFileSync(
    config,
    [
      'services:',
      `  - { name: echo, protocol: mcp, endpoints: ["127.0.0.1:${backendPort}"] }`,
      'mcpServers:',
      '  - { name: bench, type: direct-proxy, description: benchmark, service: echo, transport: streamable-http, path: /mcp }',
      '',
    ].join('\n'),
  );
  const gw = await startChild(path.join(ROOT, 'src/cli/main.ts'), ['serve'], {
    MCPGW_PORT: '0', MCPGW_ADMIN_PORT: '0', MCPGW_HOST: '127.0.0.1', MCPGW_DATA_DIR: dir, MCPGW_CONFIG: config,
    MCPGW_ADMIN_TOKEN: 'bench', MCPGW_LOG_LEVEL: 'warn', MCPGW_SEED: 'false',
  }, /MCP on http:\/\/[^:]+:(\d+)/);
  const nginx = await startNginx(backendPort, dir);
  const minimal = await startChild(SELF, [], { MCPGW_BENCH_ROLE: 'minimal-proxy', MCPGW_BENCH_BACKEND_PORT: String(backendPort) }, /listening (\d+)/);
  try {
    const targets: Array<{ label: string; url: string }> = [
      { label: 'direct to backend', url: `http://127.0.0.1:${backendPort}/mcp` },
      { label: 'through gateway', url: `http://127.0.0.1:${gw.match[1]}/mcp-servers/bench` },
    ];
    if (nginx) targets.push({ label: 'through nginx', url: `http://127.0.0.1:${nginx.port}/mcp` });
    else process.stdout.write('nginx is not installed (apt-get install nginx): no nginx reference in this run\n');
    targets.push({ label: 'minimal node proxy', url: `http://127.0.0.1:${minimal.match[1]}/mcp` });
    const sids = new Map<string, string>();
    for (const t of targets) sids.set(t.label, await initSession(t.url));

    const results = new Map<string, LoadResult>();
    for (const t of targets) await load({ url: t.url, method: 'POST', headers: { ...HEADERS, 'mcp-session-id': sids.get(t.label)! }, body: CALL, duration: 2 });
    for (const t of targets) {
      const r = await load({ url: t.url, method: 'POST', headers: { ...HEADERS, 'mcp-session-id': sids.get(t.label)! }, body: CALL });
      results.set(t.label, r);
      process.stdout.write(line(t.label, r));
    }
    const direct = results.get('direct to backend')!;
    const through = results.get('through gateway')!;
    process.stdout.write(`throughput ratio gateway/direct: ${fmt(through.rps / direct.rps)}\n`);
    const viaNginx = results.get('through nginx');
    if (viaNginx) {
      const ratio = through.rps / viaNginx.rps;
      process.stdout.write(`throughput ratio gateway/nginx : ${fmt(ratio)} (target >= 0.80) ${ratio >= 0.8 ? 'PASS' : 'BELOW TARGET'}\n`);
    }

    const floor = results.get('minimal node proxy')!;
    process.stdout.write(`throughput ratio gateway/minimal node proxy: ${fmt(through.rps / floor.rps)} (what the gateway's own work costs)\n`);

    const lat = new Map<string, { p50: number; p99: number }>();
    for (const t of targets) lat.set(t.label, await sequentialLatency(t.url, sids.get(t.label)!, 3000));
    for (const [label, l] of lat) process.stdout.write(`one at a time, ${label.padEnd(18)}: p50 ${fmt(l.p50 / 1000, 3)} ms  p99 ${fmt(l.p99 / 1000, 3)} ms\n`);
    const added = (lat.get('through gateway')!.p50 - lat.get('direct to backend')!.p50) / 1000;
    process.stdout.write(`added p50 by the gateway: ${fmt(added, 3)} ms (target < 0.5 ms) ${added < 0.5 ? 'PASS' : 'ABOVE TARGET'}\n`);
    if (lat.has('through nginx')) process.stdout.write(`added p50 by nginx      : ${fmt((lat.get('through nginx')!.p50 - lat.get('direct to backend')!.p50) / 1000, 3)} ms\n`);

    await comparePairs(`http://127.0.0.1:${backendPort}/mcp`, `http://127.0.0.1:${gw.match[1]}/mcp-servers/bench`, sids.get('through gateway')!);
  } finally {
    nginx?.child.kill('SIGTERM');
    minimal.child.kill('SIGTERM');
    gw.child.kill('SIGTERM');
    backend.child.kill('SIGTERM');
  }
}

/**
 * The same echo call from a 2026-07-28 client (stateless, passed through with header checks) and
 * from a 2025-06-18 client (session mapped), through the same gateway server to the same backend,
 * interleaved A/B/A/B so machine noise hits both; medians reported.
 */
async function comparePairs(directUrl: string, gatewayUrl: string, sid: string): Promise<void> {
  const check = (await fetch(gatewayUrl, { method: 'POST', headers: HEADERS_2026, body: CALL_2026 }).then((r) => r.json())) as any;
  if (check.result?.content?.[0]?.text !== 'hello' || check.result.resultType !== 'complete') throw new Error(`unexpected 2026-07-28 echo: ${JSON.stringify(check)}`);
  const legacy = () => load({ url: gatewayUrl, method: 'POST', headers: { ...HEADERS, 'mcp-session-id': sid }, body: CALL, duration: 4 });
  const modern = () => load({ url: gatewayUrl, method: 'POST', headers: HEADERS_2026, body: CALL_2026, duration: 4 });
  const direct = await load({ url: directUrl, method: 'POST', headers: HEADERS_2026, body: CALL_2026, duration: 4 });
  process.stdout.write(line('2026 direct', direct));
  const a: LoadResult[] = [];
  const b: LoadResult[] = [];
  for (let round = 0; round < 5; round++) {
    a.push(await modern());
    b.push(await legacy());
  }
  const median = (rs: LoadResult[]) => [...rs].sort((x, y) => x.rps - y.rps)[Math.floor(rs.length / 2)];
  const m = median(a);
  const l = median(b);
  process.stdout.write(line('2026 -> 2026', m));
  process.stdout.write(line('2025 -> 2025', l));
  process.stdout.write(`runs 2026 -> 2026: ${a.map((r) => fmt(r.rps, 0)).join(', ')}; 2025 -> 2025: ${b.map((r) => fmt(r.rps, 0)).join(', ')}\n`);
  process.stdout.write(`throughput ratio stateless/session pair through the gateway: ${fmt(m.rps / l.rps)} (expected >= 1) ${m.rps >= l.rps ? 'PASS' : 'BELOW'}\n`);
}
