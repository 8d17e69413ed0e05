import http from 'node:http';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectClient } from '../support/mcp-client.js';
import { startNacosDouble, NACOS_USER, type NacosDouble } from './nacos-double.js';
import { NacosClient } from '../../src/discovery/nacos-client.js';
import { startConformanceFixture, type ConformanceFixture } from '../proxy/conformance-fixture.js';

async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A backend that answers every request with its own name and counts them. */
async function namedBackend(name: string): Promise<{ name: string; ip: string; port: number; hits: number; close(): Promise<void> }> {
  const state = { hits: 0 };
  const server = http.createServer((req, res) => {
    state.hits++;
    const u = new URL(req.url ?? '/', 'http://x');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ backend: name, city: u.searchParams.get('city'), forecast: 'sunny' }));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    name,
    ip: '127.0.0.1',
    port: (server.address() as { port: number }).port,
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const PETS_TOOLS = 'server:\n  name: pets\ntools:\n  - name: who\n    description: which instance answered\n    requestTemplate:\n      url: /who\n      method: GET\n';

describe('NacosClient against the Nacos double', () => {
  it('logs in, lists healthy enabled instances with weights, and falls back to the v1 API of Nacos 2.x', async () => {
    for (const version of ['v3', 'v2'] as const) {
      const nacos = await startNacosDouble({ version });
      nacos.register('svc', { ip: '10.0.0.1', port: 80, weight: 2 });
      nacos.register('svc', { ip: '10.0.0.2', port: 80, healthy: false });
      nacos.register('svc', { ip: '10.0.0.3', port: 80, enabled: false });
      nacos.register('svc', { ip: '10.0.0.4', port: 80, weight: 0.5 });
      nacos.register('svc', { ip: '10.0.0.9', port: 80 }, 'OTHER_GROUP');
      const client = new NacosClient({ name: 'main', type: 'nacos', address: nacos.address, username: NACOS_USER.name, password: NACOS_USER.password });
      const list = await client.instances({ service: 'svc' });
      expect(list, version).toEqual([
        { address: '10.0.0.1:80', weight: 200 },
        { address: '10.0.0.4:80', weight: 50 },
      ]);
      expect(await client.instances({ service: 'svc', group: 'OTHER_GROUP' })).toEqual([{ address: '10.0.0.9:80', weight: 100 }]);
      expect(nacos.logins).toBe(1);
      expect(nacos.log.some((l) => l.includes(version === 'v3' ? '/nacos/v3/client/ns/instance/list' : '/nacos/v1/ns/instance/list'))).toBe(true);
      await nacos.stop();
    }
  });

  it('logs in again when the token expires or is revoked', async () => {
    const nacos = await startNacosDouble();
    nacos.register('svc', { ip: '10.0.0.1', port: 80 });
    nacos.tokenTtl = 1;
    const client = new NacosClient({ name: 'main', type: 'nacos', address: nacos.address, username: NACOS_USER.name, password: NACOS_USER.password });
    await client.instances({ service: 'svc' });
    await new Promise((r) => setTimeout(r, 1100));
    await client.instances({ service: 'svc' });
    expect(nacos.logins).toBe(2);
    nacos.tokenTtl = 18000;
    await client.instances({ service: 'svc' });
    nacos.expireTokens();
    expect(await client.instances({ service: 'svc' })).toHaveLength(1);
    expect(nacos.logins).toBe(3);
    await nacos.stop();
  });

  it('refuses wrong credentials and malformed answers with coded errors', async () => {
    const nacos = await startNacosDouble();
    nacos.register('svc', { ip: '10.0.0.1', port: 80 });
    const wrong = new NacosClient({ name: 'main', type: 'nacos', address: nacos.address, username: 'nacos', password: 'wrong' });
    await expect(wrong.instances({ service: 'svc' })).rejects.toMatchObject({ code: 'NACOS_AUTH_FAILED' });
    const client = new NacosClient({ name: 'main', type: 'nacos', address: nacos.address, username: NACOS_USER.name, password: NACOS_USER.password });
    for (const kind of ['not-json', 'no-data', 'bad-instance', 'error-code'] as const) {
      nacos.malformed = kind;
      await expect(client.instances({ service: 'svc' }), kind).rejects.toMatchObject({ code: kind === 'error-code' ? 'NACOS_STATUS' : 'NACOS_BAD_RESPONSE' });
    }
    await nacos.stop();
    await expect(client.instances({ service: 'svc' })).rejects.toMatchObject({ code: 'NACOS_UNREACHABLE' });
  });
});

