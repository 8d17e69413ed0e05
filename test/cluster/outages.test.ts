import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dropRedisPrefix, freshDatabase, INIT, PG_URL, REDIS_URL, rotatingFetch, rpc, startOwnRedis, startTcpCut, tag, waitFor } from './support.js';

const TOOLS = 'server:\n  name: echo\ntools:\n  - name: hello\n    description: says hello\n    responseTemplate: { body: hello }\n';

async function readiness(gw: TestGateway): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gw.dataUrl}/readyz`);
  return { status: res.status, body: await res.json() };
}

async function callHello(base: string, sid: string): Promise<number> {
  const res = await rpc(`${base}/mcp-servers/echo`, { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'hello', arguments: {} } }, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' });
  return res.body?.result?.content?.[0]?.text === 'hello' ? res.status : -res.status;
}

async function legacyClient(gws: TestGateway[]): Promise<Client> {
  const transport = new SSEClientTransport(new URL(`${gws[0].dataUrl}/mcp-servers/echo/sse`), { fetch: rotatingFetch(() => gws.map((g) => g.dataUrl)) });
  const client = new Client({ name: 'legacy', version: '1' });
  await client.connect(transport);
  return client;
}

// Redis restarted under two replicas: this test's own redis-server on a random port, never the shared one.
describe('Redis restarted mid-test', () => {
  let redis: Awaited<ReturnType<typeof startOwnRedis>>;
  let gws: TestGateway[] = [];

  beforeAll(async () => {
    redis = await startOwnRedis();
    const shared = { redisUrl: redis.url, redisPrefix: `mcpgw-test:${tag()}:`, secretKey: randomBytes(32).toString('base64') };
    gws = [await startGateway(shared), await startGateway(shared)];
    for (const gw of gws) {
      expect((await gw.admin('PUT', '/api/v1/mcp-servers/echo', { type: 'http-to-mcp', description: 'd', tools: TOOLS })).status).toBeLessThan(300);
      await gw.settled();
    }
  }, 60_000);

  afterAll(async () => {
    await Promise.all(gws.map((g) => g.stop()));
    await redis?.stop();
  });

  it('sessions keep working while Redis is down, readiness says so, and everything resumes without restarting replicas', async () => {
    const [a, b] = gws;
    const sid = (await rpc(`${a.dataUrl}/mcp-servers/echo`, INIT)).sid!;
    expect(await callHello(b.dataUrl, sid)).toBe(200);
    const before = await legacyClient(gws);
    expect((await before.callTool({ name: 'hello', arguments: {} })).isError).toBeFalsy();
    await before.close();
    expect((await readiness(a)).status).toBe(200);

    await redis.stop();
    const down = await waitFor(async () => {
      const r = await readiness(b);
      return r.status === 503 ? r : undefined;
    }, 5_000);
    expect(down.body).toMatchObject({ status: 'degraded', checks: { redis: 'unavailable' } });
    // Streamable HTTP sessions need no Redis to move between replicas: the id carries them.
    expect(await callHello(a.dataUrl, sid)).toBe(200);
    expect(await callHello(b.dataUrl, sid)).toBe(200);
    const fresh = (await rpc(`${b.dataUrl}/mcp-servers/echo`, INIT)).sid!;
    expect(await callHello(a.dataUrl, fresh)).toBe(200);

    redis = await startOwnRedis(redis.port);
    for (const gw of gws) await waitFor(async () => (await readiness(gw)).status === 200, 15_000, 100);
    // Relayed legacy SSE and cluster-wide DELETE work again on the same replicas.
    await waitFor(async () => {
      const client = await legacyClient(gws);
      try {
        for (let i = 0; i < 2; i++) if ((await client.callTool({ name: 'hello', arguments: {} })).isError) return false;
        return true;
      } finally {
        await client.close();
      }
    }, 10_000, 200);
    const del = await fetch(`${a.dataUrl}/mcp-servers/echo`, { method: 'DELETE', headers: { 'mcp-session-id': sid } });
    expect(del.status).toBe(200);
    expect(await callHello(b.dataUrl, sid)).toBe(-404);
  }, 60_000);
});

// PostgreSQL briefly unreachable (a TCP relay this test cuts; the shared server is never touched).
describe('PostgreSQL briefly unavailable', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let cut: Awaited<ReturnType<typeof startTcpCut>>;
  let gws: TestGateway[] = [];
  const prefix = `mcpgw-test:${tag()}:`;

  beforeAll(async () => {
    db = await freshDatabase();
    cut = await startTcpCut(Number(new URL(PG_URL).port || 5432));
    const url = new URL(db.url);
    url.port = String(cut.port);
    const shared = { databaseUrl: url.toString(), redisUrl: REDIS_URL, redisPrefix: prefix, secretKey: randomBytes(32).toString('base64') };
    gws = [await startGateway(shared), await startGateway(shared)];
    expect((await gws[0].admin('PUT', '/api/v1/mcp-servers/echo', { type: 'http-to-mcp', description: 'd', tools: TOOLS })).status).toBeLessThan(300);
    await waitFor(async () => (await rpc(`${gws[1].dataUrl}/mcp-servers/echo`, INIT)).status === 200, 5_000);
  }, 60_000);

  afterAll(async () => {
    await Promise.all(gws.map((g) => g.stop()));
    await cut?.close();
    await db?.drop();
    await dropRedisPrefix(prefix);
  }, 30_000);

  it('replicas serve from their snapshot, report not ready, and pick up changes again once it is back', async () => {
    const [a, b] = gws;
    const sid = (await rpc(`${a.dataUrl}/mcp-servers/echo`, INIT)).sid!;
    await cut.cut();
    const down = await waitFor(async () => {
      const r = await readiness(a);
      return r.status === 503 ? r : undefined;
    }, 5_000, 100);
    expect(down.body).toMatchObject({ status: 'degraded', checks: { store: 'unavailable', redis: 'ok' } });
    expect(await callHello(a.dataUrl, sid)).toBe(200);
    expect(await callHello(b.dataUrl, sid)).toBe(200);
    const refused = await a.admin('PUT', '/api/v1/mcp-servers/late', { type: 'http-to-mcp', description: 'd', tools: TOOLS });
    expect(refused.status).toBeGreaterThanOrEqual(500);

    await cut.restore();
    for (const gw of gws) await waitFor(async () => (await readiness(gw)).status === 200, 15_000, 100);
    const put = await a.admin('PUT', '/api/v1/mcp-servers/after', { type: 'http-to-mcp', description: 'd', tools: TOOLS });
    expect(put.status).toBeLessThan(300);
    await waitFor(async () => (await rpc(`${b.dataUrl}/mcp-servers/after`, INIT)).status === 200, 10_000, 50);
  }, 60_000);
});
