import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, request } from 'undici';
import { fmt, startChild, tmpDir, ROOT } from './support.js';

/**
 * Scenario `sessions`: hold many concurrent HTTP+SSE client sessions through the gateway's direct
 * proxy (each one a backend SSE session too) for a while; report the gateway's RSS per session and
 * the streams that dropped. Targets: < 50 KB per session, 0 drops. The count defaults to 10,000 but
 * is capped by the open-file limit (the gateway holds two sockets per session).
 * MCPGW_BENCH_SESSIONS and MCPGW_BENCH_SESSIONS_SECONDS override count and hold time.
 */

const SELF = fileURLToPath(import.meta.url);

/** The backend: a legacy SSE MCP server that only announces its endpoint and keeps streams open. */
function serveLegacyBackend(): void {
  let n = 0;
  const server = http.createServer((req, res) => {
    if (req.method === 'GET') {
      const sid = `s${++n}`;
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: endpoint\ndata: /messages?sessionId=${sid}\n\n`);
      const t = setInterval(() => res.write(': ka\n\n'), 20_000);
      res.on('close', () => clearInterval(t));
      return;
    }
    req.resume();
    req.on('end', () => res.writeHead(202).end('Accepted'));
  });
  server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`));
}

if (process.env.MCPGW_BENCH_ROLE === 'sessions-backend') serveLegacyBackend();

function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}

function openFileLimit(): number {
  try {
    const m = /Max open files\s+(\d+)/.exec(fs.readFileSync('/proc/self/limits', 'utf8'));
    return m ? Number(m[1]) : 1024;
  } catch {
    return 1024;
  }
}

export async function run(): Promise<void> {
  const limit = openFileLimit();
  const wanted = Number(process.env.MCPGW_BENCH_SESSIONS ?? 10_000);
  const count = Math.min(wanted, Math.floor((limit - 500) / 2));
  const seconds = Number(process.env.MCPGW_BENCH_SESSIONS_SECONDS ?? 60);
  if (count < wanted) process.stdout.write(`open-file limit ${limit}: holding ${count} sessions instead of ${wanted} (two sockets each in the gateway)\n`);

  const backend = await startChild(SELF, [], { MCPGW_BENCH_ROLE: 'sessions-backend' }, /listening (\d+)/);
  const dir = tmpDir();
  const config = path.join(dir, 'bench.yaml');
  fs.writeFileSync(
    config,
    [
      'services:',
      `  - { name: legacy, protocol: mcp, endpoints: ["127.0.0.1:${backend.match[1]}"], timeoutMs: 60000 }`,
      'mcpServers:',
      '  - { name: held, type: direct-proxy, description: sessions benchmark, service: legacy, transport: sse, path: /sse }',
      '',
    ].join('\n'),
  );
  const gw = await startChild(path.join(ROOT, 'src/cli/main.ts'), ['serve'], {
    MCPGW_PORT: '0', MCPGW_ADMIN_PORT: '0', MCPGW_HOST: '127.0.0.1', MCPGW_DATA_DIR: dir, MCPGW_CONFIG: config,
    MCPGW_ADMIN_TOKEN: 'bench', MCPGW_LOG_LEVEL: 'warn', MCPGW_SEED: 'false', MCPGW_MAX_SESSIONS: String(count + 1000),
  }, /MCP on http:\/\/[^:]+:(\d+)/);
  const origin = `http://127.0.0.1:${gw.match[1]}`;
  const agent = new Agent({ connections: null, keepAliveTimeout: 1000, headersTimeout: 60_000, bodyTimeout: 0 });
  const endpoints: string[] = [];
  let dropped = 0;
  let holding = false;
  const bodies: Array<{ destroy(): void }> = [];
  try {
    const open = async (): Promise<void> => {
      const res = await request(`${origin}/mcp-servers/held/sse`, { dispatcher: agent, headers: { accept: 'text/event-stream' } });
      if (res.statusCode !== 200) throw new Error(`stream refused with HTTP ${res.statusCode}: ${await res.body.text()}`);
      bodies.push(res.body);
      let text = '';
      res.body.setEncoding('utf8');
      await new Promise<void>((resolve, reject) => {
        res.body.on('data', (d: string) => {
          if (endpoints.length < count && text !== null) {
            text += d;
            const m = /event: endpoint\ndata: (.*)\n/.exec(text);
            if (m) {
              endpoints.push(m[1]);
              text = '';
              resolve();
            }
          }
        });
        res.body.on('error', (e) => (holding ? void dropped++ : reject(e)));
        res.body.on('end', () => {
          if (holding) dropped++;
        });
      });
    };
    await new Promise((r) => setTimeout(r, 1000));
    const before = rssKb(gw.child.pid!);
    const t0 = Date.now();
    for (let i = 0; i < count; i += 500) await Promise.all(Array.from({ length: Math.min(500, count - i) }, open));
    const openMs = Date.now() - t0;
    holding = true;
    process.stdout.write(`opened ${endpoints.length} sessions in ${fmt(openMs / 1000, 1)} s; holding ${seconds} s\n`);
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const after = rssKb(gw.child.pid!);
    // every held session must still take a message
    const sample = endpoints.filter((_, i) => i % Math.max(1, Math.floor(endpoints.length / 200)) === 0);
    let refused = 0;
    for (const ep of sample) {
      const r = await request(`${origin}${ep}`, { dispatcher: agent, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","method":"notifications/initialized"}' });
      await r.body.dump();
      if (r.statusCode !== 202) refused++;
    }
    const perSession = ((after - before) * 1024) / endpoints.length;
    process.stdout.write(`gateway RSS: ${fmt(before / 1024, 1)} MB before, ${fmt(after / 1024, 1)} MB holding ${endpoints.length} sessions\n`);
    process.stdout.write(`RSS per session: ${fmt(perSession / 1024, 1)} KB (target < 50 KB) ${perSession < 50 * 1024 ? 'PASS' : 'ABOVE TARGET'}\n`);
    process.stdout.write(`dropped streams while holding: ${dropped} (target 0) ${dropped === 0 ? 'PASS' : 'FAIL'}; messages refused on ${refused}/${sample.length} sampled sessions\n`);
  } finally {
    for (const b of bodies) b.destroy();
    await agent.destroy().catch(() => undefined);
    gw.child.kill('SIGTERM');
    backend.child.kill('SIGTERM');
  }
}
