import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startBackend, type TestBackend } from '../support/backend.js';
import { connectClient } from '../support/mcp-client.js';
import { startConformanceFixture, type ConformanceFixture } from '../proxy/conformance-fixture.js';

interface ToolDef {
  name: string;
  description: string;
  args: string[];
}

/** Three servers with distinct vocabularies; billing is limited to alice, and alice may not refund. */
const SERVERS: Record<string, { description: string; tools: ToolDef[]; consumerAuth?: Record<string, unknown> }> = {
  weather: {
    description: 'Weather service',
    tools: [
      { name: 'get_forecast', description: 'Weather forecast for a city for the next days', args: ['city', 'days'] },
      { name: 'get_alerts', description: 'Severe weather warnings in a region', args: ['region'] },
    ],
  },
  pets: {
    description: 'Pet store',
    tools: [
      { name: 'findPets', description: 'Search pets in the store by species', args: ['species', 'maxAge'] },
      { name: 'adopt_pet', description: 'Reserve a pet for adoption', args: ['petId', 'ownerName'] },
    ],
  },
  billing: {
    description: 'Billing and invoices',
    tools: [
      { name: 'create_invoice', description: 'Create an invoice for a customer', args: ['customer', 'amount'] },
      { name: 'refund_payment', description: 'Refund a payment to a customer', args: ['paymentId', 'amount'] },
    ],
    consumerAuth: { enabled: true, allowedConsumers: ['alice'], allowedTools: { alice: ['create_invoice'] } },
  },
};

function toolYaml(server: string, tools: ToolDef[]): string {
  const lines = [`server:\n  name: ${server}\ntools:`];
  for (const t of tools) {
    lines.push(`  - name: ${t.name}\n    description: ${t.description}\n    args:`);
    for (const a of t.args) lines.push(`      - name: ${a}\n        description: the ${a}\n        type: string`);
    lines.push(`    requestTemplate:\n      url: /${server}/${t.name}\n      method: POST\n      argsToJsonBody: true`);
  }
  return `${lines.join('\n')}\n`;
}

const KEYS = { alice: 'alice-router-key-1', bob: 'bob-router-key-2' } as const;

type Hit = { server: string; tool: string; score: number; inputSchema: { properties?: Record<string, unknown> } };

async function searchTools(client: Client, query: string, extra: Record<string, unknown> = {}): Promise<Hit[]> {
  const r = (await client.callTool({ name: 'search_tools', arguments: { query, ...extra } })) as { isError?: boolean; content: Array<{ text: string }> };
  expect(r.isError, r.content[0]?.text).toBeFalsy();
  return (JSON.parse(r.content[0].text) as { results: Hit[] }).results;
}

