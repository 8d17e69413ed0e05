import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import pino from 'pino';
import { createLogger } from '../src/observe/logger.js';
import { Tracing } from '../src/observe/tracing.js';
import { fmt, load, startChild, tmpDir, ROOT } from './support.js';

/**
 * Scenario `observability`: the `rest` tools/call path on four gateway processes — metrics only, plus the
 * access log (to a file), plus tracing (OTLP/HTTP to a local sink, every request sampled), plus both —
 * measured in rotating rounds. Reports throughput and the gateway's CPU time per request (steadier than
 * throughput on a shared machine) against metrics only. Target: cost of both < 10%. Metrics cannot be
 * switched off.
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
  const common = { MCPGW_PORT: '0', MCPGW_ADMIN_PORT: '0', MCPGW_HOST: '127.0.0.1', MCPGW_CONFIG: config, MCPGW_ADMIN_TOKEN: 'bench', MCPGW_SEED: 'false' };
  const tracing = { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: 'mcp-gateway-bench', OTEL_TRACES_SAMPLER: 'always_on' };
  const variants = [
    { label: 'metrics only', log: false, env: {} },
    { label: 'metrics + access log', log: true, env: {} },
    { label: 'metrics + traces', log: false, env: tracing },
    { label: 'metrics + log + traces', log: true, env: tracing },
    { label: 'log + traces 10% sampled', log: true, env: { ...tracing, OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.1' } },
  ];
  const gateways: Array<{ label: string; child: ChildProcess; port: number; logFile: string }> = [];
  try {
    for (const [i, v] of variants.entries()) {
      const logFile = path.join(dataDir, `gateway-${i}.log`);
      const env = { ...common, ...v.env, MCPGW_DATA_DIR: path.join(dataDir, `gw${i}`), MCPGW_LOG_LEVEL: v.log ? 'info' : 'warn', MCPGW_ACCESS_LOG: String(v.log) };
      gateways.push({ label: v.label, logFile, ...(await startGateway(env, logFile)) });
    }
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const callBody = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'getPet', arguments: { id: 42 } } });
    const targets: Array<{ label: string; pid: number; url: string; headers: Record<string, string> }> = [];
    for (const gw of gateways) {
      const url = `http://127.0.0.1:${gw.port}/mcp-servers/bench`;
      const init = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }) });
      const sid = init.headers.get('mcp-session-id');
      await init.text();
      if (!sid) throw new Error(`initialize failed (${gw.label}): ${init.status}`);
      const h = { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18', traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
      const check = (await fetch(url, { method: 'POST', headers: h, body: callBody }).then((r) => r.json())) as { result?: { content?: Array<{ text?: string }> } };
      if (!String(check.result?.content?.[0]?.text).includes('Rex')) throw new Error(`unexpected tool result: ${JSON.stringify(check)}`);
      targets.push({ label: gw.label, pid: gw.child.pid!, url, headers: h });
    }
    for (const t of targets) await load({ url: t.url, method: 'POST', headers: t.headers, body: callBody, duration: 2 });
    const rps = new Map<string, number[]>(targets.map((t) => [t.label, []]));
    const cpu = new Map<string, { ms: number; requests: number }>(targets.map((t) => [t.label, { ms: 0, requests: 0 }]));
    for (let round = 0; round < rounds; round++) {
      // Rotate the order each round so drift on a shared machine hits every variant alike.
      const order = targets.map((_, i) => targets[(i + round) % targets.length]);
      for (const t of order) {
        const before = cpuMs(t.pid);
        const r = await load({ url: t.url, method: 'POST', headers: t.headers, body: callBody, duration });
        const used = cpuMs(t.pid) - before;
        rps.get(t.label)!.push(r.rps);
        const c = cpu.get(t.label)!;
        c.ms += used;
        c.requests += r.total;
        process.stdout.write(`round ${round + 1} ${t.label.padEnd(24)}: ${fmt(r.rps, 0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  gateway CPU ${fmt((used * 1000) / Math.max(1, r.total), 0)} µs/request  errors ${r.errors + r.non2xx}\n`);
      }
    }
    await new Promise((r) => setTimeout(r, 1500));
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const base = targets[0].label;
    const baseRps = mean(rps.get(base)!);
    const baseCpu = cpu.get(base)!.ms / cpu.get(base)!.requests;
    process.stdout.write(`\n${'variant'.padEnd(24)}  mean req/s  throughput cost  CPU µs/request  CPU cost\n`);
    for (const t of targets) {
      const r = mean(rps.get(t.label)!);
      const c = cpu.get(t.label)!.ms / cpu.get(t.label)!.requests;
      process.stdout.write(`${t.label.padEnd(24)}  ${fmt(r, 0).padStart(10)}  ${`${fmt((1 - r / baseRps) * 100, 1)}%`.padStart(15)}  ${fmt(c * 1000, 0).padStart(14)}  ${`${fmt((c / baseCpu - 1) * 100, 1)}%`.padStart(8)}\n`);
    }
    const all = targets[3].label;
    const lines = fs.readFileSync(gateways[3].logFile, 'utf8').split('\n').filter((l) => l.includes('"type":"access"')).length;
    process.stdout.write(`access log lines written (all on): ${lines}; spans received by the OTLP sink: ${sink.spans()} (in ${sink.posts()} exports)\n`);
    const cost = 1 - mean(rps.get(all)!) / baseRps;
    const cpuCost = cpu.get(all)!.ms / cpu.get(all)!.requests / baseCpu - 1;
    process.stdout.write(`cost of access log + tracing: throughput ${fmt(cost * 100, 1)}%, CPU per request ${fmt(cpuCost * 100, 1)}% (target < 10%) ${Math.max(cost, cpuCost) < 0.1 ? 'PASS' : 'ABOVE TARGET'}\n`);
    const minCpu = Math.min(...[...cpu.values()].map((c) => c.ms / c.requests)) * 1000;
    await componentCosts(sink.url, minCpu);
  } finally {
    for (const gw of gateways) gw.child.kill('SIGTERM');
    backend.child.kill('SIGTERM');
    await sink.close();
  }
}

/**
 * The CPU time of the added work alone, measured in this process (steady on a shared machine, unlike
 * throughput): one access line to a file, and one traced request (server span, client span, traceparent,
 * OTLP/HTTP export to the sink).
 */
