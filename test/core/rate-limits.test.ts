import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
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
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(refused.body.error.data.code).toBe('RATE_LIMITED');
    expect((await callRaw(gw, 'rl', alice, 'a', h)).status).toBe(200);
    // Server-wide: 5 calls in all (2 b + 1 refused b counted + 1 a = 4 so far).
    const bob = await openSession(gw, 'rl', { 'x-api-key': 'bob-key-0000001' });
    const hb = { 'x-api-key': 'bob-key-0000001' };
    expect((await callRaw(gw, 'rl', bob, 'b', hb)).status).toBe(200);
    expect((await callRaw(gw, 'rl', bob, 'b', hb)).status).toBe(429);
    const metrics = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toContain('mcpgw_rate_limited_total{server="rl"} 2');
  });

  it('on the SSE transport the refusal is a JSON-RPC error on the stream', async () => {
    const client = await connectClient(gw.dataUrl, 'rl', 'sse', { 'x-api-key': 'alice-key-000001' });
    await expect(client.callTool({ name: 'b', arguments: {} })).rejects.toThrow(/Rate limit exceeded/);
    await client.close();
  });
});

describe('two replicas sharing Redis share one limit', () => {
  const prefixTag = `t${process.pid}${Date.now()}`;
  let a: TestGateway;
  let b: TestGateway;
  beforeAll(async () => {
    const redis = new Redis('redis://127.0.0.1:6379');
    const keys = await redis.keys('mcpgw:rl:*');
    if (keys.length) await redis.del(...keys);
    redis.disconnect();
    a = await startGateway({ redisUrl: 'redis://127.0.0.1:6379' });
    b = await startGateway({ redisUrl: 'redis://127.0.0.1:6379' });
    for (const gw of [a, b]) {
      await gw.admin('PUT', `/api/v1/mcp-servers/shared-${prefixTag}`, { type: 'http-to-mcp', description: 'd', tools, rateLimits: [{ requests: 4, windowSeconds: 3600 }] });
      await gw.settled();
    }
  });
  afterAll(async () => {
    await a?.stop();
    await b?.stop();
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
  });
});
