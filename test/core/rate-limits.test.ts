import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { startBackend, type TestBackend } from '../support/backend.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectClient } from '../support/mcp-client.js';

const tools = 'server:\n  name: rl\ntools:\n  - name: a\n    description: a\n    responseTemplate: { body: A }\n  - name: b\n    description: b\n    responseTemplate: { body: B }\n';

async function callRaw(gw: TestGateway, server: string, sid: string, tool: string, headers: Record<string, string> = {}) {
  const res = await fetch(`${gw.dataUrl}/mcp-servers/${server}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/call', params: { name: tool, arguments: {} } }),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
}

async function openSession(gw: TestGateway, server: string, headers: Record<string, string> = {}): Promise<string> {
  const res = await fetch(`${gw.dataUrl}/mcp-servers/${server}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
  });
  await res.text();
  return res.headers.get('mcp-session-id')!;
}

describe('rate limits hold exactly', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
    await gw.admin('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: 'alice-key-000001' }] });
    await gw.admin('PUT', '/api/v1/consumers/bob', { credentials: [{ type: 'key-auth', key: 'bob-key-0000001' }] });
    const put = await gw.admin('PUT', '/api/v1/mcp-servers/rl', {
      type: 'http-to-mcp', description: 'd', tools,
      consumerAuth: { enabled: true },
      rateLimits: [{ requests: 5, windowSeconds: 3600 }, { requests: 2, windowSeconds: 3600, consumer: 'alice', tool: 'b' }],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    await gw.settled();
  });
  afterAll(async () => gw?.stop());

  it('per consumer and tool: 2 allowed, the 3rd refused with 429 and Retry-After; other tools and consumers unaffected', async () => {
    const alice = await openSession(gw, 'rl', { 'x-api-key': 'alice-key-000001' });
    const h = { 'x-api-key': 'alice-key-000001' };
    expect((await callRaw(gw, 'rl', alice, 'b', h)).status).toBe(200);
    expect((await callRaw(gw, 'rl', alice, 'b', h)).status).toBe(200);
    const refused = await callRaw(gw, 'rl', alice, 'b', h);
    expect(refused.status).toBe(429);
    // 2 per hour: the bucket gets a token back every 1800 s.
    expect(refused.retryAfter).toBe('1800');
    expect(refused.body.error.data.code).toBe('RATE_LIMITED');
    expect((await callRaw(gw, 'rl', alice, 'a', h)).status).toBe(200);
    // Server-wide: 5 tokens (2 b + the refused b, which took the server rule's token before the consumer rule refused, + 1 a = 4 so far).
    const bob = await openSession(gw, 'rl', { 'x-api-key': 'bob-key-0000001' });
    const hb = { 'x-api-key': 'bob-key-0000001' };
    expect((await callRaw(gw, 'rl', bob, 'b', hb)).status).toBe(200);
    expect((await callRaw(gw, 'rl', bob, 'b', hb)).status).toBe(429);
    const metrics = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toContain('mcpgw_rate_limited_total{server="rl",scope="consumer_tool"} 1');
    expect(metrics).toContain('mcpgw_rate_limited_total{server="rl",scope="server"} 1');
  });

  it('token bucket: one token comes back after window/N', async () => {
    await checkRefill([gw, gw], 'refill');
  });

  it('on the SSE transport the refusal is a JSON-RPC error on the stream', async () => {
    const client = await connectClient(gw.dataUrl, 'rl', 'sse', { 'x-api-key': 'alice-key-000001' });
    await expect(client.callTool({ name: 'b', arguments: {} })).rejects.toThrow(/Rate limit exceeded/);
    await client.close();
  });
});

/** 2 calls per 2 s: a burst of 2, then one token back every second (a fixed window would give both back at once). */
async function checkRefill(gws: [TestGateway, TestGateway], name: string): Promise<void> {
  for (const gw of new Set(gws)) {
    await gw.admin('PUT', `/api/v1/mcp-servers/${name}`, { type: 'http-to-mcp', description: 'd', tools, rateLimits: [{ requests: 2, windowSeconds: 2 }] });
    await gw.settled();
  }
  const sids = [await openSession(gws[0], name), await openSession(gws[1], name)];
  const call = (i: number) => callRaw(gws[i % 2], name, sids[i % 2], 'a');
  expect((await call(0)).status).toBe(200);
  expect((await call(1)).status).toBe(200);
  const refused = await call(0);
  expect(refused.status).toBe(429);
  expect(refused.retryAfter).toBe('1');
  await new Promise((r) => setTimeout(r, 1100));
  expect((await call(1)).status).toBe(200);
  expect((await call(0)).status).toBe(429);
}

describe('two replicas sharing Redis share one limit', () => {
  const prefix = `mcpgw-test-${randomUUID()}:`;
  const prefixTag = `t${process.pid}${Date.now()}`;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    a = await startGateway({ redisUrl: 'redis://127.0.0.1:6379', redisPrefix: prefix });
    b = await startGateway({ redisUrl: 'redis://127.0.0.1:6379', redisPrefix: prefix });
    for (const gw of [a, b]) {
      await gw.admin('PUT', `/api/v1/mcp-servers/shared-${prefixTag}`, { type: 'http-to-mcp', description: 'd', tools, rateLimits: [{ requests: 4, windowSeconds: 3600 }] });
      await gw.settled();
    }
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    await dropKeys(prefix);
  });

  it('allows exactly N calls across both and refuses the N+1th', async () => {
    const name = `shared-${prefixTag}`;
    const sa = await openSession(a, name);
    const sb = await openSession(b, name);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await callRaw(i % 2 ? b : a, name, i % 2 ? sb : sa, 'a')).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    expect((await callRaw(a, name, sa, 'a')).status).toBe(429);
    expect((await callRaw(b, name, sb, 'a')).status).toBe(429);
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys(`${prefix}*`);
    redis.disconnect();
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.every((k) => k.startsWith(`${prefix}rl:`))).toBe(true);
  });

  it('token bucket shared by both: one token comes back after window/N', async () => {
    await checkRefill([a, b], `refill-${prefixTag}`);
    const redis = new Redis('redis://127.0.0.1:6379');
    const ttl = await redis.pttl((await redis.keys(`${prefix}rl:b:refill-*`))[0]);
    redis.disconnect();
    // The bucket key expires once it would be full again (at most the 2 s window).
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(2001);
  });
});

