import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';

describe('admin API: auth, validation and coded errors', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ maxBodyBytes: 256 * 1024 });
  });
  afterAll(async () => gw?.stop());

  it('refuses a missing or wrong admin token with 401', async () => {
    const none = await fetch(`${gw.adminUrl}/api/v1/services`);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toContain('Bearer');
    expect(((await none.json()) as any).error.code).toBe('UNAUTHORIZED');
    const wrong = await gw.admin('GET', '/api/v1/services', undefined, { authorization: 'Bearer nope' });
    expect(wrong.status).toBe(401);
  });

  it('answers unknown resources and routes with 404', async () => {
    const res = await gw.admin('GET', '/api/v1/services/ghost');
    expect(res.status).toBe(404);
    expect(res.body.error).toMatchObject({ code: 'NOT_FOUND', message: 'service "ghost" does not exist' });
    expect((await gw.admin('GET', '/api/v1/nothing')).body.error.code).toBe('ROUTE_NOT_FOUND');
  });

  it('rejects invalid JSON with 400 and oversized bodies with 413', async () => {
    const bad = await gw.admin('POST', '/api/v1/services', '{"name":');
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_JSON');
    const big = await gw.admin('POST', '/api/v1/services', { name: 'big', protocol: 'http', endpoints: ['a:1'], description: 'x'.repeat(300 * 1024) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('BODY_TOO_LARGE');
  });

  it('rejects unknown fields, bad names and missing sources with 422 and the field path', async () => {
    const unknown = await gw.admin('POST', '/api/v1/services', { name: 'svc', protocol: 'http', endpoints: ['127.0.0.1:1'], colour: 'red' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error.details).toContainEqual(expect.objectContaining({ path: 'colour', code: 'UNKNOWN_FIELD' }));
    const badName = await gw.admin('POST', '/api/v1/services', { name: 'Bad_Name', protocol: 'http', endpoints: ['127.0.0.1:1'] });
    expect(badName.status).toBe(422);
    expect(badName.body.error.details[0].path).toBe('name');
    const noSource = await gw.admin('POST', '/api/v1/services', { name: 'svc', protocol: 'http' });
    expect(noSource.status).toBe(422);
  });

  it('reports tool YAML errors with line and column, and saves nothing', async () => {
    const yamlError = await gw.admin('POST', '/api/v1/mcp-servers', { name: 'bad', type: 'http-to-mcp', description: 'd', tools: 'server:\n  name: x\ntools:\n  - name: a\n    description: [unclosed\n' });
    expect(yamlError.status).toBe(422);
    const d = yamlError.body.error.details[0];
    expect(d.code).toBe('TOOL_CONFIG_YAML');
    expect(d.line).toBeGreaterThanOrEqual(5);
    expect(d.column).toBeGreaterThan(0);

    const exclusive = await gw.admin('POST', '/api/v1/mcp-servers', {
      name: 'bad', type: 'http-to-mcp', description: 'd',
      tools: 'server:\n  name: x\ntools:\n  - name: a\n    requestTemplate:\n      url: http://example.com\n      method: GET\n      argsToJsonBody: true\n      argsToUrlParam: true\n',
    });
    expect(exclusive.status).toBe(422);
    expect(exclusive.body.error.details[0]).toMatchObject({ code: 'TOOL_CONFIG_EXCLUSIVE_OPTIONS', line: 9, column: 7 });

    const unknownField = await gw.admin('POST', '/api/v1/mcp-servers', { name: 'bad', type: 'http-to-mcp', description: 'd', tools: 'server:\n  name: x\ntools:\n  - name: a\n    descripton: typo\n    responseTemplate:\n      body: hi\n' });
    expect(unknownField.status).toBe(422);
    expect(unknownField.body.error.details[0]).toMatchObject({ code: 'TOOL_CONFIG_UNKNOWN_FIELD', line: 5, column: 5 });

    const badTemplate = await gw.admin('POST', '/api/v1/mcp-servers', { name: 'bad', type: 'http-to-mcp', description: 'd', tools: 'server:\n  name: x\ntools:\n  - name: a\n    responseTemplate:\n      body: |\n        line one\n        {{ .args.x | nosuchfunc }}\n' });
    expect(badTemplate.status).toBe(422);
    expect(badTemplate.body.error.details[0]).toMatchObject({ code: 'TOOL_CONFIG_TEMPLATE', line: 8 });
    expect(badTemplate.body.error.details[0].message).toContain('tool "a"');

    expect((await gw.admin('GET', '/api/v1/mcp-servers/bad')).status).toBe(404);
  });

  it('checks references: 422 for a missing service, 409 when deleting one in use', async () => {
    const missing = await gw.admin('POST', '/api/v1/mcp-servers', { name: 'orphan', type: 'http-to-mcp', description: 'd', service: 'nope' });
    expect(missing.status).toBe(422);
    expect(missing.body.error.details[0].code).toBe('REFERENCE_NOT_FOUND');
    expect((await gw.admin('PUT', '/api/v1/services/api', { protocol: 'http', endpoints: ['127.0.0.1:9'] })).status).toBe(201);
    expect((await gw.admin('PUT', '/api/v1/mcp-servers/uses-api', { type: 'http-to-mcp', description: 'd', service: 'api' })).status).toBe(201);
    const del = await gw.admin('DELETE', '/api/v1/services/api');
    expect(del.status).toBe(409);
    expect(del.body.error.code).toBe('IN_USE');
    expect((await gw.admin('POST', '/api/v1/services', { name: 'api', protocol: 'http', endpoints: ['127.0.0.1:9'] })).status).toBe(409);
  });

  it('upserts with PUT (201 then 200) and records audit entries', async () => {
    expect((await gw.admin('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: 'alice-key-123' }] })).status).toBe(201);
    const again = await gw.admin('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: '****' }] });
    expect(again.status).toBe(200);
    expect(again.body.credentials[0].key).toBe('****');
    const audit = await gw.admin('GET', '/api/v1/audit?limit=5');
    expect(audit.status).toBe(200);
    const entry = audit.body.items.find((e: { name: string; action: string }) => e.name === 'alice' && e.action === 'update');
    expect(entry.after.credentials[0].key).toBe('****');
    expect(JSON.stringify(audit.body)).not.toContain('alice-key-123');
  });

  it('serves the OpenAPI 3.1 document and the instance list', async () => {
    const doc = (await fetch(`${gw.adminUrl}/api/v1/openapi.json`).then((r) => r.json())) as any;
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/mcp-servers', '/api/v1/mcp-servers/{name}', '/api/v1/openapi-to-mcp']));
    expect(doc.components.schemas.McpServer.required).toContain('description');
    const instances = await gw.admin('GET', '/api/v1/instances');
    expect(instances.body.items).toHaveLength(1);
    expect(instances.body.items[0]).toMatchObject({ version: expect.any(String), id: gw.gateway.instanceId });
  });
});
