import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startBackend, type TestBackend } from '../support/backend.js';
import { connectClient } from '../support/mcp-client.js';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

describe('dead and slow backends give isError results within the timeout', () => {
  let gw: TestGateway;
  let backend: TestBackend;
  beforeAll(async () => {
    backend = await startBackend();
    backend.on('/hang', () => undefined);
    gw = await startGateway();
    const dead = await freePort();
    await gw.admin('PUT', '/api/v1/services/dead', { protocol: 'http', endpoints: [`127.0.0.1:${dead}`] });
    await gw.admin('PUT', '/api/v1/services/slow', { protocol: 'http', endpoints: [backend.address], timeoutMs: 500 });
    const tool = (url: string) => `server:\n  name: f\ntools:\n  - name: call\n    description: x\n    requestTemplate:\n      url: ${url}\n      method: GET\n`;
    await gw.admin('PUT', '/api/v1/mcp-servers/dead', { type: 'http-to-mcp', description: 'd', service: 'dead', tools: tool('/x') });
    await gw.admin('PUT', '/api/v1/mcp-servers/slow', { type: 'http-to-mcp', description: 'd', service: 'slow', tools: tool('/hang') });
    await gw.admin('PUT', '/api/v1/mcp-servers/ssrf', { type: 'http-to-mcp', description: 'd', tools: tool('http://169.254.169.254/latest/meta-data') });
    await gw.admin('PUT', '/api/v1/mcp-servers/loopback', { type: 'http-to-mcp', description: 'd', tools: tool(`${backend.url}/direct`) });
    await gw.settled();
  });
  afterAll(async () => {
    await gw?.stop();
    await backend?.close();
  });

  it('a refused connection is an isError result naming the tool', async () => {
    const client = await connectClient(gw.dataUrl, 'dead', 'streamable-http');
    const r = await client.callTool({ name: 'call', arguments: {} });
    expect(r.isError).toBe(true);
    expect((r.content as Array<{ text: string }>)[0].text).toMatch(/tool "call": backend request failed \(ECONNREFUSED\)/);
    await client.close();
  });

  it('a backend that never answers times out', async () => {
    const client = await connectClient(gw.dataUrl, 'slow', 'sse');
    const started = Date.now();
    const r = await client.callTool({ name: 'call', arguments: {} });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.isError).toBe(true);
    expect((r.content as Array<{ text: string }>)[0].text).toContain('did not answer within 500 ms');
    await client.close();
  });

  it('absolute URLs to metadata and loopback addresses are refused', async () => {
    const client = await connectClient(gw.dataUrl, 'ssrf', 'streamable-http');
    const r = await client.callTool({ name: 'call', arguments: {} });
    expect(r.isError).toBe(true);
    expect((r.content as Array<{ text: string }>)[0].text).toContain('metadata');
    await client.close();
    const before = backend.requests.length;
    const c2 = await connectClient(gw.dataUrl, 'loopback', 'streamable-http');
    const r2 = await c2.callTool({ name: 'call', arguments: {} });
    expect(r2.isError).toBe(true);
    expect((r2.content as Array<{ text: string }>)[0].text).toContain('allowPrivateNetworks');
    expect(backend.requests.length).toBe(before);
    await c2.close();
  });

  it('allowPrivateNetworks lets an absolute loopback URL through', async () => {
    const spec = (await gw.admin('GET', '/api/v1/mcp-servers/loopback')).body;
    await gw.admin('PUT', '/api/v1/mcp-servers/loopback', { ...spec, allowPrivateNetworks: true });
    await gw.settled();
    const client = await connectClient(gw.dataUrl, 'loopback', 'streamable-http');
    const r = await client.callTool({ name: 'call', arguments: {} });
    expect(r.isError).toBeFalsy();
    expect(JSON.parse((r.content as Array<{ text: string }>)[0].text).path).toBe('/direct');
    await client.close();
  });
});

describe('arguments cannot climb out of the configured path', () => {
  it('encodes {placeholders} and refuses dot segments rendered by templates', async () => {
    const backend = await startBackend();
    const gw = await startGateway();
    try {
      await gw.admin('PUT', '/api/v1/services/api', { protocol: 'http', endpoints: [backend.address] });
      const tools = [
        'server:\n  name: t\ntools:',
        '  - name: byPlaceholder\n    args: [{ name: id, position: path, required: true }]\n    requestTemplate: { url: "/pets/{id}", method: GET }',
        '  - name: byTemplate\n    args: [{ name: id, required: true }]\n    requestTemplate: { url: "/pets/{{.args.id}}", method: GET }',
        '  - name: withHeader\n    args: [{ name: v, required: true, position: header }]\n    requestTemplate: { url: "/h", method: GET }',
      ].join('\n');
      await gw.admin('PUT', '/api/v1/mcp-servers/t', { type: 'http-to-mcp', description: 'd', service: 'api', tools });
      await gw.settled();
      const client = await connectClient(gw.dataUrl, 't', 'streamable-http');
      await client.callTool({ name: 'byPlaceholder', arguments: { id: '../admin' } });
      expect(backend.requests.at(-1)!.path).toBe('/pets/..%2Fadmin');
      const before = backend.requests.length;
      for (const id of ['../admin', '..', '%2e%2e/admin', 'a/./b']) {
        const r = await client.callTool({ name: 'byTemplate', arguments: { id } });
        expect(r.isError, id).toBe(true);
        expect((r.content as Array<{ text: string }>)[0].text).toContain('segments; refused');
      }
      // The URL parser reads "\\" as "/" and drops tabs and line breaks: both would make dot segments.
      for (const id of ['\\..\\..\\admin', '.\t./admin', '.\n./admin']) {
        const r = await client.callTool({ name: 'byTemplate', arguments: { id } });
        expect(r.isError, JSON.stringify(id)).toBe(true);
        expect((r.content as Array<{ text: string }>)[0].text).toMatch(/(backslash|control character); refused/);
      }
      const crlf = await client.callTool({ name: 'withHeader', arguments: { v: 'x\r\nX-Injected: 1' } });
      expect(crlf.isError).toBe(true);
      expect(backend.requests.length).toBe(before);
      await client.close();
    } finally {
      await gw.stop();
      await backend.close();
    }
  });
});

