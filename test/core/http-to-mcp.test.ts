import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startBackend, type TestBackend } from '../support/backend.js';
import { connectClient, type ClientTransportKind } from '../support/mcp-client.js';

const TOOLS = `server:
  name: shop
  config:
    region: eu-west
  securitySchemes:
    - id: basic
      type: http
      scheme: basic
      defaultCredential: "alice:s3cret"
    - id: bearer
      type: http
      scheme: bearer
      defaultCredential: "tok-123"
    - id: hdr
      type: apiKey
      in: header
      name: X-Api-Key
      defaultCredential: "hdr-key"
    - id: qry
      type: apiKey
      in: query
      name: api_key
      defaultCredential: "qry-key"
tools:
  - name: getPet
    description: Get a pet by id
    args:
      - name: id
        type: integer
        required: true
        position: path
      - name: verbose
        type: boolean
        position: query
      - name: trace
        type: string
        position: header
      - name: session
        type: string
        position: cookie
    requestTemplate:
      url: /pets/{id}?region={{.config.region}}
      method: GET
      security:
        id: basic
  - name: createPet
    description: Create a pet
    args:
      - name: name
        type: string
        required: true
      - name: tags
        type: array
        items: { type: string }
    requestTemplate:
      url: /pets
      method: POST
      argsToJsonBody: true
      security:
        id: bearer
  - name: search
    description: Search with a form body
    args:
      - name: q
        type: string
        required: true
    requestTemplate:
      url: /search
      method: POST
      argsToFormBody: true
      security:
        id: hdr
  - name: list
    description: List with URL params and a templated body
    args:
      - name: limit
        type: integer
        default: 10
    requestTemplate:
      url: /list
      method: PUT
      argsToUrlParam: true
      headers:
        - key: X-Region
          value: "{{.config.region}}"
      body: |
        {"limit": {{.args.limit}}}
      security:
        id: qry
    responseTemplate:
      body: "{{.method}} {{.path}} limit={{.query.limit}} key={{.query.api_key}}"
  - name: broken
    description: Backend answers 500
    args: []
    requestTemplate:
      url: /fail
      method: GET
    errorResponseTemplate: "backend said {{.message}} with status {{gjson \\"_headers.\\\\\\\\:status\\"}}"
`;

describe('HTTP-to-MCP through the admin API, both client transports', () => {
  let gw: TestGateway;
  let backend: TestBackend;

  beforeAll(async () => {
    backend = await startBackend();
    backend.on('/fail', (_r, res) => void res.writeHead(500, { 'content-type': 'application/json' }).end('{"message":"boom"}'));
    gw = await startGateway();
    const svc = await gw.admin('POST', '/api/v1/services', { name: 'shop-backend', protocol: 'http', endpoints: [backend.address] });
    expect(svc.status).toBe(201);
    const srv = await gw.admin('POST', '/api/v1/mcp-servers', { name: 'shop', type: 'http-to-mcp', description: 'Shop API', service: 'shop-backend', tools: TOOLS });
    expect(srv.status, JSON.stringify(srv.body)).toBe(201);
    await gw.settled();
  });

  afterAll(async () => {
    await gw?.stop();
    await backend?.close();
  });

  for (const kind of ['streamable-http', 'sse'] as ClientTransportKind[]) {
    describe(kind, () => {
      it('lists the tools with their input schemas', async () => {
        const client = await connectClient(gw.dataUrl, 'shop', kind);
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toEqual(['getPet', 'createPet', 'search', 'list', 'broken']);
        const getPet = tools.find((t) => t.name === 'getPet')!;
        expect(getPet.inputSchema).toMatchObject({ type: 'object', required: ['id'], properties: { id: { type: 'integer' }, verbose: { type: 'boolean' } } });
        await client.close();
      });

      it('sends path, query, header, cookie args and Basic credentials', async () => {
        const client = await connectClient(gw.dataUrl, 'shop', kind);
        const before = backend.requests.length;
        const result = await client.callTool({ name: 'getPet', arguments: { id: '42', verbose: 'true', trace: 't-1', session: 'abc' } });
        expect(result.isError).toBeFalsy();
        const req = backend.requests[before];
        expect(req.method).toBe('GET');
        expect(req.path).toBe('/pets/42');
        expect(req.query).toEqual({ region: 'eu-west', verbose: 'true' });
        expect(req.headers.trace).toBe('t-1');
        expect(req.headers.cookie).toBe('session=abc');
        expect(req.headers.authorization).toBe(`Basic ${Buffer.from('alice:s3cret').toString('base64')}`);
        const text = (result.content as Array<{ text: string }>)[0].text;
        expect(JSON.parse(text)).toMatchObject({ method: 'GET', path: '/pets/42' });
        await client.close();
      });

      it('sends a JSON body with Bearer credentials', async () => {
        const client = await connectClient(gw.dataUrl, 'shop', kind);
        const before = backend.requests.length;
        await client.callTool({ name: 'createPet', arguments: { name: 'Rex', tags: ['dog'], ignored: 'x' } });
        const req = backend.requests[before];
        expect(req.method).toBe('POST');
        expect(JSON.parse(req.body)).toEqual({ name: 'Rex', tags: ['dog'] });
        expect(req.headers['content-type']).toContain('application/json');
        expect(req.headers.authorization).toBe('Bearer tok-123');
        await client.close();
      });

      it('sends a form body with an API key header', async () => {
        const client = await connectClient(gw.dataUrl, 'shop', kind);
        const before = backend.requests.length;
        await client.callTool({ name: 'search', arguments: { q: 'a b&c' } });
        const req = backend.requests[before];
        expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
        expect(new URLSearchParams(req.body).get('q')).toBe('a b&c');
        expect(req.headers['x-api-key']).toBe('hdr-key');
        expect(req.headers.authorization).toBeUndefined();
        await client.close();
      });

      it('sends URL params, templated headers and body, an API key in the query, and renders the response', async () => {
        const client = await connectClient(gw.dataUrl, 'shop', kind);
        const before = backend.requests.length;
        const result = await client.callTool({ name: 'list', arguments: {} });
        const req = backend.requests[before];
        expect(req.method).toBe('PUT');
        expect(req.query).toEqual({ limit: '10', api_key: 'qry-key' });
        expect(req.headers['x-region']).toBe('eu-west');
        expect(JSON.parse(req.body)).toEqual({ limit: 10 });
        expect((result.content as Array<{ text: string }>)[0].text).toBe('PUT /list limit=10 key=qry-key');
        await client.close();
      });

      it('turns a backend error into an isError result through errorResponseTemplate', async () => {
        const client = await connectClient(gw.dataUrl, 'shop', kind);
        const result = await client.callTool({ name: 'broken', arguments: {} });
        expect(result.isError).toBe(true);
        expect((result.content as Array<{ text: string }>)[0].text).toBe('backend said boom with status 500');
        await client.close();
      });
    });
  }

  it('never forwards the client credential and masks secrets in the API', async () => {
    const client = await connectClient(gw.dataUrl, 'shop', 'streamable-http', { 'x-api-key': 'client-secret-key' });
    const before = backend.requests.length;
    await client.callTool({ name: 'createPet', arguments: { name: 'Tom' } });
    expect(JSON.stringify(backend.requests[before].headers)).not.toContain('client-secret-key');
    await client.close();
    const got = await gw.admin('GET', '/api/v1/mcp-servers/shop');
    expect(got.body.tools).not.toContain('s3cret');
    expect(got.body.tools).toContain('defaultCredential: "****"');
  });
});
