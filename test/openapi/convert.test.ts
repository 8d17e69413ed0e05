import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { convertOpenApi, type ConvertResult } from '../../src/openapi/index.js';
import { parseToolConfig } from '../../src/config/tool-config.js';
import { argSchema, checkToolYaml } from './output-check.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, 'fixtures', name), 'utf8');

function toolsOf(result: ConvertResult): Record<string, any> {
  const doc = parse(result.yaml);
  return Object.fromEntries(doc.tools.map((t: any) => [t.name, t]));
}
const argsOf = (tool: any) => Object.fromEntries(tool.args.map((a: any) => [a.name, a]));
const codes = (result: ConvertResult) => result.warnings.map((w) => w.code);

function expectValid(result: ConvertResult): void {
  const validated = parseToolConfig(result.yaml);
  expect(validated.ok ? [] : validated.errors).toEqual([]);
  expect(checkToolYaml(result.yaml).problems).toEqual([]);
}

describe('Swagger 2.0 pet store', () => {
  it('maps host, basePath and schemes to URLs, and each operation to one tool', async () => {
    const result = await convertOpenApi(fixture('petstore-swagger2.yaml'));
    expectValid(result);
    const tools = toolsOf(result);
    expect(Object.keys(tools)).toEqual(['addPet', 'findPetsByStatus', 'getPetById', 'updatePetWithForm', 'deletePet', 'uploadFile', 'get_store_inventory']);
    expect(result.toolCount).toBe(7);
    expect(parse(result.yaml).server.name).toBe('swagger-petstore');
    expect(tools.getPetById.requestTemplate.url).toBe('https://petstore.example.com/v2/pet/{petId}');
    expect(tools.deletePet.requestTemplate.method).toBe('DELETE');
    expect(tools.findPetsByStatus.description).toBe('Finds Pets by status - Multiple status values can be provided.');
  });

  it('turns a body parameter into body args, leaving out read-only fields', async () => {
    const tools = toolsOf(await convertOpenApi(fixture('petstore-swagger2.yaml')));
    const add = tools.addPet;
    expect(add.args.map((a: any) => [a.name, a.position, a.required === true])).toEqual([
      ['category', 'body', false],
      ['name', 'body', true],
      ['photoUrls', 'body', true],
      ['tag', 'body', false],
      ['status', 'body', false],
    ]);
    const args = argsOf(add);
    expect(args.category.properties).toEqual({ id: { type: 'integer', format: 'int64' }, name: { type: 'string' } });
    expect(args.status.enum).toEqual(['available', 'pending', 'sold']);
    expect(args.tag.nullable).toBe(true);
    expect(add.requestTemplate.headers).toEqual([{ key: 'Content-Type', value: 'application/json' }]);
    expect(add.requestTemplate.body).toBeUndefined();
  });

  it('keeps inline parameter types, path-level parameters and form fields', async () => {
    const result = await convertOpenApi(fixture('petstore-swagger2.yaml'));
    const tools = toolsOf(result);
    const status = argsOf(tools.findPetsByStatus).status;
    expect(status).toMatchObject({ type: 'array', required: true, position: 'query', items: { type: 'string', enum: ['available', 'pending', 'sold'] } });
    expect(argsOf(tools.getPetById).petId).toMatchObject({ type: 'integer', format: 'int64', required: true, position: 'path' });
    const form = tools.updatePetWithForm;
    expect(form.args.map((a: any) => [a.name, a.position, a.required === true])).toEqual([
      ['petId', 'path', true],
      ['name', 'body', false],
      ['status', 'body', true],
    ]);
    expect(form.requestTemplate.headers).toEqual([{ key: 'Content-Type', value: 'application/x-www-form-urlencoded' }]);
    expect(argsOf(tools.deletePet).api_key.position).toBe('header');
  });

  it('maps basic and apiKey schemes, reports oauth2 and multipart', async () => {
    const result = await convertOpenApi(fixture('petstore-swagger2.yaml'));
    const doc = parse(result.yaml);
    expect(doc.server.securitySchemes).toEqual([
      { id: 'api_key', type: 'apiKey', in: 'header', name: 'api_key' },
      { id: 'basicAuth', type: 'http', scheme: 'basic' },
    ]);
    const tools = toolsOf(result);
    expect(tools.addPet.requestTemplate.security).toEqual({ id: 'api_key' });
    expect(tools.getPetById.requestTemplate.security).toEqual({ id: 'basicAuth' });
    expect(tools.deletePet.requestTemplate.security).toBeUndefined();
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'SECURITY_SCHEME_UNSUPPORTED', message: expect.stringContaining('petstore_auth') }));
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'BODY_MULTIPART_SKIPPED', operation: 'POST /pet/{petId}/uploadImage' }));
    expect(tools.uploadFile.args.map((a: any) => a.name)).toEqual(['petId']);
  });

  it('describes object responses in outputSchema and prependBody', async () => {
    const tools = toolsOf(await convertOpenApi(fixture('petstore-swagger2.yaml')));
    expect(tools.getPetById.outputSchema).toMatchObject({ type: 'object', description: 'successful operation', required: ['name', 'photoUrls'] });
    expect(tools.getPetById.responseTemplate.prependBody).toContain('- **photoUrls**:  (Type: array)\n  - **photoUrls[]**: Items of type string');
    // An array root gets a description but no outputSchema (MCP wants an object there).
    expect(tools.findPetsByStatus.outputSchema).toBeUndefined();
    expect(tools.findPetsByStatus.responseTemplate.prependBody).toContain('- **items**: Array of items (Type: array)');
    expect(tools.get_store_inventory.outputSchema).toEqual({
      type: 'object',
      description: 'successful operation',
      additionalProperties: { type: 'integer', format: 'int32' },
    });
  });
});

