import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { dropRedisPrefix, INIT, REDIS_URL, rpc, tag } from './support.js';

const TOOLS = 'server:\n  name: capped\ntools:\n  - name: hello\n    description: says hello\n    responseTemplate: { body: hello }\n';
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a session cap shared by two replicas through Redis', () => {
  let gws: TestGateway[] = [];
  const prefix = `mcpgw-test:${tag()}:`;

  beforeAll(async () => {
    const shared = { redisUrl: REDIS_URL, redisPrefix: prefix, secretKey: randomBytes(32).toString('base64'), clusterMaxSessions: 3 };
    gws = [await startGateway(shared), await startGateway(shared)];
    for (const gw of gws) {
      expect((await gw.admin('PUT', '/api/v1/mcp-servers/capped', { type: 'http-to-mcp', description: 'd', tools: TOOLS })).status).toBeLessThan(300);
      await gw.settled();
    }
  }, 30_000);

  afterAll(async () => {
    await Promise.all(gws.map((g) => g.stop()));
    await dropRedisPrefix(prefix);
  });

  it('counts sessions of every replica, refuses the one over the cap with 503 SESSION_LIMIT, and frees a place on DELETE', async () => {
    const [a, b] = gws;
    const first = await rpc(`${a.dataUrl}/mcp-servers/capped`, INIT);
    const second = await rpc(`${b.dataUrl}/mcp-servers/capped`, INIT);
    const third = await rpc(`${b.dataUrl}/mcp-servers/capped`, INIT);
    expect([first.status, second.status, third.status]).toEqual([200, 200, 200]);
    // Each replica re-reads the cluster-wide count every second.
    await pause(1300);
    const refused = await rpc(`${a.dataUrl}/mcp-servers/capped`, INIT);
    expect(refused.status).toBe(503);
    expect(refused.body.error.data.code).toBe('SESSION_LIMIT');
    expect(refused.body.error.message).toContain('cluster');
    const legacy = await fetch(`${a.dataUrl}/mcp-servers/capped/sse`, { headers: { accept: 'text/event-stream' } });
    expect(legacy.status).toBe(503);
    await legacy.body?.cancel();

    expect((await fetch(`${a.dataUrl}/mcp-servers/capped`, { method: 'DELETE', headers: { 'mcp-session-id': second.sid! } })).status).toBe(200);
    await pause(1300);
    expect((await rpc(`${a.dataUrl}/mcp-servers/capped`, INIT)).status).toBe(200);
  }, 20_000);
});
