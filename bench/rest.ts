import { fmt, load, startChild, tmpDir, ROOT } from './support.js';
import path from 'node:path';
import fs from 'node:fs';

/**
 * Scenario `rest`: tools/call through the gateway (Streamable HTTP, HTTP-to-MCP tool) versus the same
 * request sent straight to the backend, same load tool, same run. Target: throughput ratio >= 0.6.
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
      '',
    ].join('\n'),
  );
  const gw = await startChild(path.join(ROOT, 'src/cli/main.ts'), ['serve'], {
    MCPGW_PORT: '0', MCPGW_ADMIN_PORT: '0', MCPGW_HOST: '127.0.0.1', MCPGW_DATA_DIR: dataDir, MCPGW_CONFIG: config,
    MCPGW_ADMIN_TOKEN: 'bench', MCPGW_LOG_LEVEL: 'warn', MCPGW_SEED: 'false',
  }, /MCP on http:\/\/[^:]+:(\d+)/);
  const port = Number(gw.match[1]);
  try {
    const base = `http://127.0.0.1:${port}/mcp-servers/bench`;
    const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const init = await fetch(base, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'bench', version: '1' } } }) });
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    const callBody = JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'getPet', arguments: { id: 42 } } });
    const check = await fetch(base, { method: 'POST', headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' }, body: callBody }).then((r) => r.json() as Promise<any>);
    if (!String(check.result?.content?.[0]?.text).includes('Rex')) throw new Error(`unexpected tool result: ${JSON.stringify(check)}`);

    // Warm both paths, then measure each for the same duration and connections.
    await load({ url: `http://127.0.0.1:${backendPort}/pets/42`, duration: 2 });
    await load({ url: base, method: 'POST', headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' }, body: callBody, duration: 2 });
    const direct = await load({ url: `http://127.0.0.1:${backendPort}/pets/42` });
    const through = await load({ url: base, method: 'POST', headers: { ...headers, 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' }, body: callBody });
    process.stdout.write(`direct to backend : ${fmt(direct.rps, 0)} req/s  p50 ${direct.p50} ms  p99 ${direct.p99} ms  errors ${direct.errors + direct.non2xx}\n`);
    process.stdout.write(`through gateway   : ${fmt(through.rps, 0)} req/s  p50 ${through.p50} ms  p99 ${through.p99} ms  errors ${through.errors + through.non2xx}\n`);
    const ratio = through.rps / direct.rps;
    process.stdout.write(`throughput ratio gateway/direct: ${fmt(ratio)} (target >= 0.60) ${ratio >= 0.6 ? 'PASS' : 'BELOW TARGET'}\n`);
  } finally {
    gw.child.kill('SIGTERM');
    backend.child.kill('SIGTERM');
  }
}