describe('MCP router', () => {
  let gw: TestGateway;
  let backend: TestBackend;
  let fixture: ConformanceFixture;
  const clients: Client[] = [];

  beforeAll(async () => {
    backend = await startBackend();
    fixture = await startConformanceFixture();
    gw = await startGateway();
    await gw.admin('PUT', '/api/v1/services/api', { protocol: 'http', endpoints: [backend.address] });
    for (const [name, key] of Object.entries(KEYS)) await gw.admin('PUT', `/api/v1/consumers/${name}`, { credentials: [{ type: 'key-auth', key }] });
    for (const [name, s] of Object.entries(SERVERS)) {
      const put = await gw.admin('PUT', `/api/v1/mcp-servers/${name}`, { type: 'http-to-mcp', description: s.description, service: 'api', tools: toolYaml(name, s.tools), ...(s.consumerAuth ? { consumerAuth: s.consumerAuth } : {}) });
      expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
    }
    // A direct proxy: the router reaches it through the gateway's own data plane.
    await gw.admin('PUT', '/api/v1/services/conf', { protocol: 'mcp', endpoints: [`127.0.0.1:${fixture.port}`] });
    const proxy = await gw.admin('PUT', '/api/v1/mcp-servers/conf', { type: 'direct-proxy', description: 'Conformance fixture', service: 'conf', transport: 'streamable-http', path: '/mcp' });
    expect(proxy.status, JSON.stringify(proxy.body)).toBeLessThan(300);
    await gw.settled();
  });
  afterAll(async () => {
    for (const c of clients) await c.close().catch(() => undefined);
    await gw?.stop();
    await backend?.close();
    await fixture?.close();
  });

  async function routerClient(consumer?: keyof typeof KEYS, kind: 'streamable-http' | 'sse' = 'streamable-http'): Promise<Client> {
    const c = await connectClient(gw.dataUrl, 'router', kind, consumer ? { authorization: `Bearer ${KEYS[consumer]}` } : {});
    clients.push(c);
    return c;
  }

  it('offers search_tools and call_tool', async () => {
    const c = await routerClient();
    expect((await c.listTools()).tools.map((t) => t.name).sort()).toEqual(['call_tool', 'search_tools']);
  });

  it('searches across three servers and calls a tool it found', async () => {
    const alice = await routerClient('alice', 'sse');
    const forecast = await searchTools(alice, 'weather forecast for a city');
    expect(forecast[0]).toMatchObject({ server: 'weather', tool: 'get_forecast' });
    expect(Object.keys(forecast[0].inputSchema.properties ?? {})).toEqual(['city', 'days']);
    // camelCase names and argument names are searchable words.
    expect((await searchTools(alice, 'pets species'))[0]).toMatchObject({ server: 'pets', tool: 'findPets' });
    expect((await searchTools(alice, 'owner'))[0]).toMatchObject({ server: 'pets', tool: 'adopt_pet' });
    const invoice = await searchTools(alice, 'invoice customer');
    expect(invoice[0]).toMatchObject({ server: 'billing', tool: 'create_invoice' });
    const seenServers = new Set([...forecast, ...invoice, ...(await searchTools(alice, 'pet'))].map((h) => h.server));
    for (const s of ['weather', 'pets', 'billing']) expect(seenServers).toContain(s);

    const before = backend.requests.length;
    const found = invoice[0];
    const r = (await alice.callTool({ name: 'call_tool', arguments: { server: found.server, tool: found.tool, arguments: { customer: 'acme', amount: '12' } } })) as {
      isError?: boolean;
      content: Array<{ text: string }>;
    };
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    const sent = backend.requests.slice(before);
    expect(sent).toHaveLength(1);
    expect(sent[0].path).toBe('/billing/create_invoice');
    expect(JSON.parse(sent[0].body)).toEqual({ customer: 'acme', amount: '12' });
    expect(sent[0].headers['x-mcp-consumer']).toBe('alice');
    // The consumer's own credential never reaches the backend.
    expect(JSON.stringify(sent[0].headers)).not.toContain(KEYS.alice);
  });

  it('finds and calls tools of proxied MCP servers too', async () => {
    const c = await routerClient('bob');
    const hits = await searchTools(c, 'simple text response');
    expect(hits[0]).toMatchObject({ server: 'conf', tool: 'test_simple_text' });
    const r = (await c.callTool({ name: 'call_tool', arguments: { server: 'conf', tool: 'test_simple_text', arguments: {} } })) as { isError?: boolean; content: Array<{ text: string }> };
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    expect(r.content[0].text).toBe('This is a simple text response for testing.');
  });

  it('limits and scopes results', async () => {
    const c = await routerClient();
    expect(await searchTools(c, 'weather', { limit: 1 })).toHaveLength(1);
    expect((await searchTools(c, 'weather pet', { server: 'pets' })).every((h) => h.server === 'pets')).toBe(true);
    const bad = (await c.callTool({ name: 'search_tools', arguments: { query: 'x', limit: 0 } })) as { isError?: boolean };
    expect(bad.isError).toBe(true);
  });

  it('never shows or calls a tool the consumer may not use', async () => {
    const allowed: Record<string, (server: string, tool: string) => boolean> = {
      anonymous: (s) => s !== 'billing',
      bob: (s) => s !== 'billing',
      alice: (s, t) => s !== 'billing' || t === 'create_invoice',
    };
    const words = new Set<string>();
    for (const [name, s] of Object.entries(SERVERS)) {
      for (const t of s.tools) for (const w of `${name} ${s.description} ${t.name} ${t.description} ${t.args.join(' ')}`.split(/[^A-Za-z]+/)) if (w) words.add(w);
    }
    for (const who of ['anonymous', 'bob', 'alice'] as const) {
      const c = await routerClient(who === 'anonymous' ? undefined : who);
      const seen = new Set<string>();
      for (const w of [...words, 'refund payment', 'invoice', 'billing refund_payment']) {
        for (const h of await searchTools(c, w, { limit: 50 })) {
          expect(allowed[who](h.server, h.tool), `${who} found ${h.server}/${h.tool} for "${w}"`).toBe(true);
          // The seeded example server answers some words too; it is open to everyone.
          if (h.server in SERVERS) seen.add(`${h.server}/${h.tool}`);
        }
      }
      // Everything allowed is findable.
      const expected = Object.entries(SERVERS).flatMap(([s, d]) => d.tools.map((t) => `${s}/${t.name}`)).filter((k) => allowed[who](k.split('/')[0], k.split('/')[1]));
      expect([...seen].sort()).toEqual(expected.sort());
      // And calling a forbidden tool fails without reaching the backend.
      const before = backend.requests.length;
      for (const tool of ['refund_payment', ...(who === 'alice' ? [] : ['create_invoice'])]) {
        const r = (await c.callTool({ name: 'call_tool', arguments: { server: 'billing', tool, arguments: {} } })) as { isError?: boolean; content: Array<{ text: string }> };
        expect(r.isError).toBe(true);
        expect(r.content[0].text).toMatch(/no tool .* that you may call/);
      }
      expect(backend.requests.length).toBe(before);
    }
  });

  it('refuses an invalid credential instead of treating the caller as anonymous', async () => {
    const res = await fetch(`${gw.dataUrl}/mcp-servers/router`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: 'Bearer not-a-key' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/invalid_token/);
  });

  it('sees servers added after it started, and loses removed ones', async () => {
    const c = await routerClient();
    expect(await searchTools(c, 'translate')).toEqual([]);
    await gw.admin('PUT', '/api/v1/mcp-servers/lingo', { type: 'http-to-mcp', description: 'Languages', service: 'api', tools: toolYaml('lingo', [{ name: 'translate_text', description: 'Translate text', args: ['text', 'target'] }]) });
    await gw.settled();
    expect((await searchTools(c, 'translate'))[0]).toMatchObject({ server: 'lingo', tool: 'translate_text' });
    await gw.admin('DELETE', '/api/v1/mcp-servers/lingo');
    await gw.settled();
    expect(await searchTools(c, 'translate')).toEqual([]);
  });
});

