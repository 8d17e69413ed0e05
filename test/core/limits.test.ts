/** Each resource limit is a setting; each refuses with a stable code when crossed and frees up afterwards. */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startBackend, type TestBackend } from '../support/backend.js';
import { connectClient } from '../support/mcp-client.js';

const ACCEPT = 'application/json, text/event-stream';
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'limits', version: '1' } } };

async function post(url: string, body: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: 'POST', headers: { accept: ACCEPT, 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  return { status: res.status, session: res.headers.get('mcp-session-id'), text, json: text.startsWith('{') ? JSON.parse(text) : undefined };
}

/** Ends every session left by earlier tests, so each limit is counted from zero. */
function endAll(gw: TestGateway): void {
  for (const id of [...(gw.gateway.sessions as unknown as { sessions: Map<string, unknown> }).sessions.keys()]) gw.gateway.sessions.end(id);
}

function toolText(r: unknown): string {
  return ((r as { content: Array<{ text: string }> }).content)[0].text;
}

describe('limits of the HTTP-to-MCP path', () => {
  let gw: TestGateway;
  let backend: TestBackend;
  const release: Array<() => void> = [];
  beforeAll(async () => {
    backend = await startBackend();
    backend.on('/big', (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(4096)));
    backend.on('/held', (_req, res) => void release.push(() => res.writeHead(200).end('released')));
    gw = await startGateway({ maxBodyBytes: 2048, maxResponseBytes: 1024, maxSessions: 6, maxSessionsPerConsumer: 2, maxUpstreamConcurrency: 2 });
    await gw.admin('PUT', '/api/v1/services/api', { protocol: 'http', endpoints: [backend.address], timeoutMs: 10_000 });
    const tools = 'server:\n  name: l\ntools:\n  - name: big\n    description: b\n    requestTemplate: { url: /big, method: GET }\n  - name: held\n    description: h\n    requestTemplate: { url: /held, method: GET }\n  - name: ok\n    description: o\n    requestTemplate: { url: /ok, method: GET }\n';
    await gw.admin('PUT', '/api/v1/mcp-servers/open', { type: 'http-to-mcp', description: 'd', service: 'api', tools });
    await gw.admin('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: 'alice-key-0123456789' }] });
    await gw.admin('PUT', '/api/v1/consumers/bob', { credentials: [{ type: 'key-auth', key: 'bob-key-0123456789' }] });
    await gw.admin('PUT', '/api/v1/mcp-servers/guarded', { type: 'http-to-mcp', description: 'd', service: 'api', tools, consumerAuth: { enabled: true } });
    await gw.settled();
  });
  afterAll(async () => {
    for (const r of release) r();
    await gw?.stop();
    await backend?.close();
  });

  it('request body: 413 BODY_TOO_LARGE on both transports and the admin API', async () => {
    const big = JSON.stringify({ ...INIT, params: { ...INIT.params, pad: 'x'.repeat(4096) } });
    const r = await post(`${gw.dataUrl}/mcp-servers/open`, big);
    expect(r.status).toBe(413);
    expect(r.json.error.data.code).toBe('BODY_TOO_LARGE');
    const sse = await fetch(`${gw.dataUrl}/mcp-servers/open/sse`, { headers: { accept: 'text/event-stream' } });
    const reader = sse.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    const endpoint = /data: (.*)/.exec(first)![1];
    const m = await post(`${gw.dataUrl}${endpoint}`, big);
    expect(m.status).toBe(413);
    expect(m.json.error.data.code).toBe('BODY_TOO_LARGE');
    await reader.cancel();
    const admin = await gw.admin('PUT', '/api/v1/services/pad', { protocol: 'http', endpoints: ['127.0.0.1:1'], description: 'x'.repeat(4096) });
    expect(admin.status).toBe(413);
    expect(admin.body.error.code).toBe('BODY_TOO_LARGE');
  });

  it('response to the client: a backend answer over MCPGW_MAX_RESPONSE_BYTES is an isError result', async () => {
    const client = await connectClient(gw.dataUrl, 'open', 'streamable-http');
    const r = await client.callTool({ name: 'big', arguments: {} });
    expect(r.isError).toBe(true);
    expect(toolText(r)).toContain('exceeds the limit of 1024 bytes');
    await client.close();
  });

  it('sessions in total: 503 SESSION_LIMIT at MCPGW_MAX_SESSIONS, free again after DELETE', async () => {
    endAll(gw);
    const url = `${gw.dataUrl}/mcp-servers/open`;
    const held: string[] = [];
    for (;;) {
      const r = await post(url, INIT);
      if (r.status !== 200) {
        expect(r.status).toBe(503);
        expect(r.json.error.data.code).toBe('SESSION_LIMIT');
        break;
      }
      held.push(r.session!);
      expect(held.length).toBeLessThanOrEqual(6);
    }
    expect(gw.gateway.sessions.size).toBe(6);
    const sse = await fetch(`${gw.dataUrl}/mcp-servers/open/sse`, { headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(503);
    await sse.body?.cancel();
    for (const id of held) await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': id } });
    expect(gw.gateway.sessions.size).toBe(0);
    expect((await post(url, INIT)).status).toBe(200);
  });

  it('sessions per consumer: alice is refused at MCPGW_MAX_SESSIONS_PER_CONSUMER while bob is not', async () => {
    endAll(gw);
    const url = `${gw.dataUrl}/mcp-servers/guarded`;
    const alice = { authorization: 'Bearer alice-key-0123456789' };
    const a1 = await post(url, INIT, alice);
    const a2 = await post(url, INIT, alice);
    expect([a1.status, a2.status]).toEqual([200, 200]);
    const a3 = await post(url, INIT, alice);
    expect(a3.status).toBe(503);
    expect(a3.json.error.data.code).toBe('SESSION_LIMIT');
    expect(a3.json.error.message).toContain('consumer "alice"');
    expect((await post(url, INIT, { 'x-api-key': 'bob-key-0123456789' })).status).toBe(200);
    await fetch(url, { method: 'DELETE', headers: { ...alice, 'mcp-session-id': a1.session! } });
    expect((await post(url, INIT, alice)).status).toBe(200);
  });

  it('calls in flight per service: the third concurrent call is refused at once with UPSTREAM_BUSY, then calls flow again', async () => {
    endAll(gw);
    const client = await connectClient(gw.dataUrl, 'open', 'streamable-http');
    const first = client.callTool({ name: 'held', arguments: {} });
    const second = client.callTool({ name: 'held', arguments: {} });
    while (release.length < 2) await new Promise((r) => setTimeout(r, 10));
    const t0 = Date.now();
    const third = await client.callTool({ name: 'ok', arguments: {} });
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(third.isError).toBe(true);
    expect(toolText(third)).toContain('UPSTREAM_BUSY');
    for (const r of release.splice(0)) r();
    expect(toolText(await first)).toBe('released');
    expect(toolText(await second)).toBe('released');
    const after = await client.callTool({ name: 'ok', arguments: {} });
    expect(after.isError).toBeFalsy();
    await client.close();
  });
});

describe('limits of the direct proxy', () => {
  it('an SSE event over MCPGW_MAX_MESSAGE_BYTES ends the call with an UPSTREAM_* code', async () => {
    const answer = (id: unknown, size: number) => JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'y'.repeat(size) }] } });
    const backend = http.createServer((req, res) => {
      let text = '';
      req.on('data', (d) => (text += d));
      req.on('end', () => {
        const body = text ? JSON.parse(text) : {};
        if (req.method !== 'POST') return void res.writeHead(405).end();
        if (body.method === 'initialize') return void res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'up-1' }).end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'b', version: '1' } } }));
        if (body.id === undefined) return void res.writeHead(202).end();
        const size = body.params?.arguments?.size ?? 10;
        if (body.params?.name === 'sse') return void res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`event: message\ndata: ${answer(body.id, size)}\n\n`);
        res.writeHead(200, { 'content-type': 'application/json' }).end(answer(body.id, size));
      });
    });
    await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
    const gw = await startGateway({ maxMessageBytes: 4096 });
    try {
      const address = `127.0.0.1:${(backend.address() as { port: number }).port}`;
      await gw.admin('PUT', '/api/v1/services/up', { protocol: 'mcp', endpoints: [address], timeoutMs: 5000 });
      await gw.admin('PUT', '/api/v1/mcp-servers/px', { type: 'direct-proxy', description: 'd', service: 'up', transport: 'streamable-http', path: '/mcp' });
      await gw.settled();
      const url = `${gw.dataUrl}/mcp-servers/px`;
      const init = await post(url, INIT);
      const sid = { 'mcp-session-id': init.session! };
      const call = (id: number, name: string, size: number) => post(url, { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { size } } }, sid);
      const small = await call(2, 'json', 100);
      expect(small.status).toBe(200);
      // A plain JSON answer of the pass-through path streams to the client unbuffered (backpressure bounds memory).
      const json = await call(3, 'json', 10_000);
      expect(json.status).toBe(200);
      expect(json.json.result.content[0].text.length).toBe(10_000);
      for (const [i, name] of ['sse'].entries()) {
        const r = await call(4 + i, name, 10_000);
        const messages = r.json ? [r.json] : r.text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => JSON.parse(l.slice(6)));
        const err = messages.find((m) => m.error)?.error;
        expect(err?.data?.code ?? r.text.slice(0, 300), `${name}: ${r.status}`).toMatch(/^UPSTREAM_/);
        expect(r.text.length).toBeLessThan(4096);
      }
    } finally {
      await gw.stop();
      await new Promise<void>((r) => {
        backend.closeAllConnections();
        backend.close(() => r());
      });
    }
  });
});
