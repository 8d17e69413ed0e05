import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair, exportSPKI } from 'jose';
import { createHmac } from 'node:crypto';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startBackend, type TestBackend } from '../support/backend.js';
import { connectClient, type ClientTransportKind } from '../support/mcp-client.js';

const CONSUMERS = ['alice', 'bob', 'carol'] as const;
const SERVERS = ['s1', 's2', 's3'] as const;
const TOOLS = ['t1', 't2', 't3'];
type Consumer = (typeof CONSUMERS)[number];
type Server = (typeof SERVERS)[number];

const SERVER_AUTH: Record<Server, { allowedConsumers?: string[]; allowedTools?: Record<string, string[]> }> = {
  s1: { allowedConsumers: ['alice', 'bob', 'carol'], allowedTools: { bob: ['t1'] } },
  s2: { allowedConsumers: ['alice'] },
  s3: { allowedTools: { carol: ['t2', 't3'] } },
};

// The expected answer, derived from the rules above rather than from the gateway.
function mayUse(c: Consumer, s: Server): boolean {
  const list = SERVER_AUTH[s].allowedConsumers;
  return !list || list.includes(c);
}
function visibleTools(c: Consumer, s: Server): string[] {
  return SERVER_AUTH[s].allowedTools?.[c] ?? TOOLS;
}

const toolYaml = (server: string) =>
  `server:\n  name: ${server}\ntools:\n${TOOLS.map((t) => `  - name: ${t}\n    description: ${t}\n    requestTemplate:\n      url: /${server}/${t}\n      method: GET\n`).join('')}`;

