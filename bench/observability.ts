import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fmt, load, startChild, tmpDir, ROOT } from './support.js';

/**
 * Scenario `observability`: the `rest` tools/call path with access log (to a file), metrics and
 * tracing (OTLP/HTTP to a local sink, every request sampled) on, versus access log and tracing off,
 * on two gateway processes measured in interleaved rounds. Target: throughput cost < 10%.
 * Metrics cannot be switched off; both sides record them.
 */
export async function run(): Promise<void> {
  const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
  const duration = Number(process.env.BENCH_DURATION ?? 8);
  const backend = await startChild(path.join(ROOT, 'bench/echo-backend.ts'), [], {}, /listening (\d+)/);
  const backendPort = Number(backend.match[1]);
  const sink = await startOtlpSink();
  const dataDir = tmpDir();
  const config = path.join(dataDir, 'bench.yaml');
  fs.writeFileSync(
    config,
    [
      'services:',
      `  - { name: echo, protocol: http, endpoints: ["127.0.0.1:${backendPort}"] }`,
      'mcpServers:',
      '  - name: bench',
      '    type: http-to-mcp',
      '    description: benchmark',
      '    service: echo',
      '    tools: |',
      '      server: { name: bench }',
      '      tools:',
      '        - name: getPet',
      '          args: [{ name: id, type: integer, required: true, position: path }]',
      '          requestTemplate: { url: "/pets/{id}", method: GET }',
      '',
    ].join('\n'),
  );
  const logFile = path.join(dataDir, 'access.log');
  const common = { MCPGW_PORT: '0', MCPGW_ADMIN_PORT: '0', MCPGW_HOST: '127.0.0.1', MCPGW_CONFIG: config, MCPGW_ADMIN_TOKEN: 'bench', MCPGW_SEED: 'false' };
  const off = await startGateway({ ...common, MCPGW_DATA_DIR: path.join(dataDir, 'off'), MCPGW_LOG_LEVEL: 'warn', MCPGW_ACCESS_LOG: 'false' }, '/dev/null');
  const on = await startGateway(
    { ...common, MCPGW_DATA_DIR: path.join(dataDir, 'on'), MCPGW_LOG_LEVEL: 'info', MCPGW_ACCESS_LOG: 'true', OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: 'mcp-gateway-bench', OTEL_TRACES_SAMPLER: 'always_on' },
    logFile,
  );
  try {
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const callBody = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'getPet', arguments: { id: 42 } } });
    const targets: Array<{ label: 'off' | 'on'; url: string; headers: Record<string, string> }> = [];
    for (const [label, gw] of [['off', off], ['on', on]] as const) {
      const url = `http://127.0.0.1:${gw.port}/mcp-servers/bench`;
      const init = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }) });
      const sid = init.headers.get('mcp-session-id');
      await init.text();
      if (!sid) throw new Error(`initialize failed (${label}): ${init.status}`);
      const h = { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
      const check = (await fetch(url, { method: 'POST', headers: h, body: callBody }).then((r) => r.json())) as { result?: { content?: Array<{ text?: string }> } };
      if (!String(check.result?.content?.[0]?.text).includes('Rex')) throw new Error(`unexpected tool result: ${JSON.stringify(check)}`);
      targets.push({ label, url, headers: h });
    }
    for (const t of targets) await load({ url: t.url, method: 'POST', headers: t.headers, body: callBody, duration: 2 });
    const rps: Record<'off' | 'on', number[]> = { off: [], on: [] };
    for (let round = 0; round < rounds; round++) {
      // Alternate which side goes first so drift on a shared machine hits both alike.
      const order = round % 2 === 0 ? targets : [...targets].reverse();
      for (const t of order) {
        const r = await load({ url: t.url, method: 'POST', headers: t.headers, body: callBody, duration });
        rps[t.label].push(r.rps);
        process.stdout.write(`round ${round + 1} ${t.label === 'on' ? 'metrics+log+traces' : 'metrics only      '}: ${fmt(r.rps, 0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors + r.non2xx}\n`);
      }
    }
    await new Promise((r) => setTimeout(r, 1500));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const cost = 1 - mean(rps.on) / mean(rps.off);
    const perRound = rps.on.map((v, i) => 1 - v / rps.off[i]);
    const lines = fs.readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('"type":"access"')).length;
    process.stdout.write(`access log lines written: ${lines}; spans received by the OTLP sink: ${sink.spans()} (in ${sink.posts()} exports)\n`);
    process.stdout.write(`per-round cost: ${perRound.map((c) => `${fmt(c * 100, 1)}%`).join(', ')}\n`);
    process.stdout.write(`throughput cost of access log + tracing: ${fmt(cost * 100, 1)}% (target < 10%) ${cost < 0.1 ? 'PASS' : 'ABOVE TARGET'}\n`);
  } finally {
    off.child.kill('SIGTERM');
    on.child.kill('SIGTERM');
    backend.child.kill('SIGTERM');
    await sink.close();
  }
}

/** Starts the compiled gateway with its stdout (the JSON log) written to `logPath`; resolves on its ready line. */
function startGateway(env: Record<string, string>, logPath: string): Promise<{ child: ChildProcess; port: number }> {
  const compiled = path.join(ROOT, 'dist/cli/main.js');
  if (!fs.existsSync(compiled)) throw new Error('run `npm run build` first: the benchmark measures the compiled gateway');
  const out = fs.openSync(logPath, 'a');
  const child = spawn(process.execPath, [compiled, 'serve'], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', out, 'pipe'] });
  fs.closeSync(out);
  return new Promise((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = err.match(/MCP on http:\/\/[^:]+:(\d+)/);
      if (m) resolve({ child, port: Number(m[1]) });
    });
    child.on('exit', (code) => reject(new Error(`gateway exited with ${code}:\n${err}`)));
  });
}

/** An OTLP/HTTP receiver that only counts what it gets (the exporter's JSON encoding). */
async function startOtlpSink(): Promise<{ url: string; spans(): number; posts(): number; close(): Promise<void> }> {
  let spans = 0;
  let posts = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      posts++;
      // Counting span ids is enough to know how many spans arrived, without parsing the batch.
      spans += Buffer.concat(chunks).toString('utf8').split('"spanId"').length - 1;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, spans: () => spans, posts: () => posts, close: () => new Promise<void>((r) => server.close(() => r())) };
}
