import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectAt, freePort, registerProxy, startEverything, type ConnectedClient, type RunningServer } from './support.js';
import { startRawBackend, type RawBackend } from './raw-backend.js';

const ACCEPT = 'application/json, text/event-stream';
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } };

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  /** JSON-RPC messages of a JSON body or of the SSE message events. */
  messages: any[];
  ms: number;
}

async function post(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  const t0 = Date.now();
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: ACCEPT, ...headers }, body: JSON.stringify(body), signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let messages: any[] = [];
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    messages = text
      .split('\n\n')
      .map((ev) => ev.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n'))
      .filter(Boolean)
      .map((d) => JSON.parse(d));
  } else if (text) {
    try {
      messages = [JSON.parse(text)];
    } catch {
      messages = [];
    }
  }
  return { status: res.status, headers: res.headers, text, messages, ms: Date.now() - t0 };
}

async function initSession(url: string, headers: Record<string, string> = {}): Promise<string> {
  const r = await post(url, INIT, headers);
  expect(r.status).toBe(200);
  const sid = r.headers.get('mcp-session-id');
  expect(sid).toBeTruthy();
  await post(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, { 'mcp-session-id': sid! });
  return sid!;
}

function call(id: number, name: string) {
  return { jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: {} } };
}

let gw: TestGateway;
let healthyBackend: RunningServer;
let healthy: ConnectedClient;
let rawHttp: RawBackend;
let rawSse: RawBackend;

/** A call on an unrelated, healthy proxied session, run alongside each fault. */
async function healthyCall(): Promise<void> {
  const message = `still fine ${Math.random()}`;
  const r = await healthy.client.callTool({ name: 'echo', arguments: { message } });
  expect(r.content).toEqual([{ type: 'text', text: `Echo: ${message}` }]);
}

beforeAll(async () => {
  [gw, healthyBackend, rawHttp, rawSse] = await Promise.all([startGateway(), startEverything('streamableHttp'), startRawBackend({ mode: 'streamable' }), startRawBackend({ mode: 'legacy' })]);
  await registerProxy(gw, 'healthy', healthyBackend.address, 'streamable-http', '/mcp');
  await registerProxy(gw, 'raw-http', rawHttp.address, 'streamable-http', '/mcp', { timeoutMs: 600 });
  await registerProxy(gw, 'raw-sse', rawSse.address, 'sse', '/sse', { timeoutMs: 600 });
  await registerProxy(gw, 'refused', `127.0.0.1:${await freePort()}`, 'streamable-http', '/mcp');
  await registerProxy(gw, 'refused-sse', `127.0.0.1:${await freePort()}`, 'sse', '/sse');
  healthy = await connectAt(`${gw.dataUrl}/mcp-servers/healthy`, 'streamable-http');
}, 60_000);

afterAll(async () => {
  await healthy?.close();
  await gw?.stop();
  await Promise.all([healthyBackend?.stop(), rawHttp?.close(), rawSse?.close()]);
});

