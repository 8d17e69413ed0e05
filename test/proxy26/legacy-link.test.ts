import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { Mcp2026Client } from '../support/mcp2026-client.js';
import { registerProxy } from '../proxy/support.js';
import { startRawBackend, type RawBackend } from '../proxy/raw-backend.js';

/**
 * A 2026-07-28 client in front of an initialize-based backend that records every request: the
 * gateway's cached backend session (opened once, re-opened after a 404) and the cancel it sends
 * when the client closes its stream.
 */
let gw: TestGateway;
let raw: RawBackend;

beforeAll(async () => {
  raw = await startRawBackend({ mode: 'streamable' });
  gw = await startGateway();
  await registerProxy(gw, 'raw26', raw.address, 'streamable-http', '/mcp');
}, 30_000);
afterAll(async () => {
  await gw?.stop();
  await raw?.close();
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const bodies = () => raw.requests.filter((q) => q.method === 'POST').map((q) => JSON.parse(q.body || 'null'));

describe('2026-07-28 client -> initialize-based backend: the cached backend session', () => {
  it('initializes once for many calls, and again after the backend forgot the session', async () => {
    const c = new Mcp2026Client(`${gw.dataUrl}/mcp-servers/raw26`);
    for (let i = 0; i < 3; i++) expect((await c.callTool('ok')).content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(raw.issued.length).toBe(1);
    raw.expire(raw.issued[0]);
    expect((await c.callTool('ok')).content).toEqual([{ type: 'text', text: 'ok' }]);
    expect(raw.issued.length).toBe(2);
    // the stateless fields never reach the older backend
    const call = bodies().filter((b) => b?.method === 'tools/call').at(-1);
    expect(Object.keys(call.params._meta ?? {}).filter((k) => k.startsWith('io.modelcontextprotocol/'))).toEqual([]);
    expect(raw.requests.filter((q) => q.method === 'POST').at(-1)!.headers['mcp-protocol-version']).toBe('2025-06-18');
  });

  it('sends notifications/cancelled for the backend id when the client closes its stream', async () => {
    const c = new Mcp2026Client(`${gw.dataUrl}/mcp-servers/raw26`);
    const call = c.startCall('stall');
    await sleep(300);
    const sent = bodies().filter((b) => b?.method === 'tools/call' && b.params?.name === 'stall').at(-1);
    expect(sent).toBeDefined();
    call.cancel();
    for (let i = 0; i < 50 && !bodies().some((b) => b?.method === 'notifications/cancelled'); i++) await sleep(20);
    const cancelled = bodies().find((b) => b?.method === 'notifications/cancelled');
    expect(cancelled.params.requestId).toBe(sent.id);
  });
});
