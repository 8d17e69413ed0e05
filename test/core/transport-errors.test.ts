import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';

const ACCEPT = 'application/json, text/event-stream';

async function post(gw: TestGateway, path: string, body: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.dataUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

async function initialize(gw: TestGateway, version = '2025-06-18'): Promise<string> {
  const res = await post(gw, '/mcp-servers/time', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 't', version: '1' } } }));
  expect(res.status).toBe(200);
  expect(res.body.result.protocolVersion).toBe(version);
  return res.headers.get('mcp-session-id')!;
}

describe('Streamable HTTP: coded errors, and the gateway keeps serving', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ maxBodyBytes: 64 * 1024 });
  });
  afterAll(async () => gw?.stop());

  it('answers malformed JSON with -32700 and a bad envelope with -32600', async () => {
    const a = await post(gw, '/mcp-servers/time', '{"jsonrpc":');
    expect(a.status).toBe(400);
    expect(a.body.error.code).toBe(-32700);
    const b = await post(gw, '/mcp-servers/time', JSON.stringify({ jsonrpc: '1.0', id: 1, method: 'ping' }));
    expect(b.status).toBe(400);
    expect(b.body.error.code).toBe(-32600);
    const c = await post(gw, '/mcp-servers/time', '[]');
    expect(c.body.error.code).toBe(-32600);
  });

  it('refuses a body over the limit with 413', async () => {
    const res = await post(gw, '/mcp-servers/time', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(100 * 1024) } }));
    expect(res.status).toBe(413);
    expect(res.body.error.data.code).toBe('BODY_TOO_LARGE');
  });

  it('answers an unknown server with 404', async () => {
    const res = await post(gw, '/mcp-servers/nope', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    expect(res.status).toBe(404);
    expect(res.body.error.data.code).toBe('SERVER_NOT_FOUND');
  });

  it('checks Accept, the session header and the protocol version header', async () => {
    const noAccept = await post(gw, '/mcp-servers/time', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), { accept: 'application/json' });
    expect(noAccept.status).toBe(406);
    const noSession = await post(gw, '/mcp-servers/time', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    expect(noSession.status).toBe(400);
    expect(noSession.body.error.data.code).toBe('SESSION_REQUIRED');
    const unknown = await post(gw, '/mcp-servers/time', JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), { 'mcp-session-id': 'not-a-session' });
    expect(unknown.status).toBe(404);
    const sid = await initialize(gw);
    const badVersion = await post(gw, '/mcp-servers/time', JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'ping' }), { 'mcp-session-id': sid, 'mcp-protocol-version': '1999-01-01' });
    expect(badVersion.status).toBe(400);
    expect(badVersion.body.error.data.code).toBe('UNSUPPORTED_PROTOCOL_VERSION');
  });

  it('answers notifications with 202, unknown methods with -32601, and ends sessions on DELETE', async () => {
    const sid = await initialize(gw);
    const h = { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' };
    const note = await fetch(`${gw.dataUrl}/mcp-servers/time`, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...h }, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    expect(note.status).toBe(202);
    const unknown = await post(gw, '/mcp-servers/time', JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'does/not/exist' }), h);
    expect(unknown.status).toBe(200);
    expect(unknown.body.error.code).toBe(-32601);
    const ping = await post(gw, '/mcp-servers/time', JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'ping' }), h);
    expect(ping.body).toEqual({ jsonrpc: '2.0', id: 4, result: {} });
    const del = await fetch(`${gw.dataUrl}/mcp-servers/time`, { method: 'DELETE', headers: h });
    expect(del.status).toBe(200);
    const after = await post(gw, '/mcp-servers/time', JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }), h);
    expect(after.status).toBe(404);
  });

  it('accepts batches from 2025-03-26 clients only', async () => {
    const old = await initialize(gw, '2025-03-26');
    const batch = JSON.stringify([{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { nope: true }]);
    const res = await post(gw, '/mcp-servers/time', batch, { 'mcp-session-id': old });
    expect(res.status).toBe(200);
    expect(res.body).toHaveLength(3);
    expect(res.body.find((r: { id: number }) => r.id === 2).result.tools[0].name).toBe('get-current-time');
    expect(res.body.find((r: { id: unknown }) => r.id === null).error.code).toBe(-32600);
    const modern = await initialize(gw, '2025-11-25');
    const refused = await post(gw, '/mcp-servers/time', batch, { 'mcp-session-id': modern });
    expect(refused.status).toBe(400);
  });

  it('refuses a foreign Origin (DNS rebinding) and allows loopback ones', async () => {
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    const evil = await post(gw, '/mcp-servers/time', body, { origin: 'http://evil.example' });
    expect(evil.status).toBe(403);
    const local = await post(gw, '/mcp-servers/time', body, { origin: 'http://localhost:3000' });
    expect(local.status).toBe(200);
    expect(local.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
  });

  it('still serves after all of the above', async () => {
    await initialize(gw);
    const health = await fetch(`${gw.dataUrl}/healthz`);
    expect(health.status).toBe(200);
  });
});