describe('Streamable HTTP backend failures', () => {
  it('refused: initialize gets 502 UPSTREAM_UNAVAILABLE; others unaffected', async () => {
    const [r] = await Promise.all([post(`${gw.dataUrl}/mcp-servers/refused`, INIT), healthyCall()]);
    expect(r.status).toBe(502);
    expect(r.messages[0].id).toBe(1);
    expect(r.messages[0].error.data.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(r.messages[0].error.message).toContain('refused');
  });

  it('refused through the SSE bridge: the stream request gets 502', async () => {
    const res = await fetch(`${gw.dataUrl}/mcp-servers/refused-sse/sse`, { headers: { accept: 'text/event-stream' } });
    expect(res.status).toBe(502);
    expect(((await res.json()) as any).error.data.code).toBe('UPSTREAM_UNAVAILABLE');
  });

  it('stalled: the call fails with 504 UPSTREAM_TIMEOUT within the service timeout', async () => {
    const url = `${gw.dataUrl}/mcp-servers/raw-http`;
    const sid = await initSession(url);
    const [r] = await Promise.all([post(url, call(7, 'stall'), { 'mcp-session-id': sid }), healthyCall()]);
    expect(r.status).toBe(504);
    expect(r.messages[0]).toMatchObject({ id: 7, error: { data: { code: 'UPSTREAM_TIMEOUT' } } });
    expect(r.ms).toBeLessThan(3000);
  });

  it('reset mid-stream: what arrived is delivered, then a JSON-RPC error for the call', async () => {
    const url = `${gw.dataUrl}/mcp-servers/raw-http`;
    const sid = await initSession(url);
    const [r] = await Promise.all([post(url, call(8, 'reset'), { 'mcp-session-id': sid }), healthyCall()]);
    expect(r.status).toBe(200);
    expect(r.messages[0].method).toBe('notifications/progress');
    expect(r.messages.at(-1)).toMatchObject({ id: 8, error: { data: { code: 'UPSTREAM_RESET' } } });
  });

  it('garbage SSE: the call gets UPSTREAM_BAD_STREAM and the stream closes', async () => {
    const url = `${gw.dataUrl}/mcp-servers/raw-http`;
    const sid = await initSession(url);
    const [r] = await Promise.all([post(url, call(9, 'garbage'), { 'mcp-session-id': sid }), healthyCall()]);
    expect(r.messages).toHaveLength(1);
    expect(r.messages[0]).toMatchObject({ id: 9, error: { data: { code: 'UPSTREAM_BAD_STREAM' } } });
    expect(r.messages[0].error.message).toContain('not JSON-RPC');
  });
});

describe('HTTP+SSE backend failures (bridged to Streamable HTTP)', () => {
  const url = () => `${gw.dataUrl}/mcp-servers/raw-sse`;

  it('stalled: the call gets UPSTREAM_TIMEOUT and the backend a cancellation', async () => {
    const sid = await initSession(url());
    const [r] = await Promise.all([post(url(), call(11, 'stall'), { 'mcp-session-id': sid }), healthyCall()]);
    expect(r.messages.at(-1)).toMatchObject({ id: 11, error: { data: { code: 'UPSTREAM_TIMEOUT' } } });
    expect(r.ms).toBeLessThan(3000);
    await new Promise((res) => setTimeout(res, 100));
    const cancels = rawSse.requests.filter((q) => q.body.includes('notifications/cancelled'));
    expect(cancels.length).toBeGreaterThan(0);
  });

  it('reset: pending calls get UPSTREAM_RESET and the session ends (404 after)', async () => {
    const sid = await initSession(url());
    const [r] = await Promise.all([post(url(), call(12, 'reset'), { 'mcp-session-id': sid }), healthyCall()]);
    expect(r.messages.at(-1)).toMatchObject({ id: 12, error: { data: { code: 'UPSTREAM_RESET' } } });
    const after = await post(url(), call(13, 'ok'), { 'mcp-session-id': sid });
    expect(after.status).toBe(404);
  });

  it('garbage: pending calls get UPSTREAM_BAD_STREAM', async () => {
    const sid = await initSession(url());
    const [r] = await Promise.all([post(url(), call(14, 'garbage'), { 'mcp-session-id': sid }), healthyCall()]);
    expect(r.messages.at(-1)).toMatchObject({ id: 14, error: { data: { code: 'UPSTREAM_BAD_STREAM' } } });
  });

  it('a backend that never announces its endpoint: 504 within the timeout', async () => {
    const silent = await startRawBackend({ mode: 'legacy', silentStream: true });
    try {
      await registerProxy(gw, 'silent', silent.address, 'sse', '/sse', { timeoutMs: 500 });
      const t0 = Date.now();
      const res = await fetch(`${gw.dataUrl}/mcp-servers/silent/sse`, { headers: { accept: 'text/event-stream' } });
      expect(res.status).toBe(504);
      expect(((await res.json()) as any).error.data.code).toBe('UPSTREAM_TIMEOUT');
      expect(Date.now() - t0).toBeLessThan(3000);
    } finally {
      await silent.close();
    }
  });
});

describe('endpoint rewriting (Higress 2836, 3338, 3551)', () => {
  async function openLegacy(server: string): Promise<{ endpoint: string; reader: ReadableStreamDefaultReader<Uint8Array>; close: () => void }> {
    const ac = new AbortController();
    const res = await fetch(`${gw.dataUrl}/mcp-servers/${server}/sse`, { headers: { accept: 'text/event-stream' }, signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let buf = '';
    while (!buf.includes('\n\n')) buf += new TextDecoder().decode((await reader.read()).value);
    const m = /event: endpoint\ndata: (.*)\n/.exec(buf);
    return { endpoint: m![1], reader, close: () => ac.abort() };
  }

  it.each([
    ['absolute URI on another host, extra query', 'http://public.example.com:9/test/messages?sessionId={sid}&region=eu', '/test/sse', /^\/test\/messages\?sessionId=legacy-\d+&region=eu$/],
    ['relative without a leading slash', 'messages?sessionId={sid}', '/test/sse', /^\/test\/messages\?sessionId=legacy-\d+$/],
  ])('%s', async (_label, template, backendPath, expected) => {
    const backend = await startRawBackend({ mode: 'legacy', endpointTemplate: template });
    const name = `ep-${Math.random().toString(36).slice(2, 8)}`;
    try {
      await registerProxy(gw, name, backend.address, 'sse', backendPath);
      const s = await openLegacy(name);
      expect(s.endpoint).toMatch(new RegExp(`^/mcp-servers/${name}/message\\?sessionId=`));
      const r = await post(`${gw.dataUrl}${s.endpoint}`, INIT);
      expect(r.status).toBe(202);
      const posted = backend.requests.filter((q) => q.method === 'POST');
      expect(posted.at(-1)!.url).toMatch(expected);
      s.close();
    } finally {
      await backend.close();
    }
  });

  it('concurrent sessions each post to their own upstream session', async () => {
    const sessions = await Promise.all(Array.from({ length: 6 }, () => openLegacy('raw-sse')));
    const before = rawSse.requests.length;
    await Promise.all(sessions.map((s) => post(`${gw.dataUrl}${s.endpoint}`, INIT)));
    const posted = rawSse.requests.slice(before).map((q) => new URL(q.url, 'http://x').searchParams.get('sessionId'));
    expect(new Set(posted).size).toBe(6);
    // the gateway's ids are not the backend's
    for (const s of sessions) expect(s.endpoint).not.toContain('legacy-');
    sessions.forEach((s) => s.close());
  });
});

describe('headers and session mapping (Streamable backend)', () => {
  it('drops the consumer credential, adds the backend one, maps the session id, keeps unknown fields', async () => {
    await registerProxy(gw, 'raw-auth', rawHttp.address, 'streamable-http', '/mcp', { auth: { type: 'bearer', token: 'backend-secret' } });
    const url = `${gw.dataUrl}/mcp-servers/raw-auth/mcp?api_key=consumer-key&keep=1`;
    const consumer = { authorization: 'Bearer consumer-key', 'x-api-key': 'consumer-key', cookie: 'c=1', 'x-trace': 'abc' };
    const init = await post(url, INIT, consumer);
    const sid = init.headers.get('mcp-session-id')!;
    const upstreamSid = rawHttp.issued.at(-1)!;
    expect(sid).not.toBe(upstreamSid);
    const r = await post(url, call(21, 'headers'), { ...consumer, 'mcp-session-id': sid });
    expect(r.headers.get('set-cookie')).toBeNull();
    const seen = JSON.parse(r.messages[0].result.content[0].text);
    expect(seen.authorization).toBe('Bearer backend-secret');
    expect(seen['x-api-key']).toBeUndefined();
    expect(seen.cookie).toBeUndefined();
    expect(seen['x-trace']).toBe('abc');
    expect(seen['mcp-session-id']).toBe(upstreamSid);
    const last = rawHttp.requests.at(-1)!;
    expect(last.url).toBe('/mcp?keep=1');
    const ok = await post(url, call(22, 'ok'), { 'mcp-session-id': sid });
    expect(ok.messages[0].result).toEqual({ content: [{ type: 'text', text: 'ok' }], _meta: { keep: 'me' }, extraField: 42 });
  });

  it('DELETE ends the upstream session; the id is then unknown', async () => {
    const url = `${gw.dataUrl}/mcp-servers/raw-http`;
    const sid = await initSession(url);
    const upstreamSid = rawHttp.issued.at(-1)!;
    const del = await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    expect(del.status).toBe(200);
    expect(rawHttp.deleted).toContain(upstreamSid);
    const after = await post(url, call(31, 'ok'), { 'mcp-session-id': sid });
    expect(after.status).toBe(404);
  });

  it('an upstream 404 ends the client session with 404', async () => {
    const url = `${gw.dataUrl}/mcp-servers/raw-http`;
    const sid = await initSession(url);
    rawHttp.expire(rawHttp.issued.at(-1)!);
    const r = await post(url, call(41, 'ok'), { 'mcp-session-id': sid });
    expect(r.status).toBe(404);
    expect(r.messages[0].error.data.code).toBe('SESSION_NOT_FOUND');
    const count = rawHttp.requests.length;
    const again = await post(url, call(42, 'ok'), { 'mcp-session-id': sid });
    expect(again.status).toBe(404);
    expect(rawHttp.requests.length).toBe(count);
  });
});

describe('idle sessions', () => {
  it('an idle session expires and its upstream session is deleted', async () => {
    const small = await startGateway({ sessionTtlMs: 200 });
    try {
      await registerProxy(small, 'raw', rawHttp.address, 'streamable-http', '/mcp');
      const url = `${small.dataUrl}/mcp-servers/raw`;
      const sid = await initSession(url);
      const upstreamSid = rawHttp.issued.at(-1)!;
      await new Promise((r) => setTimeout(r, 1600));
      expect(rawHttp.deleted).toContain(upstreamSid);
      expect((await post(url, call(51, 'ok'), { 'mcp-session-id': sid })).status).toBe(404);
    } finally {
      await small.stop();
    }
  });
});

describe('streams', () => {
  it('GET passes Last-Event-ID upstream and event ids back unchanged', async () => {
    const url = `${gw.dataUrl}/mcp-servers/raw-http`;
    const sid = await initSession(url);
    const ac = new AbortController();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sid, 'last-event-id': '41' }, signal: ac.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
    ac.abort();
    expect(text).toContain('id: 42\n');
    expect(text).toContain('after 41');
    const get = rawHttp.requests.filter((q) => q.method === 'GET').at(-1)!;
    expect(get.headers['last-event-id']).toBe('41');
    expect(get.headers['mcp-session-id']).toBe(rawHttp.issued.at(-1));
  });

  it('a client that stops reading slows the backend stream (no unbounded buffering)', async () => {
    const flood = await startRawBackend({ mode: 'streamable', flood: true });
    try {
      await registerProxy(gw, 'flood', flood.address, 'streamable-http', '/mcp');
      const url = `${gw.dataUrl}/mcp-servers/flood`;
      const sid = await initSession(url);
      const ac = new AbortController();
      const res = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-session-id': sid }, signal: ac.signal });
      const reader = res.body!.getReader();
      await reader.read(); // one chunk, then the client stops reading
      await new Promise((r) => setTimeout(r, 1500));
      const after = flood.flooded.bytes;
      await new Promise((r) => setTimeout(r, 500));
      // the backend is held at its socket: it waits for drain and writes no more
      expect(flood.flooded.waiting).toBe(true);
      expect(flood.flooded.bytes).toBe(after);
      expect(after).toBeLessThan(64 * 1024 * 1024);
      ac.abort();
    } finally {
      await flood.close();
    }
  });
});

describe('bridging details', () => {
  it('notifications/cancelled names the gateway id the backend saw, not the client id', async () => {
    const url = `${gw.dataUrl}/mcp-servers/raw-sse`;
    const sid = await initSession(url);
    const pending = post(url, call(777, 'stall'), { 'mcp-session-id': sid });
    await new Promise((r) => setTimeout(r, 100));
    const sent = rawSse.requests.filter((q) => q.body.includes('"stall"')).at(-1)!;
    const upstreamId = JSON.parse(sent.body).id;
    expect(upstreamId).not.toBe(777);
    const c = await post(url, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: 777, reason: 'user' } }, { 'mcp-session-id': sid });
    expect(c.status).toBe(202);
    const cancel = rawSse.requests.filter((q) => q.body.includes('notifications/cancelled') && q.body.includes('"user"')).at(-1)!;
    expect(JSON.parse(cancel.body).params).toEqual({ requestId: upstreamId, reason: 'user' });
    // the cancelled call's stream ends without an answer
    const r = await pending;
    expect(r.messages.filter((m) => m.id === 777)).toEqual([]);
  });

  it('an api-key backend credential in the query is added; the consumer api_key is removed', async () => {
    await registerProxy(gw, 'raw-key', rawHttp.address, 'streamable-http', '/mcp', { auth: { type: 'api-key', in: 'query', name: 'key', key: 'backend-key' } });
    const r = await post(`${gw.dataUrl}/mcp-servers/raw-key?api_key=consumer`, INIT);
    expect(r.status).toBe(200);
    expect(rawHttp.requests.at(-1)!.url).toBe('/mcp?key=backend-key');
  });
});