describe('OpenAPI 3.1 library document', () => {
  it('fills server variables from their defaults and honours path-level servers', async () => {
    const result = await convertOpenApi(fixture('library-openapi31.yaml'));
    expectValid(result);
    const tools = toolsOf(result);
    expect(tools.list_books.requestTemplate).toEqual({ url: 'https://eu.library.example.com/api/v2/books', method: 'GET', security: { id: 'bearer' } });
    expect(tools.uploadCover.requestTemplate.url).toBe('https://covers.example.com/books/{id}/cover');
    expect(parse(result.yaml).server.name).toBe('library-api-v2');
  });

  it('names tools validly and uniquely', async () => {
    const result = await convertOpenApi(fixture('library-openapi31.yaml'));
    expect(Object.keys(toolsOf(result))).toEqual(['list_books', 'createBook', 'getBook', 'getBook_2', 'deleteBook', 'patch_books_id', 'uploadCover', 'search']);
    expect(codes(result)).toEqual(expect.arrayContaining(['TOOL_NAME_CHANGED', 'TOOL_NAME_DUPLICATE']));
    const prefixed = toolsOf(await convertOpenApi(fixture('library-openapi31.yaml'), { toolPrefix: 'lib.', serverName: 'books' }));
    expect(Object.keys(prefixed)[0]).toBe('lib.list_books');
  });

  it('merges path and operation parameters, the operation winning', async () => {
    const tools = toolsOf(await convertOpenApi(fixture('library-openapi31.yaml')));
    const get = argsOf(tools.getBook);
    expect(get['X-Trace']).toEqual({ name: 'X-Trace', description: 'Trace id', type: 'string', required: true, position: 'header', pattern: '^[a-f0-9]{8}$' });
    expect(argsOf(tools.deleteBook)['X-Trace'].required).toBeUndefined();
    expect(argsOf(tools.list_books).limit).toEqual({ name: 'limit', description: 'Page size', type: 'integer', default: 20, position: 'query', minimum: 1, maximum: 100 });
    expect(argsOf(tools.list_books).session.position).toBe('cookie');
  });

  it('keeps allOf merged, oneOf and 3.1 null types as JSON Schema, and bounds recursion', async () => {
    const result = await convertOpenApi(fixture('library-openapi31.yaml'));
    const create = argsOf(toolsOf(result).createBook);
    expect(Object.keys(create)).toEqual(['title', 'subtitle', 'tags', 'author', 'format']);
    expect(create.subtitle).toMatchObject({ type: 'string', nullable: true });
    expect(create.author.description).toBe('Who wrote it');
    expect(Object.keys(create.author.properties)).toEqual(['name', 'born', 'books']);
    // Book -> Author -> books -> Book: the recursive item keeps its type, not its fields.
    expect(create.author.properties.books).toEqual({ type: 'array', items: { type: 'object' } });
    expect(codes(result)).toContain('CIRCULAR_SCHEMA');
    const ajv = new Ajv2020({ strict: false, validateFormats: false });
    const format = ajv.compile(argSchema(create.format));
    expect(format('ebook')).toBe(true);
    expect(format({ kind: 'audio', minutes: 30 })).toBe(true);
    expect(format('vinyl')).toBe(false);
    expect(format({ minutes: 30 })).toBe(false);
  });

  it('sends arrays, text and clashing bodies through a body template', async () => {
    const result = await convertOpenApi(fixture('library-openapi31.yaml'));
    const tools = toolsOf(result);
    expect(tools.getBook_2.requestTemplate).toMatchObject({ method: 'PUT', body: '{{.args.items}}', headers: [{ key: 'Content-Type', value: 'application/json' }] });
    expect(argsOf(tools.getBook_2).items).toEqual({ name: 'items', type: 'array', items: { type: 'string' }, position: 'body' });
    expect(tools.patch_books_id.requestTemplate).toMatchObject({ body: '{{.args.body}}', headers: [{ key: 'Content-Type', value: 'text/plain' }] });
    expect(tools.patch_books_id.requestTemplate.security).toBeUndefined();
    // "q" is both a query parameter and a body field: the body travels whole in one arg.
    expect(tools.search.args.map((a: any) => [a.name, a.position])).toEqual([['q', 'query'], ['body', 'body']]);
    expect(tools.search.requestTemplate.body).toBe('{{.args.body}}');
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'BODY_NAME_CONFLICT', operation: 'POST /search' }));
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'BODY_MEDIA_TYPE_UNSUPPORTED', operation: 'PUT /books/{id}/cover' }));
    expect(result.warnings).toContainEqual(expect.objectContaining({ code: 'PATH_PARAM_UNDECLARED', operation: 'PUT /books/{id}/cover' }));
    expect(argsOf(tools.uploadCover).id).toEqual({ name: 'id', type: 'string', required: true, position: 'path' });
  });

  it('applies bearer and query keys, reports openIdConnect and cookie keys', async () => {
    const result = await convertOpenApi(fixture('library-openapi31.yaml'));
    expect(parse(result.yaml).server.securitySchemes).toEqual([
      { id: 'bearer', type: 'http', scheme: 'bearer' },
      { id: 'queryKey', type: 'apiKey', in: 'query', name: 'key' },
    ]);
    const tools = toolsOf(result);
    expect(tools.getBook.requestTemplate.security).toEqual({ id: 'queryKey' });
    expect(tools.deleteBook.requestTemplate.security).toBeUndefined();
    const unsupported = result.warnings.filter((w) => w.code === 'SECURITY_SCHEME_UNSUPPORTED').map((w) => w.message);
    expect(unsupported).toHaveLength(2);
    expect(unsupported.join()).toMatch(/oidc.*cookieKey/);
  });

  it('reads the same document as JSON', async () => {
    const asJson = JSON.stringify(parse(fixture('library-openapi31.yaml')));
    const fromJson = await convertOpenApi(asJson);
    expect(fromJson.yaml).toBe((await convertOpenApi(fixture('library-openapi31.yaml'))).yaml);
  });
});