describe('tool sets', () => {
  let gw: TestGateway;
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await startBackend();
    gw = await startGateway({ routerName: 'tools-router' });
    await gw.admin('PUT', '/api/v1/services/api', { protocol: 'http', endpoints: [backend.address] });
    await gw.admin('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: KEYS.alice }] });
    for (const [name, s] of Object.entries(SERVERS)) {
      await gw.admin('PUT', `/api/v1/mcp-servers/${name}`, { type: 'http-to-mcp', description: s.description, service: 'api', tools: toolYaml(name, s.tools), ...(s.consumerAuth ? { consumerAuth: s.consumerAuth } : {}) });
    }
    const put = await gw.admin('PUT', '/api/v1/mcp-servers/combo', {
      type: 'toolset',
      description: 'Chosen tools',
      toolset: [
        { server: 'weather', tool: 'get_forecast' },
        { server: 'pets', tool: 'findPets', name: 'pet_search' },
        { server: 'billing', tool: 'create_invoice' },
      ],
    });
    expect(put.status, JSON.stringify(put.body)).toBeLessThan(300);
    await gw.settled();
  });
  afterAll(async () => {
    await gw?.stop();
    await backend?.close();
  });

  it('composes tools of other servers under server___tool or a chosen name', async () => {
    const c = await connectClient(gw.dataUrl, 'combo', 'streamable-http');
    const tools = (await c.listTools()).tools;
    // billing needs a consumer this anonymous caller is not: its tool is not offered.
    expect(tools.map((t) => t.name).sort()).toEqual(['pet_search', 'weather___get_forecast']);
    expect(tools.find((t) => t.name === 'pet_search')?.description).toBe('Search pets in the store by species');
    const before = backend.requests.length;
    const r = (await c.callTool({ name: 'weather___get_forecast', arguments: { city: 'Oslo' } })) as { isError?: boolean; content: Array<{ text: string }> };
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    expect(backend.requests.slice(before).map((q) => q.path)).toEqual(['/weather/get_forecast']);
    const denied = (await c.callTool({ name: 'billing___create_invoice', arguments: {} })) as { isError?: boolean };
    expect(denied.isError).toBe(true);
    expect(backend.requests.length).toBe(before + 1);
    await c.close();
  });

  it('follows changes of member servers and serves the router under its configured name', async () => {
    await gw.admin('PUT', '/api/v1/mcp-servers/weather', { type: 'http-to-mcp', description: 'Weather service', service: 'api', tools: toolYaml('weather', [{ name: 'get_alerts', description: 'alerts', args: ['region'] }]) });
    await gw.settled();
    const c = await connectClient(gw.dataUrl, 'combo', 'streamable-http');
    expect((await c.listTools()).tools.map((t) => t.name)).toEqual(['pet_search']);
    await c.close();
    const r = await connectClient(gw.dataUrl, 'tools-router', 'streamable-http');
    expect((await r.listTools()).tools.map((t) => t.name).sort()).toEqual(['call_tool', 'search_tools']);
    await r.close();
    const res = await fetch(`${gw.dataUrl}/mcp-servers/router`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{}' });
    expect(res.status).toBe(404);
  });
});