describe('Nacos-sourced services in the gateway', () => {
  let gw: TestGateway;
  let nacos: NacosDouble;
  let a: Awaited<ReturnType<typeof namedBackend>>;
  let b: Awaited<ReturnType<typeof namedBackend>>;
  let client: Client;

  beforeAll(async () => {
    nacos = await startNacosDouble();
    a = await namedBackend('a');
    b = await namedBackend('b');
    gw = await startGateway();
    expect((await gw.admin('PUT', '/api/v1/registries/main', { type: 'nacos', address: nacos.address, username: NACOS_USER.name, password: NACOS_USER.password, pollIntervalMs: 500 })).status).toBeLessThan(300);
    expect((await gw.admin('PUT', '/api/v1/services/pets', { protocol: 'http', nacos: { registry: 'main', service: 'pets' } })).status).toBeLessThan(300);
    expect((await gw.admin('PUT', '/api/v1/mcp-servers/pets', { type: 'http-to-mcp', description: 'pets', service: 'pets', tools: PETS_TOOLS })).status).toBeLessThan(300);
    await gw.settled();
    client = await connectClient(gw.dataUrl, 'pets', 'streamable-http');
  });
  afterAll(async () => {
    await client?.close();
    await gw?.stop();
    await nacos?.stop();
    await a?.close();
    await b?.close();
  });

  const addresses = () => (gw.gateway.snapshot().services.get('pets')?.endpoints?.describe() ?? []).map((e) => `${e.address}/${e.weight}`).sort();
  const who = async () => {
    const r = (await client.callTool({ name: 'who', arguments: {} })) as { isError?: boolean; content: Array<{ text: string }> };
    return { isError: r.isError, text: r.content[0]?.text ?? '' };
  };

  it('follows instances coming and going, weights and health, without a restart', async () => {
    const empty = await who();
    expect(empty.isError).toBe(true);
    expect(empty.text).toMatch(/no available endpoint/);
    nacos.register('pets', { ip: a.ip, port: a.port });
    await waitFor(() => addresses().length === 1, 3000, 'the first instance');
    expect(JSON.parse((await who()).text).backend).toBe('a');
    nacos.register('pets', { ip: b.ip, port: b.port, weight: 3 });
    await waitFor(() => addresses().length === 2, 3000, 'the second instance');
    expect(addresses()).toEqual([`127.0.0.1:${a.port}/100`, `127.0.0.1:${b.port}/300`].sort());
    const before = [a.hits, b.hits];
    for (let i = 0; i < 8; i++) await who();
    expect([a.hits - before[0], b.hits - before[1]]).toEqual([2, 6]);
    nacos.update('pets', a.ip, a.port, { healthy: false });
    await waitFor(() => addresses().length === 1, 3000, 'the unhealthy instance to leave');
    expect(JSON.parse((await who()).text).backend).toBe('b');
    nacos.update('pets', a.ip, a.port, { healthy: true, enabled: false });
    nacos.deregister('pets', b.ip, b.port);
    await waitFor(() => addresses().length === 0, 3000, 'the list to empty');
    expect((await who()).isError).toBe(true);
    nacos.update('pets', a.ip, a.port, { enabled: true });
    await waitFor(() => addresses().length === 1, 3000, 'the instance to come back');
    expect(JSON.parse((await who()).text).backend).toBe('a');
  });

  it('keeps the last good list while Nacos is down or answers garbage, and re-logs in after a restart', async () => {
    await waitFor(() => addresses().length === 1, 3000, 'one instance');
    nacos.malformed = 'bad-instance';
    await new Promise((r) => setTimeout(r, 1200));
    expect(addresses()).toHaveLength(1);
    nacos.malformed = undefined;
    await nacos.stop();
    await new Promise((r) => setTimeout(r, 1200));
    expect(addresses()).toHaveLength(1);
    expect(JSON.parse((await who()).text).backend).toBe('a');
    // Restarted Nacos has forgotten its tokens: the gateway logs in again and sees the change.
    const logins = nacos.logins;
    nacos.expireTokens();
    nacos.register('pets', { ip: b.ip, port: b.port });
    await nacos.start();
    await waitFor(() => addresses().length === 2, 4000, 'the list after Nacos returned');
    expect(nacos.logins).toBeGreaterThan(logins);
  });
});

