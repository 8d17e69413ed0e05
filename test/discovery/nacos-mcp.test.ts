import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { convertMcpServers, importedName, toolYamlOf } from '../../src/discovery/nacos-mcp.js';
import { parseToolConfig } from '../../src/config/tool-config.js';
import { NacosClient } from '../../src/discovery/nacos-client.js';
import { startNacosDouble, NACOS_USER } from './nacos-double.js';

const REF = { serviceRef: { namespaceId: 'public', groupName: 'DEFAULT_GROUP', serviceName: 'orders' }, exportPath: '/sse' };

describe('Nacos MCP records to gateway resources', () => {
  it('builds valid tool YAML from inputSchema, toolsMeta templates, argsPosition and securitySchemes', () => {
    const { yaml, tools } = toolYamlOf('orders', {
      tools: [
        { name: 'getOrder', description: 'Read an order', inputSchema: { type: 'object', properties: { id: { type: 'integer', description: 'order id', minimum: 1 }, verbose: { type: 'boolean', default: false } }, required: ['id'] } },
        { name: 'deleteOrder', description: 'Delete', inputSchema: { type: 'object', properties: {} } },
        { name: 'noTemplate', description: 'x', inputSchema: { type: 'object' } },
      ],
      toolsMeta: {
        getOrder: {
          enabled: true,
          templates: {
            'json-go-template': {
              requestTemplate: { url: '/orders/{id}', method: 'GET', headers: [{ key: 'X-Trace', value: '1' }], security: { id: 'key' } },
              responseTemplate: { body: 'Order {{.id}}' },
              errorResponseTemplate: 'failed: {{._body}}',
              argsPosition: { id: 'path', verbose: 'query' },
            },
          },
        },
        deleteOrder: { enabled: false, templates: { 'json-go-template': { requestTemplate: { url: '/orders', method: 'DELETE' } } } },
      },
      securitySchemes: [{ id: 'key', type: 'apiKey', in: 'header', name: 'X-Key', defaultCredential: 'k1' }, { type: 'http' }],
    });
    expect(tools).toBe(1);
    const parsed = parseToolConfig(yaml);
    expect(parsed.ok, JSON.stringify(parsed)).toBe(true);
    const doc = parse(yaml);
    expect(doc.server).toEqual({ name: 'orders', securitySchemes: [{ id: 'key', type: 'apiKey', in: 'header', name: 'X-Key', defaultCredential: 'k1' }] });
    expect(doc.tools).toEqual([
      {
        name: 'getOrder',
        description: 'Read an order',
        args: [
          { name: 'id', description: 'order id', type: 'integer', required: true, minimum: 1, position: 'path' },
          { name: 'verbose', type: 'boolean', default: false, position: 'query' },
        ],
        requestTemplate: { url: '/orders/{id}', method: 'GET', headers: [{ key: 'X-Trace', value: '1' }], security: { id: 'key' } },
        responseTemplate: { body: 'Order {{.id}}' },
        errorResponseTemplate: 'failed: {{._body}}',
      },
    ]);
  });

  it('maps protocols, skips disabled servers and reports what it cannot serve', () => {
    const out = convertMcpServers({ name: 'main' }, [
      { name: 'sse-server', protocol: 'mcp-sse', frontProtocol: 'mcp-sse', description: 'SSE one', remoteServerConfig: REF },
      { name: 'stream', protocol: 'mcp-streamable', remoteServerConfig: { serviceRef: { serviceName: 's2' } } },
      { name: 'off', protocol: 'mcp-sse', enabled: false, remoteServerConfig: REF },
      { name: 'local', protocol: 'stdio', localServerConfig: {} },
      { name: 'no-ref', protocol: 'mcp-sse', remoteServerConfig: { exportPath: '/sse' } },
      { name: 'rest', protocol: 'http', frontProtocol: 'mcp-sse', remoteServerConfig: REF },
      { protocol: 'mcp-sse' },
    ]);
    expect(out.mcpServers.map((m) => [m.name, m.type, m.transport, m.path])).toEqual([
      ['sse-server', 'direct-proxy', 'sse', '/sse'],
      ['stream', 'direct-proxy', 'streamable-http', '/mcp'],
    ]);
    expect(out.mcpServers[0].description).toBe('SSE one (imported from Nacos registry "main")');
    expect(out.services[0]).toEqual({ name: 'nacos-sse-server', description: '(imported from Nacos registry "main")', protocol: 'mcp', nacos: { registry: 'main', service: 'orders', group: 'DEFAULT_GROUP', namespace: 'public' } });
    expect(out.problems).toHaveLength(4);
    expect(out.problems.join('\n')).toMatch(/"local" uses protocol "stdio"/);
    expect(out.problems.join('\n')).toMatch(/"no-ref" .* has no remoteServerConfig.serviceRef/);
    expect(out.problems.join('\n')).toMatch(/"rest" \(http\) has no toolSpec/);
  });

  it('gives every Nacos name a valid, distinct resource name', () => {
    const names = ['weather', 'Weather', 'amap.maps/v2', 'x'.repeat(100), '中文服务', '--'];
    const mapped = names.map((n) => importedName(n));
    expect(mapped[0]).toBe('weather');
    for (const m of mapped) expect(m).toMatch(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/);
    expect(new Set(mapped).size).toBe(names.length);
  });

  it('refuses a malformed MCP list with a coded error', async () => {
    const nacos = await startNacosDouble();
    nacos.malformedMcp = true;
    const client = new NacosClient({ name: 'main', type: 'nacos', address: nacos.address, username: NACOS_USER.name, password: NACOS_USER.password });
    await expect(client.mcpServers()).rejects.toMatchObject({ code: 'NACOS_BAD_RESPONSE' });
    await nacos.stop();
  });
});
