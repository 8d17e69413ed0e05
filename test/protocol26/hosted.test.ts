import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startBackend, type TestBackend } from '../support/backend.js';
import { connectClient } from '../support/mcp-client.js';
import { Mcp2026Client, Mcp2026Error, Subscription } from '../support/mcp2026-client.js';

const TOOLS = `server:
  name: pets
tools:
  - name: getPet
    description: Get a pet by id
    args:
      - name: id
        type: integer
        required: true
        position: path
    requestTemplate:
      url: /pets/{id}
      method: GET
  - name: slow
    description: Answers only when the test lets it
    args: []
    requestTemplate:
      url: /slow
      method: GET
`;

describe('HTTP-to-MCP servers speak MCP 2026-07-28 natively', () => {
  let gw: TestGateway;
  let backend: TestBackend;
  let url: string;
  let slowClosed: Promise<void>;

  beforeAll(async () => {
    backend = await startBackend();
    slowClosed = new Promise((resolve) => backend.on('/slow', (_req, res) => res.once('close', () => resolve())));
    gw = await startGateway();
    expect((await gw.admin('POST', '/api/v1/services', { name: 'pets-backend', protocol: 'http', endpoints: [backend.address] })).status).toBe(201);
    expect((await gw.admin('POST', '/api/v1/mcp-servers', { name: 'pets', type: 'http-to-mcp', description: 'Pets', service: 'pets-backend', tools: TOOLS })).status).toBe(201);
    await gw.settled();
    url = `${gw.dataUrl}/mcp-servers/pets`;
  });
  afterAll(async () => {
    await gw?.stop();
    await backend?.close();
  });

  it('answers server/discover with every version, capabilities and identity, and no session id', async () => {
    const c = new Mcp2026Client(url);
    const raw = await c.post('server/discover');
    expect(raw.status).toBe(200);
    expect(raw.headers.get('mcp-session-id')).toBeNull();
    const r = raw.body!.result!;
    expect(r.resultType).toBe('complete');
    expect(r.supportedVersions).toEqual(['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);
    expect(r.capabilities).toEqual({ tools: { listChanged: true }, prompts: {}, resources: {} });
    expect((r._meta as Record<string, unknown>)['io.modelcontextprotocol/serverInfo']).toMatchObject({ name: 'pets' });
    expect(typeof r.ttlMs).toBe('number');
  });

  it('lists and calls tools statelessly; every result carries resultType', async () => {
    const c = new Mcp2026Client(url);
    const tools = await c.listTools();
    expect(tools.map((t) => t.name)).toEqual(['getPet', 'slow']);
    const list = await c.request('tools/list');
    expect(list).toMatchObject({ resultType: 'complete', cacheScope: 'public' });
    const result = await c.callTool('getPet', { id: 7 });
    expect(result.resultType).toBe('complete');
    expect(JSON.stringify(result.content)).toContain('/pets/7');
    expect(backend.requests.some((r) => r.path === '/pets/7')).toBe(true);
  });

  it('refuses header/body mismatches with 400 and -32020', async () => {
    const c = new Mcp2026Client(url);
    const wrongMethod = await c.post('tools/list', {}, { headers: { 'Mcp-Method': 'prompts/list' } });
    expect(wrongMethod.status).toBe(400);
    expect(wrongMethod.body!.error!.code).toBe(-32020);
    const noMethod = await c.post('tools/list', {}, { headers: { 'Mcp-Method': undefined } });
    expect([noMethod.status, noMethod.body!.error!.code]).toEqual([400, -32020]);
    const wrongName = await c.post('tools/call', { name: 'getPet', arguments: { id: 1 } }, { headers: { 'Mcp-Name': 'slow' } });
    expect([wrongName.status, wrongName.body!.error!.code]).toEqual([400, -32020]);
    const versionVsMeta = await c.post('tools/list', {}, { headers: { 'MCP-Protocol-Version': '2025-11-25' } });
    expect([versionVsMeta.status, versionVsMeta.body!.error!.code]).toEqual([400, -32020]);
    // The base64 form of the name is decoded before comparing.
    const encoded = await c.post('tools/call', { name: 'getPet', arguments: { id: 2 } }, { headers: { 'Mcp-Name': `=?base64?${Buffer.from('getPet').toString('base64')}?=` } });
    expect(encoded.status).toBe(200);
    const badBase64 = await c.post('tools/call', { name: 'getPet', arguments: { id: 2 } }, { headers: { 'Mcp-Name': '=?base64?Z2V0UGV?=' } });
    expect([badBase64.status, badBase64.body!.error!.code]).toEqual([400, -32020]);
  });

  it('refuses an unsupported version with 400 and -32022 listing the supported ones', async () => {
    const c = new Mcp2026Client(url, { version: '2099-01-01' });
    const raw = await c.post('tools/list');
    expect(raw.status).toBe(400);
    expect(raw.body!.error!.code).toBe(-32022);
    expect(raw.body!.error!.data).toMatchObject({ requested: '2099-01-01', supported: expect.arrayContaining(['2026-07-28']) });
    expect(raw.body!.id).not.toBeNull();
  });

  it('answers unknown and removed methods with 404 and -32601', async () => {
    const c = new Mcp2026Client(url);
    for (const method of ['nope/nothing', 'ping', 'logging/setLevel', 'resources/subscribe']) {
      const raw = await c.post(method, method === 'logging/setLevel' ? { level: 'info' } : {});
      expect([method, raw.status, raw.body!.error!.code]).toEqual([method, 404, -32601]);
    }
  });

  it('refuses a request without _meta with 400 and -32602', async () => {
    const c = new Mcp2026Client(url);
    const raw = await c.post('tools/list', {}, { rawParams: true });
    expect([raw.status, raw.body!.error!.code]).toEqual([400, -32602]);
  });

  it('cancels the backend call when the client closes the response stream', async () => {
    const c = new Mcp2026Client(url);
    const call = c.startCall('slow');
    while (!backend.requests.some((r) => r.path === '/slow')) await new Promise((r) => setTimeout(r, 20));
    call.cancel();
    await slowClosed;
  });

  it('tells a listen stream when the tools change, tagged with its subscription', async () => {
    const c = new Mcp2026Client(url);
    const sub = await c.listen({ toolsListChanged: true, promptsListChanged: true });
    expect(sub.acknowledged).toMatchObject({ method: 'notifications/subscriptions/acknowledged', params: { notifications: { toolsListChanged: true } } });
    expect((sub.acknowledged!.params as Record<string, unknown>).notifications).toEqual({ toolsListChanged: true });
    expect(Subscription.subscriptionOf(sub.acknowledged!)).toBe(sub.id);
    const more = TOOLS.replace('  - name: slow', '  - name: getOwner\n    description: Owner\n    args: []\n    requestTemplate:\n      url: /owner\n      method: GET\n  - name: slow');
    expect((await gw.admin('PUT', '/api/v1/mcp-servers/pets', { name: 'pets', type: 'http-to-mcp', description: 'Pets', service: 'pets-backend', tools: more })).status).toBe(200);
    const n = await sub.next('notifications/tools/list_changed');
    expect(Subscription.subscriptionOf(n)).toBe(sub.id);
    expect((await c.listTools()).map((t) => t.name)).toContain('getOwner');
    sub.close();
  });

  it('serves an old client (SDK 1.32, initialize + session) on the same endpoint', async () => {
    const client = await connectClient(gw.dataUrl, 'pets', 'streamable-http');
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('getPet');
    expect('resultType' in (await client.listTools())).toBe(false);
    const result = await client.callTool({ name: 'getPet', arguments: { id: 3 } });
    expect(JSON.stringify(result.content)).toContain('/pets/3');
    expect('resultType' in result).toBe(false);
    await client.close();
  });

  it('ends a listen stream with a closing result when its server is deleted', async () => {
    const spec = { name: 'short-lived', type: 'http-to-mcp', description: 'd', service: 'pets-backend', tools: TOOLS };
    expect((await gw.admin('POST', '/api/v1/mcp-servers', spec)).status).toBe(201);
    await gw.settled();
    const sub = await new Mcp2026Client(`${gw.dataUrl}/mcp-servers/short-lived`).listen({ toolsListChanged: true });
    expect((await gw.admin('DELETE', '/api/v1/mcp-servers/short-lived')).status).toBe(204);
    await sub.ended();
    expect(sub.closedWith).toEqual({ jsonrpc: '2.0', id: sub.id, result: { resultType: 'complete', _meta: { 'io.modelcontextprotocol/subscriptionId': sub.id } } });
  });

  it('the 2026-07-28 client errors surface as Mcp2026Error', async () => {
    const c = new Mcp2026Client(url);
    await expect(c.request('nope/nothing')).rejects.toBeInstanceOf(Mcp2026Error);
  });
});
