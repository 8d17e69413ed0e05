import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectClient } from '../support/mcp-client.js';
import { Mcp2026Client } from '../support/mcp2026-client.js';

const TOOLS = `server:
  name: guarded
tools:
  - name: open
    description: Anyone allowed may call it
    responseTemplate: { body: OPEN }
  - name: secret
    description: Only for alice
    responseTemplate: { body: SECRET }
  - name: lookup
    description: A region mirrored into a header
    args:
      - name: region
        type: string
        required: true
        x-mcp-header: Region
      - name: count
        type: integer
        x-mcp-header: Count
    responseTemplate: { body: "{{.args.region}}" }
`;

/** The value of one sample line of the Prometheus text, or 0 when absent. */
function sample(metrics: string, prefix: string): number {
  const line = metrics.split('\n').find((l) => l.startsWith(prefix));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

describe('2026-07-28 clients meet the same consumer auth, tool ACLs, rate limits and metrics', () => {
  let gw: TestGateway;
  let url: string;
  const alice = { 'x-api-key': 'alice-key-2026-01' };
  const bob = { 'x-api-key': 'bob-key-2026-0001' };

  beforeAll(async () => {
    gw = await startGateway();
    await gw.admin('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: alice['x-api-key'] }] });
    await gw.admin('PUT', '/api/v1/consumers/bob', { credentials: [{ type: 'key-auth', key: bob['x-api-key'] }] });
    const put = await gw.admin('PUT', '/api/v1/mcp-servers/guarded', {
      type: 'http-to-mcp',
      description: 'd',
      tools: TOOLS,
      consumerAuth: { enabled: true, allowedTools: { bob: ['open', 'lookup'] } },
      rateLimits: [{ requests: 3, windowSeconds: 3600, consumer: 'bob', tool: 'open' }],
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    await gw.settled();
    url = `${gw.dataUrl}/mcp-servers/guarded`;
  });
  afterAll(async () => gw?.stop());

  it('refuses a request without credentials before looking at it', async () => {
    const raw = await new Mcp2026Client(url).post('tools/list');
    expect(raw.status).toBe(401);
  });

  it('shows and lets call only the allowed tools; lists are private to the consumer', async () => {
    const b = new Mcp2026Client(url, { headers: bob });
    const list = await b.request('tools/list');
    expect((list.tools as Array<{ name: string }>).map((t) => t.name)).toEqual(['open', 'lookup']);
    expect(list.cacheScope).toBe('private');
    const refused = await b.post('tools/call', { name: 'secret', arguments: {} });
    expect(refused.body!.error!.data).toMatchObject({ code: 'TOOL_NOT_ALLOWED' });
    const a = new Mcp2026Client(url, { headers: alice });
    expect((await a.callTool('secret')).content).toEqual([{ type: 'text', text: 'SECRET' }]);
  });

  it('rate-limits per consumer and tool with 429 and Retry-After, and counts the calls in metrics', async () => {
    const before = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    const b = new Mcp2026Client(url, { headers: bob });
    for (let i = 0; i < 3; i++) expect((await b.post('tools/call', { name: 'open', arguments: {} })).status).toBe(200);
    const limited = await b.post('tools/call', { name: 'open', arguments: {} });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(limited.body!.error!.data).toMatchObject({ code: 'RATE_LIMITED' });
    const after = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    const calls = 'mcpgw_tool_calls_total{server="guarded",tool="open",consumer="bob",outcome="ok"}';
    expect(sample(after, calls) - sample(before, calls)).toBe(3);
    const limitedCount = 'mcpgw_rate_limited_total{server="guarded",scope="consumer_tool"}';
    expect(sample(after, limitedCount) - sample(before, limitedCount)).toBe(1);
  });

  it('checks x-mcp-header parameters: the header must come and match the argument', async () => {
    const b = new Mcp2026Client(url, { headers: bob });
    await b.listTools();
    // The client mirrors region (and count) into Mcp-Param-* headers from the tool's schema.
    expect((await b.callTool('lookup', { region: 'Zürich', count: 42 })).content).toEqual([{ type: 'text', text: 'Zürich' }]);
    const missing = await b.post('tools/call', { name: 'lookup', arguments: { region: 'eu' } }, { headers: { 'Mcp-Param-Region': undefined } });
    expect([missing.status, missing.body!.error!.code]).toEqual([400, -32020]);
    const wrong = await b.post('tools/call', { name: 'lookup', arguments: { region: 'eu' } }, { headers: { 'Mcp-Param-Region': 'us' } });
    expect([wrong.status, wrong.body!.error!.code]).toEqual([400, -32020]);
    const numeric = await b.post('tools/call', { name: 'lookup', arguments: { region: 'eu', count: 42 } }, { headers: { 'Mcp-Param-Count': '42.0' } });
    expect(numeric.status).toBe(200);
    const notNumber = await b.post('tools/call', { name: 'lookup', arguments: { region: 'eu', count: 42 } }, { headers: { 'Mcp-Param-Count': '41' } });
    expect([notNumber.status, notNumber.body!.error!.code]).toEqual([400, -32020]);
  });

  it('an old client with the same credential is treated the same', async () => {
    const client = await connectClient(gw.dataUrl, 'guarded', 'streamable-http', bob);
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['open', 'lookup']);
    await expect(client.callTool({ name: 'open', arguments: {} })).rejects.toThrow(/Rate limit exceeded/);
    await client.close();
  });

  it('refuses a tool whose x-mcp-header breaks the rules when it is configured', async () => {
    const bad = TOOLS.replace('x-mcp-header: Count', 'x-mcp-header: Region');
    const put = await gw.admin('PUT', '/api/v1/mcp-servers/bad-headers', { type: 'http-to-mcp', description: 'd', tools: bad });
    expect(put.status).toBe(422);
    expect(JSON.stringify(put.body)).toContain('TOOL_CONFIG_INPUT_SCHEMA');
    expect(JSON.stringify(put.body)).toContain('x-mcp-header');
  });
});
