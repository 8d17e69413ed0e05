import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectClient } from '../support/mcp-client.js';

/** A backend with its own login endpoint issuing tokens that expire after 2 s. */
async function startLoginBackend() {
  const issued = new Map<string, number>();
  const logins: Array<{ at: number; body: string; auth?: string }> = [];
  let calls = 0;
  let rejected = 0;
  let n = 0;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      if (url.pathname === '/login' || url.pathname === '/oauth/token') {
        logins.push({ at: Date.now(), body, auth: req.headers.authorization });
        const token = `tok-${++n}`;
        issued.set(token, Date.now() + 2000);
        const answer = url.pathname === '/login' ? { data: { token, ttl: 2 } } : { access_token: token, token_type: 'Bearer', expires_in: 2 };
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(answer));
        return;
      }
      calls++;
      const token = (req.headers.authorization ?? '').replace(/^Bearer /, '');
      const exp = issued.get(token);
      if (!exp || exp < Date.now()) {
        rejected++;
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"expired"}');
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, token }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const address = `127.0.0.1:${(server.address() as { port: number }).port}`;
  return { server, address, logins, stats: () => ({ calls, rejected }), revokeAll: () => issued.clear() };
}

const tools = (source: string) => `server:
  name: secured
  config:
    user: svc-user
    password: svc-pass
  securitySchemes:
    - id: login
      type: http
      scheme: bearer
      tokenSource:
${source}
tools:
  - name: data
    description: protected data
    requestTemplate:
      url: /data
      method: GET
      security: { id: login }
`;

describe('backend tokens from a login endpoint', () => {
  let gw: TestGateway;
  let backend: Awaited<ReturnType<typeof startLoginBackend>>;

  beforeAll(async () => {
    backend = await startLoginBackend();
    gw = await startGateway();
    await gw.admin('PUT', '/api/v1/services/secured', { protocol: 'http', endpoints: [backend.address] });
  });
  afterAll(async () => {
    await gw?.stop();
    backend?.server.close();
  });

  it('logs in once per token lifetime over 20 calls in 5 s, with no failed call', async () => {
    const source = [
      '        type: login',
      '        url: /login',
      '        method: POST',
      '        body: \'{"user": "{{.config.user}}", "password": "{{.config.password}}"}\'',
      '        tokenPath: data.token',
      '        expiresInPath: data.ttl',
    ].join('\n');
    const put = await gw.admin('PUT', '/api/v1/mcp-servers/secured', { type: 'http-to-mcp', description: 'd', service: 'secured', tools: tools(source) });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    // The login password sits in server.config and is masked in the API.
    expect(put.body.tools).not.toContain('svc-pass');
    await gw.settled();
    const client = await connectClient(gw.dataUrl, 'secured', 'streamable-http');
    const started = Date.now();
    for (let i = 0; i < 20; i++) {
      const r = await client.callTool({ name: 'data', arguments: {} });
      expect(r.isError, JSON.stringify(r.content)).toBeFalsy();
      await new Promise((res) => setTimeout(res, 250));
    }
    const elapsed = (Date.now() - started) / 1000;
    await client.close();
    expect(backend.stats().rejected).toBe(0);
    expect(JSON.parse(backend.logins[0].body)).toEqual({ user: 'svc-user', password: 'svc-pass' });
    // One login per 2 s lifetime (refreshed shortly before expiry), never one per call. The elapsed time also
    // covers the last call's answer, which no token lifetime needs to cover, hence floor for the lower bound.
    const expected = Math.ceil(elapsed / 1.8);
    expect(backend.logins.length).toBeGreaterThanOrEqual(Math.max(1, Math.floor(elapsed / 2)));
    expect(backend.logins.length).toBeLessThanOrEqual(expected + 1);
  });

  it('fetches a new token and retries once when the backend answers 401', async () => {
    const client = await connectClient(gw.dataUrl, 'secured', 'streamable-http');
    await client.callTool({ name: 'data', arguments: {} });
    const loginsBefore = backend.logins.length;
    backend.revokeAll();
    const r = await client.callTool({ name: 'data', arguments: {} });
    expect(r.isError).toBeFalsy();
    expect(backend.logins.length).toBe(loginsBefore + 1);
    await client.close();
  });

  it('supports OAuth 2.0 client credentials', async () => {
    const source = ['        type: client-credentials', '        tokenUrl: /oauth/token', '        clientId: gateway', '        clientSecret: cc-secret-123', '        scope: read'].join('\n');
    const put = await gw.admin('PUT', '/api/v1/mcp-servers/secured', { type: 'http-to-mcp', description: 'd', service: 'secured', tools: tools(source) });
    expect(put.status).toBe(200);
    expect(put.body.tools).not.toContain('cc-secret-123');
    await gw.settled();
    const before = backend.logins.length;
    const client = await connectClient(gw.dataUrl, 'secured', 'sse');
    const r = await client.callTool({ name: 'data', arguments: {} });
    expect(r.isError).toBeFalsy();
    await client.close();
    const login = backend.logins[before];
    expect(new URLSearchParams(login.body).get('grant_type')).toBe('client_credentials');
    expect(new URLSearchParams(login.body).get('scope')).toBe('read');
    expect(login.auth).toBe(`Basic ${Buffer.from('gateway:cc-secret-123').toString('base64')}`);
  });
});
