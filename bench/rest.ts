import { SignJWT } from 'jose';
import { fmt, load, startChild, startGatewayProcess, tmpDir, ROOT } from './support.js';
import { modernRequestHeaders, withRequestMeta } from '../src/protocol/modern.js';

const JWT_SECRET = 'bench-secret-0123456789abcdef0123456789';
import path from 'node:path';
import fs from 'node:fs';

/**
 * Scenario `rest`: tools/call through the gateway (Streamable HTTP, HTTP-to-MCP tool) versus the same
 * request sent straight to the backend, same load tool, same run. Target: throughput ratio >= 0.6.
 * Also a 2026-07-28 client (stateless, headers checked against the body) against the session-based one.
 */
export async function run(): Promise<void> {
  const backend = await startChild(path.join(ROOT, 'bench/echo-backend.ts'), [], {}, /listening (\d+)/);
  const backendPort = Number(backend.match[1]);
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
      ...['key', 'jwt'].flatMap((kind) => [
        `  - name: bench-${kind}`,
        '    type: http-to-mcp',
        `    description: benchmark with ${kind} consumer auth`,
        '    service: echo',
        '    consumerAuth: { enabled: true }',
        '    tools: |',
        '      server: { name: bench }',
        '      tools:',
        '        - name: getPet',
        '          args: [{ name: id, type: integer, required: true, position: path }]',
        '          requestTemplate: { url: "/pets/{id}", method: GET }',
      ]),
      'consumers:',
      '  - name: bench-key',
      '    credentials: [{ type: key-auth, key: bench-key-0123456789 }]',
      '  - name: bench-jwt',
      `    credentials: [{ type: jwt, issuer: https://bench.issuer, secret: ${JWT_SECRET} }]`,
      '',
    ].join('\n'),
  );
  const gw = await startGatewayProcess({
    MCPGW_PORT: '0', MCPGW_ADMIN_PORT: '0', MCPGW_HOST: '127.0.0.1', MCPGW_DATA_DIR: dataDir, MCPGW_CONFIG: config,
    MCPGW_ADMIN_TOKEN: 'bench', MCPGW_LOG_LEVEL: 'warn', MCPGW_SEED: 'false',
  });
  const port = Number(gw.match[1]);
  try {
    const jwt = await new SignJWT({ sub: 'bench' }).setProtectedHeader({ alg: 'HS256' }).setIssuer('https://bench.issuer').setExpirationTime('1h').sign(new TextEncoder().encode(JWT_SECRET));
    const variants = [
      { label: 'no auth', server: 'bench', auth: {} as Record<string, string> },
      { label: 'key-auth', server: 'bench-key', auth: { 'x-api-key': 'bench-key-0123456789' } },
      { label: 'JWT (HS256)', server: 'bench-jwt', auth: { authorization: `Bearer ${jwt}` } },
    ];
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const callBody = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'getPet', arguments: { id: 42 } } });
    const targets = [];
    for (const v of variants) {
      const url = `http://127.0.0.1:${port}/mcp-servers/${v.server}`;
      const init = await fetch(url, { method: 'POST', headers: { ...headers, ...v.auth }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }) });
      const sid = init.headers.get('mcp-session-id');
      await init.text();
      if (!sid) throw new Error(`initialize failed for ${v.server}: ${init.status}`);
      const h = { ...headers, ...v.auth, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
      const check = (await fetch(url, { method: 'POST', headers: h, body: callBody }).then((r) => r.json())) as any;
      if (!String(check.result?.content?.[0]?.text).includes('Rex')) throw new Error(`unexpected tool result: ${JSON.stringify(check)}`);
      targets.push({ ...v, url, headers: h });
    }

    // A 2026-07-28 client: no session, the routing headers and _meta on every request.
    const modernParams = withRequestMeta({ name: 'getPet', arguments: { id: 42 } }, { clientInfo: { name: 'bench', version: '1' } });
    const modernBody = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: modernParams });
    const modern = { label: 'no auth, 2026-07-28 stateless', server: 'bench', auth: {}, url: `http://127.0.0.1:${port}/mcp-servers/bench`, headers: { ...headers, ...modernRequestHeaders('tools/call', modernParams) }, body: modernBody };
    const modernCheck = (await fetch(modern.url, { method: 'POST', headers: modern.headers, body: modernBody }).then((r) => r.json())) as any;
    if (modernCheck.result?.resultType !== 'complete' || !String(modernCheck.result?.content?.[0]?.text).includes('Rex')) throw new Error(`unexpected 2026-07-28 result: ${JSON.stringify(modernCheck)}`);

    // Warm every path, then measure each for the same duration and connections.
    const directUrl = `http://127.0.0.1:${backendPort}/pets/42`;
    await load({ url: directUrl, duration: 2 });
    for (const t of targets) await load({ url: t.url, method: 'POST', headers: t.headers, body: callBody, duration: 2 });
    await load({ url: modern.url, method: 'POST', headers: modern.headers, body: modernBody, duration: 2 });
    const direct = await load({ url: directUrl });
    const line = (label: string, r: { rps: number; p50: number; p99: number; errors: number; non2xx: number }) =>
      process.stdout.write(`${label.padEnd(28)}: ${fmt(r.rps, 0).padStart(6)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  errors ${r.errors + r.non2xx}\n`);
    line('direct to backend', direct);
    const results: Record<string, number> = {};
    for (const t of targets) {
      const r = await load({ url: t.url, method: 'POST', headers: t.headers, body: callBody });
      results[t.label] = r.rps;
      line(`through gateway, ${t.label}`, r);
    }
    // Alternated runs, so a busy shared machine weighs on both sides alike; the median ratio is reported.
    const plain = targets[0];
    const ratios: number[] = [];
    for (let i = 0; i < 3; i++) {
      const session = await load({ url: plain.url, method: 'POST', headers: plain.headers, body: callBody, duration: 5 });
      const stateless = await load({ url: modern.url, method: 'POST', headers: modern.headers, body: modernBody, duration: 5 });
      line(`  session-based, round ${i + 1}`, session);
      line(`  2026-07-28 stateless, round ${i + 1}`, stateless);
      ratios.push(stateless.rps / session.rps);
    }
    process.stdout.write(`2026-07-28 stateless / session-based (no auth), median of 3: ${fmt(ratios.sort((a, b) => a - b)[1])}\n`);
    const ratio = results['no auth'] / direct.rps;
    process.stdout.write(`throughput ratio gateway/direct: ${fmt(ratio)} (target >= 0.60) ${ratio >= 0.6 ? 'PASS' : 'BELOW TARGET'}\n`);
    for (const label of ['key-auth', 'JWT (HS256)']) {
      const cost = 1 - results[label] / results['no auth'];
      process.stdout.write(`${label} cost vs no auth: ${fmt(cost * 100, 1)}% (target < 5%)\n`);
    }
  } finally {
    gw.child.kill('SIGTERM');
    backend.child.kill('SIGTERM');
  }
}
