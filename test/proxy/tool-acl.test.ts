import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectAt, startEverything, type RunningServer } from './support.js';

/** Per-consumer tool allow-lists on direct-proxy servers: tools/list is cut down on every endpoint. */
describe('direct proxy: tools/list shows only the tools a consumer may call', () => {
  let gw: TestGateway;
  let streamable: RunningServer;
  let sse: RunningServer;
  const key = { 'x-api-key': 'acl-alice-key-0001' };

  beforeAll(async () => {
    [streamable, sse] = await Promise.all([startEverything('streamableHttp'), startEverything('sse')]);
    gw = await startGateway();
    await gw.admin('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: key['x-api-key'] }] });
    for (const [name, backend, transport, path] of [
      ['acl-streamable', streamable, 'streamable-http', '/mcp'],
      ['acl-sse', sse, 'sse', '/sse'],
    ] as const) {
      await gw.admin('PUT', `/api/v1/services/${name}`, { protocol: 'mcp', endpoints: [backend.address] });
      const put = await gw.admin('PUT', `/api/v1/mcp-servers/${name}`, {
        type: 'direct-proxy', description: name, service: name, transport, path,
        consumerAuth: { enabled: true, allowedTools: { alice: ['echo'] } },
      });
      expect(put.status, JSON.stringify(put.body)).toBe(201);
    }
    await gw.settled();
  }, 60_000);
  afterAll(async () => {
    await gw?.stop();
    await streamable?.stop();
    await sse?.stop();
  });

  const cases: Array<[string, string, 'streamable-http' | 'sse']> = [
    ['streamable backend, bridged Streamable HTTP', '/mcp-servers/acl-streamable', 'streamable-http'],
    ['streamable backend, pass-through', '/mcp-servers/acl-streamable/mcp', 'streamable-http'],
    ['streamable backend, bridged SSE', '/mcp-servers/acl-streamable/sse', 'sse'],
    ['SSE backend, bridged Streamable HTTP', '/mcp-servers/acl-sse', 'streamable-http'],
    ['SSE backend, pass-through', '/mcp-servers/acl-sse/sse', 'sse'],
  ];
  for (const [label, path, kind] of cases) {
    it(label, async () => {
      const c = await connectAt(`${gw.dataUrl}${path}`, kind, key);
      try {
        const { tools } = await c.client.listTools();
        expect(tools.map((t) => t.name)).toEqual(['echo']);
        const r = await c.client.callTool({ name: 'echo', arguments: { message: 'hi' } });
        expect(JSON.stringify(r.content)).toContain('hi');
        await expect(c.client.callTool({ name: 'get-sum', arguments: { a: 1, b: 2 } })).rejects.toThrow(/may not call tool/);
      } finally {
        await c.close();
      }
    });
  }
});