async function dropKeys(prefix: string): Promise<void> {
  const redis = new Redis('redis://127.0.0.1:6379');
  const keys = await redis.keys(`${prefix}*`);
  if (keys.length) await redis.del(...keys);
  redis.disconnect();
}

/** A REST backend whose /slow answers wait until the test lets them go. */
async function startSlowBackend(): Promise<{ backend: TestBackend; arrived(n: number): Promise<void>; releaseAll(): void }> {
  const backend = await startBackend();
  let waiting: Array<() => void> = [];
  backend.on('/slow', (_r, res) => void waiting.push(() => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}')));
  return {
    backend,
    async arrived(n) {
      for (let i = 0; i < 500 && waiting.length < n; i++) await new Promise((r) => setTimeout(r, 10));
      expect(waiting.length).toBe(n);
    },
    releaseAll() {
      const w = waiting;
      waiting = [];
      for (const f of w) f();
    },
  };
}

const slowTools = 'server:\n  name: slow\ntools:\n  - name: slow\n    description: waits\n    requestTemplate: { url: /slow, method: GET }\n  - name: a\n    description: a\n    responseTemplate: { body: A }\n';

async function slowServer(gw: TestGateway, name: string, backend: TestBackend): Promise<void> {
  await gw.admin('PUT', `/api/v1/services/${name}-svc`, { protocol: 'http', endpoints: [backend.address] });
  const put = await gw.admin('PUT', `/api/v1/mcp-servers/${name}`, { type: 'http-to-mcp', description: 'd', service: `${name}-svc`, tools: slowTools, rateLimits: [{ requests: 1000, windowSeconds: 60, tool: 'slow', concurrent: 2 }] });
  expect(put.status, JSON.stringify(put.body)).toBe(201);
  await gw.settled();
}

describe('concurrent-call limits hold exactly', () => {
  let slow: Awaited<ReturnType<typeof startSlowBackend>>;
  beforeAll(async () => {
    slow = await startSlowBackend();
  });
  afterAll(async () => slow?.backend.close());

  it('one replica: 2 calls in flight, the 3rd refused with 429 and Retry-After, other tools unaffected, a slot frees when a call ends', async () => {
    const gw = await startGateway();
    try {
      await slowServer(gw, 'conc', slow.backend);
      const sid = await openSession(gw, 'conc');
      const inFlight = [callRaw(gw, 'conc', sid, 'slow'), callRaw(gw, 'conc', sid, 'slow')];
      await slow.arrived(2);
      const refused = await callRaw(gw, 'conc', sid, 'slow');
      expect(refused.status).toBe(429);
      expect(refused.retryAfter).toBe('1');
      expect(refused.body.error.data.code).toBe('RATE_LIMITED');
      expect(refused.body.error.message).toContain('2 concurrent calls');
      expect((await callRaw(gw, 'conc', sid, 'a')).status).toBe(200);
      slow.releaseAll();
      expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200]);
      const again = callRaw(gw, 'conc', sid, 'slow');
      await slow.arrived(1);
      slow.releaseAll();
      expect((await again).status).toBe(200);
      const metrics = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
      expect(metrics).toContain('mcpgw_rate_limited_total{server="conc",scope="tool"} 1');
    } finally {
      slow.releaseAll();
      await gw.stop();
    }
  });

  it('two replicas sharing Redis: the slots are shared, and freed when calls end', async () => {
    const prefix = `mcpgw-test-${randomUUID()}:`;
    const a = await startGateway({ redisUrl: 'redis://127.0.0.1:6379', redisPrefix: prefix });
    const b = await startGateway({ redisUrl: 'redis://127.0.0.1:6379', redisPrefix: prefix });
    try {
      await slowServer(a, 'conc2', slow.backend);
      await slowServer(b, 'conc2', slow.backend);
      const sa = await openSession(a, 'conc2');
      const sb = await openSession(b, 'conc2');
      const inFlight = [callRaw(a, 'conc2', sa, 'slow'), callRaw(b, 'conc2', sb, 'slow')];
      await slow.arrived(2);
      expect((await callRaw(a, 'conc2', sa, 'slow')).status).toBe(429);
      expect((await callRaw(b, 'conc2', sb, 'slow')).status).toBe(429);
      slow.releaseAll();
      expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200]);
      // release is sent after the answer: wait until both slots are back in Redis
      const redis = new Redis('redis://127.0.0.1:6379');
      // (an empty sorted set is deleted by Redis)
      for (let i = 0; i < 100 && (await redis.keys(`${prefix}rl:c:*`)).length > 0; i++) await new Promise((r) => setTimeout(r, 10));
      expect(await redis.keys(`${prefix}rl:c:*`)).toEqual([]);
      redis.disconnect();
      const next = [callRaw(b, 'conc2', sb, 'slow'), callRaw(a, 'conc2', sa, 'slow')];
      await slow.arrived(2);
      slow.releaseAll();
      expect((await Promise.all(next)).map((r) => r.status)).toEqual([200, 200]);
    } finally {
      slow.releaseAll();
      await a.stop();
      await b.stop();
      await dropKeys(prefix);
    }
  });
});
