import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import { discoverOAuthServerInfo, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectClient } from '../support/mcp-client.js';

/** A minimal authorization server for the test: RFC 8414 metadata, JWKS, and a client-credentials token endpoint. */
async function startAuthServer() {
  const { privateKey, publicKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid: 'as1', alg: 'RS256', use: 'sig' };
  let base = '';
  const sign = (claims: Record<string, unknown>, aud: string, exp = '5m') =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: 'as1' }).setIssuer(base).setAudience(aud).setIssuedAt().setExpirationTime(exp).sign(privateKey);
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', base);
      if (url.pathname === '/.well-known/oauth-authorization-server') {
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({
          issuer: base, token_endpoint: `${base}/token`, jwks_uri: `${base}/jwks`, authorization_endpoint: `${base}/authorize`,
          response_types_supported: ['code'], grant_types_supported: ['client_credentials'],
        }));
      }
      if (url.pathname === '/jwks') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
      if (url.pathname === '/token') {
        const form = new URLSearchParams(body);
        const token = await sign({ sub: 'agent-1', scope: form.get('scope') ?? '' }, form.get('resource') ?? '');
        return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, token_type: 'Bearer', expires_in: 300 }));
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { server, base, sign };
}

describe('MCP authorization: the gateway as OAuth resource server', () => {
  let gw: TestGateway;
  let as: Awaited<ReturnType<typeof startAuthServer>>;
  let resource: string;

  beforeAll(async () => {
    as = await startAuthServer();
    gw = await startGateway();
    const tools = 'server:\n  name: guarded\ntools:\n  - name: hello\n    description: hi\n    responseTemplate:\n      body: hello\n';
    const put = await gw.admin('PUT', '/api/v1/mcp-servers/guarded', {
      type: 'http-to-mcp', description: 'OAuth-protected', tools,
      oauth: { authorizationServers: [as.base], jwksUrl: `${as.base}/jwks`, scopes: ['mcp:tools'] },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    await gw.settled();
    resource = `${gw.dataUrl}/mcp-servers/guarded`;
  });
  afterAll(async () => {
    await gw?.stop();
    as?.server.close();
  });

  it('lets the SDK discover the metadata from the 401 and then call with a token it obtained', async () => {
    const res = await fetch(resource, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
    expect(res.status).toBe(401);
    const { resourceMetadataUrl, scope } = extractWWWAuthenticateParams(res);
    expect(resourceMetadataUrl?.href).toBe(`${gw.dataUrl}/.well-known/oauth-protected-resource/mcp-servers/guarded`);
    expect(scope).toBe('mcp:tools');
    const info = await discoverOAuthServerInfo(resource, { resourceMetadataUrl });
    expect(info.resourceMetadata?.resource).toBe(resource);
    expect(info.resourceMetadata?.authorization_servers).toEqual([as.base]);
    const tokenEndpoint = info.authorizationServerMetadata!.token_endpoint;
    const tokenRes = await fetch(tokenEndpoint, { method: 'POST', body: new URLSearchParams({ grant_type: 'client_credentials', scope: 'mcp:tools', resource }) });
    const { access_token } = (await tokenRes.json()) as { access_token: string };
    const client = await connectClient(gw.dataUrl, 'guarded', 'streamable-http', { authorization: `Bearer ${access_token}` });
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['hello']);
    await client.close();
  });

  it('refuses a token for another audience (401) and one without the scope (403 insufficient_scope)', async () => {
    const post = (token: string) => fetch(resource, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', authorization: `Bearer ${token}` }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) });
    const otherAudience = await post(await as.sign({ sub: 'x', scope: 'mcp:tools' }, 'https://other.example/mcp'));
    expect(otherAudience.status).toBe(401);
    expect(otherAudience.headers.get('www-authenticate')).toContain('error="invalid_token"');
    const noScope = await post(await as.sign({ sub: 'x', scope: 'other' }, resource));
    expect(noScope.status).toBe(403);
    expect(noScope.headers.get('www-authenticate')).toMatch(/error="insufficient_scope".*|scope="mcp:tools"/);
    expect(noScope.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    const expired = await post(await as.sign({ sub: 'x', scope: 'mcp:tools' }, resource, '-10m'));
    expect(expired.status).toBe(401);
    const good = await post(await as.sign({ sub: 'x', scope: 'mcp:tools extra' }, resource));
    expect(good.status).toBe(200);
  });

  it('serves no metadata for servers without OAuth', async () => {
    const res = await fetch(`${gw.dataUrl}/.well-known/oauth-protected-resource/mcp-servers/time`);
    expect(res.status).toBe(404);
  });
});