async function componentCosts(sinkUrl: string, gatewayCpuUs: number): Promise<void> {
  const dir = tmpDir();
  const dest = pino.destination({ dest: path.join(dir, 'access.log'), sync: false, minLength: 4096 });
  const log = createLogger('info', dest).child({ component: 'access' }, { redact: [] });
  const line = (i: number) => log.info({ type: 'access', server: 'bench', session: 'abcd1234', transport: 'streamable-http', method: 'tools/call', tool: 'getPet', outcome: 'ok', durationMs: i / 1000 });
  const logUs = await cpuPer(50_000, line);
  dest.flushSync();
  const tracing = new Tracing(`${sinkUrl}/v1/traces`, { OTEL_BSP_SCHEDULE_DELAY: '200' }, 'bench');
  const headers = { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' };
  const traced = () => {
    const span = tracing.startRequest(headers, 'bench', 'streamable-http', 'tools/call');
    span.describe('tools/call', 'getPet', undefined);
    const upstream = span.upstream('GET', 'http://127.0.0.1:1', '/pets/42');
    upstream.inject(() => undefined);
    upstream.end(200);
    span.end({ outcome: 'ok' });
  };
  const traceUs = await cpuPer(20_000, traced, () => tracing.flush());
  await tracing.shutdown();
  fs.rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`\nadded CPU per request, measured alone: access line ${fmt(logUs, 1)} µs, traced request (2 spans + OTLP export) ${fmt(traceUs, 1)} µs\n`);
  process.stdout.write(`against the least-disturbed gateway CPU per request in this run (${fmt(gatewayCpuUs, 0)} µs): access log ${fmt((logUs / gatewayCpuUs) * 100, 1)}%, tracing ${fmt((traceUs / gatewayCpuUs) * 100, 1)}%, both ${fmt(((logUs + traceUs) / gatewayCpuUs) * 100, 1)}%\n`);
}

/** CPU µs per call of `fn`, paced in small batches so asynchronous work (exports, writes) keeps up. */
async function cpuPer(n: number, fn: (i: number) => void, settle?: () => Promise<void>): Promise<number> {
  for (let i = 0; i < n / 4; i++) {
    fn(i);
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  await settle?.();
  const start = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    fn(i);
    if (i % 20 === 0) await new Promise((r) => setTimeout(r, 1));
  }
  await settle?.();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / n;
}

/** CPU time (user + system) a process has used, in ms, from /proc (Linux). */
function cpuMs(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the whole line, in clock ticks (100 per second on Linux)
  return (Number(fields[11]) + Number(fields[12])) * 10;
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