describe('redirects are not followed', () => {
  it('a backend redirect to a metadata address comes back as an error result; nothing is fetched there', async () => {
    const backend = await startBackend();
    backend.on('/go', (_req, res) => void res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end());
    const target = await startBackend();
    backend.on('/go-local', (_req, res) => void res.writeHead(307, { location: `${target.url}/inside` }).end());
    const gw = await startGateway();
    try {
      await gw.admin('PUT', '/api/v1/services/api', { protocol: 'http', endpoints: [backend.address] });
      const tools = 'server:\n  name: r\ntools:\n  - name: go\n    description: g\n    requestTemplate: { url: /go, method: GET }\n  - name: local\n    description: l\n    requestTemplate: { url: /go-local, method: GET }\n';
      await gw.admin('PUT', '/api/v1/mcp-servers/r', { type: 'http-to-mcp', description: 'd', service: 'api', tools });
      await gw.settled();
      const client = await connectClient(gw.dataUrl, 'r', 'streamable-http');
      for (const name of ['go', 'local']) {
        const r = await client.callTool({ name, arguments: {} });
        expect(r.isError, name).toBe(true);
        expect((r.content as Array<{ text: string }>)[0].text).toMatch(/status: 30[27]/);
      }
      expect(target.requests.length).toBe(0);
      await client.close();
    } finally {
      await gw.stop();
      await backend.close();
      await target.close();
    }
  });
});

describe('a rendered URL stays on the host its template names', () => {
  it('pins argument-built hosts to allowedHosts, trusts literal and .config hosts, keeps paths on the service', async () => {
    const backend = await startBackend();
    const gw = await startGateway();
    const port = backend.address.split(':').pop();
    const text = (r: Record<string, unknown>) => (r.content as Array<{ text: string }>)[0].text;
    try {
      await gw.admin('PUT', '/api/v1/services/api', { protocol: 'http', endpoints: [backend.address] });
      const tools = [
        'server:\n  name: h\n  config:\n    base: "http://127.0.0.1:' + port + '"\ntools:',
        `  - name: literal\n    requestTemplate: { url: "http://127.0.0.1:${port}/lit", method: GET }`,
        '  - name: fromConfig\n    requestTemplate: { url: "{{.config.base}}/cfg", method: GET }',
        '  - name: fromArgs\n    args: [{ name: host, required: true }]\n    requestTemplate: { url: "http://{{.args.host}}/dyn", method: GET }',
        '  - name: wholeUrl\n    args: [{ name: url, required: true }]\n    requestTemplate: { url: "{{.args.url}}", method: GET }',
        '  - name: path\n    args: [{ name: p, required: true }]\n    requestTemplate: { url: "/{{.args.p}}", method: GET }',
      ].join('\n');
      const spec = { type: 'http-to-mcp', description: 'd', service: 'api', allowPrivateNetworks: true, tools };
      expect((await gw.admin('PUT', '/api/v1/mcp-servers/h', spec)).status).toBe(201);
      await gw.settled();
      let client = await connectClient(gw.dataUrl, 'h', 'streamable-http');
      expect(JSON.parse(text(await client.callTool({ name: 'literal', arguments: {} }))).path).toBe('/lit');
      expect(JSON.parse(text(await client.callTool({ name: 'fromConfig', arguments: {} }))).path).toBe('/cfg');
      const before = backend.requests.length;
      for (const [name, args] of [
        ['fromArgs', { host: `127.0.0.1:${port}` }],
        ['wholeUrl', { url: `http://localhost:${port}/x` }],
        ['path', { p: `/127.0.0.1:${port}/x` }],
      ] as const) {
        const r = await client.callTool({ name, arguments: args });
        expect(r.isError, name).toBe(true);
        expect(text(r), name).toContain('[UPSTREAM_HOST_NOT_ALLOWED]');
      }
      expect(backend.requests.length).toBe(before);
      await client.close();

      // Naming the host (with its port) lets argument-built URLs reach it, and only it.
      expect((await gw.admin('PUT', '/api/v1/mcp-servers/h', { ...spec, allowedHosts: [`127.0.0.1:${port}`] })).status).toBe(200);
      await gw.settled();
      client = await connectClient(gw.dataUrl, 'h', 'streamable-http');
      expect(JSON.parse(text(await client.callTool({ name: 'fromArgs', arguments: { host: `127.0.0.1:${port}` } }))).path).toBe('/dyn');
      const other = await client.callTool({ name: 'wholeUrl', arguments: { url: `http://localhost:${port}/x` } });
      expect(text(other)).toContain('[UPSTREAM_HOST_NOT_ALLOWED]');
      await client.close();

      const bad = await gw.admin('PUT', '/api/v1/mcp-servers/h', { ...spec, allowedHosts: ['http://x/'] });
      expect(bad.status).toBe(422);
      expect(JSON.stringify(bad.body)).toContain('allowedHosts');
    } finally {
      await gw.stop();
      await backend.close();
    }
  });
});