function weatherDetail(tools: Array<{ name: string; enabled?: boolean; description?: string }>, enabled = true): Record<string, unknown> & { name: string } {
  return {
    name: 'weather-api',
    protocol: 'http',
    frontProtocol: 'mcp-sse',
    description: 'Weather forecasts',
    enabled,
    versionDetail: { version: '1.0.0' },
    remoteServerConfig: { serviceRef: { namespaceId: 'public', groupName: 'DEFAULT_GROUP', serviceName: 'weather' }, exportPath: '' },
    toolSpec: {
      tools: tools.map((t) => ({
        name: t.name,
        description: t.description ?? `${t.name} tool`,
        inputSchema: { type: 'object', properties: { city: { type: 'string', description: 'city name' } }, required: ['city'] },
      })),
      toolsMeta: Object.fromEntries(
        tools.map((t) => [
          t.name,
          {
            enabled: t.enabled ?? true,
            templates: {
              'json-go-template': {
                requestTemplate: { url: '/forecast', method: 'GET' },
                responseTemplate: { body: '{{.city}}: {{.forecast}} (from {{.backend}})' },
                argsPosition: { city: 'query' },
              },
            },
          },
        ]),
      ),
      securitySchemes: [],
    },
  };
}

describe('Nacos 3 MCP registry import', () => {
  let gw: TestGateway;
  let nacos: NacosDouble;
  let weather: Awaited<ReturnType<typeof namedBackend>>;
  let mcpBackend: ConformanceFixture;

  beforeEach(async () => {
    nacos = await startNacosDouble();
    weather = await namedBackend('w1');
    mcpBackend = await startConformanceFixture();
    nacos.register('weather', { ip: weather.ip, port: weather.port });
    nacos.register('conformance', { ip: '127.0.0.1', port: mcpBackend.port });
    gw = await startGateway();
  });
  afterEach(async () => {
    await gw.stop();
    await nacos.stop();
    await weather.close();
    await mcpBackend.close();
  });

  const server = async (name: string) => (await gw.admin('GET', `/api/v1/mcp-servers/${name}`)).body;

  it('imports HTTP and streamable MCP servers, read-only and marked, and follows changes on the next poll', async () => {
    nacos.putMcp(weatherDetail([{ name: 'get_forecast' }, { name: 'get_alerts', enabled: false }]));
    nacos.putMcp({
      name: 'conformance',
      protocol: 'mcp-streamable',
      frontProtocol: 'mcp-streamable',
      description: 'An MCP server registered in Nacos',
      enabled: true,
      remoteServerConfig: { serviceRef: { namespaceId: 'public', groupName: 'DEFAULT_GROUP', serviceName: 'conformance' }, exportPath: '/mcp' },
    });
    nacos.putMcp({ name: 'local-only', protocol: 'stdio', description: 'cannot be served', enabled: true, localServerConfig: { command: 'npx' } });
    expect((await gw.admin('PUT', '/api/v1/registries/main', { type: 'nacos', address: nacos.address, username: NACOS_USER.name, password: NACOS_USER.password, pollIntervalMs: 500, mcpRegistry: true })).status).toBeLessThan(300);
    await waitFor(async () => (await gw.admin('GET', '/api/v1/mcp-servers/conformance')).status === 200 && (await gw.admin('GET', '/api/v1/mcp-servers/weather-api')).status === 200, 5000, 'the import');
    const w = await server('weather-api');
    expect(w.type).toBe('http-to-mcp');
    expect(w.description).toContain('imported from Nacos registry "main"');
    const c = await server('conformance');
    expect(c).toMatchObject({ type: 'direct-proxy', transport: 'streamable-http', path: '/mcp' });
    expect((await gw.admin('GET', '/api/v1/mcp-servers/local-only')).status).toBe(404);

    // Read-only: the API refuses to change an imported server.
    const put = await gw.admin('PUT', '/api/v1/mcp-servers/weather-api', { ...w, description: 'mine now' });
    expect(put.status).toBeGreaterThanOrEqual(400);
    expect((await server('weather-api')).description).toContain('imported from Nacos registry');

    // Served through the data plane, over the service's Nacos instances.
    await gw.settled();
    await waitFor(() => (gw.gateway.snapshot().services.get(c.service)?.endpoints?.size ?? 0) > 0 && !gw.gateway.snapshot().servers.get('conformance')?.brokenReason, 5000, 'the MCP backend endpoints');
    const wc = await connectClient(gw.dataUrl, 'weather-api', 'streamable-http');
    expect((await wc.listTools()).tools.map((t) => t.name)).toEqual(['get_forecast']);
    const r = (await wc.callTool({ name: 'get_forecast', arguments: { city: 'Hangzhou' } })) as { isError?: boolean; content: Array<{ text: string }> };
    expect(r.content[0].text).toBe('Hangzhou: sunny (from w1)');
    await wc.close();
    const cc = await connectClient(gw.dataUrl, 'conformance', 'streamable-http');
    expect((await cc.listTools()).tools.map((t) => t.name)).toContain('test_simple_text');
    await cc.close();

    // Tools change in Nacos: a new tool appears, the disabled one stays away.
    nacos.putMcp(weatherDetail([{ name: 'get_forecast' }, { name: 'get_alerts', enabled: false }, { name: 'get_history' }]));
    await waitFor(async () => ((await gw.admin('GET', '/api/v1/mcp-servers/weather-api/tools')).body?.tools ?? []).length === 2, 5000, 'the new tool');
    const listed = (await gw.admin('GET', '/api/v1/mcp-servers/weather-api/tools')).body.tools.map((t: { name: string }) => t.name).sort();
    expect(listed).toEqual(['get_forecast', 'get_history']);

    // Disabled and removed servers disappear, with their services.
    nacos.putMcp(weatherDetail([{ name: 'get_forecast' }], false));
    nacos.removeMcp('conformance');
    await waitFor(async () => (await gw.admin('GET', '/api/v1/mcp-servers/weather-api')).status === 404 && (await gw.admin('GET', '/api/v1/mcp-servers/conformance')).status === 404, 5000, 'the removal');
    expect((await gw.admin('GET', `/api/v1/services/${c.service}`)).status).toBe(404);
  }, 30_000);

  it('keeps imported servers while Nacos is down, and removes them when the registry stops importing', async () => {
    nacos.putMcp(weatherDetail([{ name: 'get_forecast' }]));
    const registry = { type: 'nacos', address: nacos.address, username: NACOS_USER.name, password: NACOS_USER.password, pollIntervalMs: 500, mcpRegistry: true };
    expect((await gw.admin('PUT', '/api/v1/registries/main', registry)).status).toBeLessThan(300);
    await waitFor(async () => (await gw.admin('GET', '/api/v1/mcp-servers/weather-api')).status === 200, 5000, 'the import');
    await nacos.stop();
    await new Promise((r) => setTimeout(r, 1200));
    expect((await gw.admin('GET', '/api/v1/mcp-servers/weather-api')).status).toBe(200);
    await nacos.start();
    expect((await gw.admin('PUT', '/api/v1/registries/main', { ...registry, password: '****', mcpRegistry: false })).status).toBeLessThan(300);
    await waitFor(async () => (await gw.admin('GET', '/api/v1/mcp-servers/weather-api')).status === 404, 5000, 'the imports to go');
  }, 20_000);
});