describe('many long-lived streams', () => {
  it('300 concurrent SSE sessions all open (streams do not queue behind the pool cap), then calls still work', async () => {
    const many = await startRawBackend({ mode: 'legacy' });
    try {
      await registerProxy(gw, 'many', many.address, 'sse', '/sse', { timeoutMs: 20_000 });
      const controllers: AbortController[] = [];
      const opened = await Promise.all(
        Array.from({ length: 300 }, async () => {
          const ac = new AbortController();
          controllers.push(ac);
          const res = await fetch(`${gw.dataUrl}/mcp-servers/many/sse`, { headers: { accept: 'text/event-stream' }, signal: ac.signal });
          const reader = res.body!.getReader();
          let text = '';
          while (!text.includes('\n\n')) text += new TextDecoder().decode((await reader.read()).value);
          return /data: (.*)\n/.exec(text)![1];
        }),
      );
      expect(new Set(opened).size).toBe(300);
      const r = await post(`${gw.dataUrl}${opened[299]}`, INIT);
      expect(r.status).toBe(202);
      await healthyCall();
      controllers.forEach((c) => c.abort());
    } finally {
      await many.close();
    }
  }, 60_000);
});

describe('consumer auth, tool allow-list and rate limits on proxied calls', () => {
  it('authenticates every request, enforces allowedTools and rateLimits, and never forwards the key', async () => {
    const consumer = await gw.admin('PUT', '/api/v1/consumers/alice', { name: 'alice', credentials: [{ type: 'key-auth', key: 'alice-secret-key' }] });
    expect(consumer.status).toBeLessThan(300);
    await gw.admin('PUT', '/api/v1/services/guarded', { name: 'guarded', protocol: 'mcp', endpoints: [rawHttp.address] });
    const srv = await gw.admin('PUT', '/api/v1/mcp-servers/guarded', {
      name: 'guarded',
      type: 'direct-proxy',
      description: 'guarded proxy',
      service: 'guarded',
      transport: 'streamable-http',
      path: '/mcp',
      consumerAuth: { enabled: true, allowedConsumers: ['alice'], allowedTools: { alice: ['ok', 'headers'] } },
      rateLimits: [{ requests: 2, windowSeconds: 60, tool: 'ok' }],
    });
    expect(srv.status, JSON.stringify(srv.body)).toBeLessThan(300);
    await gw.settled();
    const url = `${gw.dataUrl}/mcp-servers/guarded`;
    expect((await post(url, INIT)).status).toBe(401);
    const key = { authorization: 'Bearer alice-secret-key' };
    const sid = await initSession(url, key);
    // a session id alone is not a credential
    expect((await post(url, call(61, 'ok'), { 'mcp-session-id': sid })).status).toBe(401);
    const denied = await post(url, call(62, 'stall'), { ...key, 'mcp-session-id': sid });
    expect(denied.status).toBe(403);
    expect(denied.messages[0]).toMatchObject({ id: 62, error: { data: { code: 'TOOL_NOT_ALLOWED' } } });
    const seen = await post(url, call(63, 'headers'), { ...key, 'mcp-session-id': sid });
    const headers = JSON.parse(seen.messages[0].result.content[0].text);
    expect(JSON.stringify(headers)).not.toContain('alice-secret-key');
    expect((await post(url, call(64, 'ok'), { ...key, 'mcp-session-id': sid })).status).toBe(200);
    expect((await post(url, call(65, 'ok'), { ...key, 'mcp-session-id': sid })).status).toBe(200);
    const limited = await post(url, call(66, 'ok'), { ...key, 'mcp-session-id': sid });
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBeTruthy();
    expect(limited.messages[0]).toMatchObject({ id: 66, error: { data: { code: 'RATE_LIMITED' } } });
  });
});