describe('edge cases', () => {
  it('uses basePath alone when a Swagger 2.0 document has no host', async () => {
    const doc = { swagger: '2.0', info: { title: 'x', version: '1' }, basePath: '/api/', paths: { '/ping': { get: { responses: { '200': { description: 'ok' } } } } } };
    const tools = toolsOf(await convertOpenApi(JSON.stringify(doc)));
    expect(tools.get_ping.requestTemplate).toEqual({ url: '/api/ping', method: 'GET' });
  });

  it('skips unusable names and methods the format lacks, with warnings, and stays valid', async () => {
    const doc = {
      openapi: '3.0.3',
      info: { title: 'x', version: '1' },
      paths: {
        '/things': {
          post: {
            operationId: 'make',
            requestBody: { content: { 'application/json': { schema: { type: 'object', properties: { '': { type: 'string' }, ok: { type: 'integer', format: 'int32', exclusiveMinimum: true, minimum: 0 } } } } } },
            responses: { '201': { description: 'made' } },
          },
          trace: { responses: { '200': { description: 'ok' } } },
        },
      },
    };
    const result = await convertOpenApi(JSON.stringify(doc));
    expectValid(result);
    expect(codes(result)).toEqual(expect.arrayContaining(['ARG_NAME_INVALID', 'METHOD_UNSUPPORTED']));
    // OpenAPI 3.0's boolean exclusiveMinimum becomes the 2020-12 number form.
    expect(argsOf(toolsOf(result).make).ok).toMatchObject({ type: 'integer', exclusiveMinimum: 0 });
    expect(argsOf(toolsOf(result).make).ok.minimum).toBeUndefined();
  });
});