describe('consumer authentication: 3 consumers x 3 servers x 3 tools', () => {
  let gw: TestGateway;
  let backend: TestBackend;
  let jwks: http.Server;
  let carolToken: string;
  let privateKey: Awaited<ReturnType<typeof generateKeyPair>>['privateKey'];
  let publicPem: string;
  const issuer = 'https://issuer.test';

  async function sign(claims: Record<string, unknown>, opts: { iss?: string; aud?: string; exp?: string | number; nbf?: string | number } = {}) {
    let jwt = new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'k1' }).setIssuer(opts.iss ?? issuer).setAudience(opts.aud ?? 'mcp-gateway').setIssuedAt();
    jwt = jwt.setExpirationTime(opts.exp ?? '5m');
    if (opts.nbf !== undefined) jwt = jwt.setNotBefore(opts.nbf);
    return jwt.sign(privateKey);
  }

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey;
    publicPem = await exportSPKI(pair.publicKey);
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    jwks = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] })));
    await new Promise<void>((r) => jwks.listen(0, '127.0.0.1', r));
    const jwksUrl = `http://127.0.0.1:${(jwks.address() as { port: number }).port}/jwks.json`;
    carolToken = await sign({ sub: 'carol' });

    backend = await startBackend();
    gw = await startGateway();
    await gw.admin('PUT', '/api/v1/services/api', { protocol: 'http', endpoints: [backend.address] });
    await gw.admin('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: 'alice-key-0001' }] });
    await gw.admin('PUT', '/api/v1/consumers/bob', { credentials: [{ type: 'key-auth', key: 'bob-key-0002' }, { type: 'key-auth', key: 'bob-key-rotated' }] });
    await gw.admin('PUT', '/api/v1/consumers/carol', { credentials: [{ type: 'jwt', issuer, jwksUrl, audience: 'mcp-gateway', claim: 'sub', subject: 'carol' }] });
    for (const s of SERVERS) {
      const put = await gw.admin('PUT', `/api/v1/mcp-servers/${s}`, { type: 'http-to-mcp', description: s, service: 'api', tools: toolYaml(s), consumerAuth: { enabled: true, ...SERVER_AUTH[s] } });
      expect(put.status, JSON.stringify(put.body)).toBe(201);
    }
    await gw.settled();
  });
  afterAll(async () => {
    await gw?.stop();
    await backend?.close();
    jwks?.close();
  });

  const credentialOf = (c: Consumer) => (c === 'alice' ? 'alice-key-0001' : c === 'bob' ? 'bob-key-0002' : carolToken);

  async function initStatus(server: string, headers: Record<string, string>, query = ''): Promise<{ status: number; body: any; headers: Headers }> {
    const res = await fetch(`${gw.dataUrl}/mcp-servers/${server}${query}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
    });
    return { status: res.status, body: await res.json(), headers: res.headers };
  }

  for (const transport of ['streamable-http', 'sse'] as ClientTransportKind[]) {
    for (const c of CONSUMERS) {
      for (const s of SERVERS) {
        it(`${transport}: ${c} on ${s}`, async () => {
          const headers = { authorization: `Bearer ${credentialOf(c)}` };
          if (!mayUse(c, s)) {
            const refused = await initStatus(s, headers);
            expect(refused.status).toBe(403);
            expect(refused.body.error.data.code).toBe('CONSUMER_NOT_ALLOWED');
            await expect(connectClient(gw.dataUrl, s, transport, headers)).rejects.toThrow();
            return;
          }
          const client = await connectClient(gw.dataUrl, s, transport, headers);
          const listed = (await client.listTools()).tools.map((t) => t.name);
          expect(listed).toEqual(visibleTools(c, s));
          for (const t of TOOLS) {
            const before = backend.requests.length;
            if (visibleTools(c, s).includes(t)) {
              const r = await client.callTool({ name: t, arguments: {} });
              expect(r.isError).toBeFalsy();
              const req = backend.requests[before];
              expect(req.path).toBe(`/${s}/${t}`);
              expect(req.headers['x-mcp-consumer']).toBe(c);
              expect(JSON.stringify(req.headers)).not.toContain(credentialOf(c));
            } else {
              await expect(client.callTool({ name: t, arguments: {} })).rejects.toThrow(/may not call tool/);
              expect(backend.requests.length).toBe(before);
            }
          }
          await client.close();
        });
      }
    }
  }

  it('accepts a key in x-api-key and in ?api_key=, and a rotated second key', async () => {
    expect((await initStatus('s1', { 'x-api-key': 'alice-key-0001' })).status).toBe(200);
    expect((await initStatus('s1', {}, '?api_key=alice-key-0001')).status).toBe(200);
    expect((await initStatus('s1', { authorization: 'Bearer bob-key-rotated' })).status).toBe(200);
    const client = await connectClient(gw.dataUrl, 's3', 'streamable-http', { 'x-api-key': 'bob-key-0002' });
    expect((await client.listTools()).tools).toHaveLength(3);
    await client.close();
  });

  it('answers a missing or unknown credential with 401 and WWW-Authenticate, before any session', async () => {
    const none = await initStatus('s1', {});
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer /);
    expect(none.headers.get('mcp-session-id')).toBeNull();
    const wrong = await initStatus('s1', { authorization: 'Bearer not-a-key' });
    expect(wrong.status).toBe(401);
    expect(wrong.body.error.data.code).toBe('INVALID_CREDENTIAL');
    const sse = await fetch(`${gw.dataUrl}/mcp-servers/s1/sse`, { headers: { accept: 'text/event-stream' } });
    expect(sse.status).toBe(401);
  });

  it('refuses a session used with another consumer\'s credential', async () => {
    const init = await initStatus('s1', { authorization: 'Bearer alice-key-0001' });
    const sid = init.headers.get('mcp-session-id')!;
    const res = await fetch(`${gw.dataUrl}/mcp-servers/s1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid, authorization: 'Bearer bob-key-0002' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    expect(res.status).toBe(403);
    const noCred = await fetch(`${gw.dataUrl}/mcp-servers/s1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid },
      body: JSON.stringify({ jsonrpc: '2.0', id: 3, method: 'tools/list' }),
    });
    expect(noCred.status).toBe(401);
  });

  it('refuses bad JWTs: expired, not yet valid, wrong issuer, wrong audience, bad signature, alg none, HS/RS confusion', async () => {
    const now = Math.floor(Date.now() / 1000);
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const claims = { sub: 'carol', iss: issuer, aud: 'mcp-gateway', exp: now + 300, iat: now };
    const hsConfusion = (() => {
      const head = b64({ alg: 'HS256', typ: 'JWT' });
      const body = b64(claims);
      const sig = createHmac('sha256', publicPem).update(`${head}.${body}`).digest('base64url');
      return `${head}.${body}.${sig}`;
    })();
    const good = await sign({ sub: 'carol' });
    const parts = good.split('.');
    const tampered = `${parts[0]}.${b64({ ...claims, sub: 'carol', admin: true })}.${parts[2]}`;
    const bad = {
      expired: await sign({ sub: 'carol' }, { exp: now - 3600 }),
      notYetValid: await sign({ sub: 'carol' }, { nbf: now + 3600 }),
      wrongIssuer: await sign({ sub: 'carol' }, { iss: 'https://evil.test' }),
      wrongAudience: await sign({ sub: 'carol' }, { aud: 'someone-else' }),
      wrongSubject: await sign({ sub: 'mallory' }),
      badSignature: tampered,
      algNone: `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`,
      hsConfusion,
    };
    for (const [name, token] of Object.entries(bad)) {
      const res = await initStatus('s1', { authorization: `Bearer ${token}` });
      expect(res.status, name).toBe(401);
    }
    expect((await initStatus('s1', { authorization: `Bearer ${good}` })).status).toBe(200);
  });
});

describe('admin: generated consumer keys and named admin tokens', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ adminTokens: 'ci=read-only:ci-token-0123456789,ops=read-write:ops-token-0123456789' });
  });
  afterAll(async () => gw?.stop());

  it('generates a key when none is given and shows it once', async () => {
    const created = await gw.admin('POST', '/api/v1/consumers', { name: 'dora', credentials: [{ type: 'key-auth' }] });
    expect(created.status).toBe(201);
    const key = created.body.credentials[0].key as string;
    expect(key).toMatch(/^mck_[A-Za-z0-9_-]{32}$/);
    expect((await gw.admin('GET', '/api/v1/consumers/dora')).body.credentials[0].key).toBe('****');
    await gw.admin('PUT', '/api/v1/mcp-servers/time', { ...(await gw.admin('GET', '/api/v1/mcp-servers/time')).body, consumerAuth: { enabled: true } });
    await gw.settled();
    const client = await connectClient(gw.dataUrl, 'time', 'streamable-http', { 'x-api-key': key });
    expect((await client.listTools()).tools).toHaveLength(1);
    await client.close();
  });

  it('lets a read-only token read and refuses its writes with 403; audits the named actor', async () => {
    const ro = { authorization: 'Bearer ci-token-0123456789' };
    expect((await gw.admin('GET', '/api/v1/services', undefined, ro)).status).toBe(200);
    const write = await gw.admin('PUT', '/api/v1/services/x', { protocol: 'http', endpoints: ['127.0.0.1:1'] }, ro);
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('FORBIDDEN');
    const rw = await gw.admin('PUT', '/api/v1/services/x', { protocol: 'http', endpoints: ['127.0.0.1:1'] }, { authorization: 'Bearer ops-token-0123456789' });
    expect(rw.status).toBe(201);
    const audit = await gw.admin('GET', '/api/v1/audit?limit=1');
    expect(audit.body.items[0].actor).toMatch(/^ops@/);
  });
});

describe('configurable key locations', () => {
  it('reads consumer keys from the configured header and query parameter only', async () => {
    const gw = await startGateway({ consumerKeyHeader: 'X-Consumer-Key', consumerKeyQuery: 'ck' });
    try {
      await gw.admin('PUT', '/api/v1/consumers/erin', { credentials: [{ type: 'key-auth', key: 'erin-key-000001' }] });
      await gw.admin('PUT', '/api/v1/mcp-servers/time', { ...(await gw.admin('GET', '/api/v1/mcp-servers/time')).body, consumerAuth: { enabled: true } });
      await gw.settled();
      const init = (headers: Record<string, string>, query = '') =>
        fetch(`${gw.dataUrl}/mcp-servers/time${query}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
          body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
        }).then((r) => r.status);
      expect(await init({ 'x-consumer-key': 'erin-key-000001' })).toBe(200);
      expect(await init({}, '?ck=erin-key-000001')).toBe(200);
      expect(await init({ 'x-api-key': 'erin-key-000001' })).toBe(401);
      expect(await init({}, '?api_key=erin-key-000001')).toBe(401);
    } finally {
      await gw.stop();
    }
  });
});
