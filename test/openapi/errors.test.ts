import { describe, expect, it } from 'vitest';
import { convertOpenApi, OpenApiError } from '../../src/openapi/index.js';

/** Runs the converter expecting an OpenApiError; returns it. */
async function refusal(content: string, opts?: Parameters<typeof convertOpenApi>[1]): Promise<OpenApiError> {
  try {
    await convertOpenApi(content, opts);
  } catch (err) {
    expect(err).toBeInstanceOf(OpenApiError);
    return err as OpenApiError;
  }
  throw new Error('expected the document to be refused');
}

const info = { title: 'T', version: '1' };
const withBodySchema = (schema: unknown, extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    openapi: '3.0.3',
    info,
    paths: { '/pets': { post: { requestBody: { content: { 'application/json': { schema } } }, responses: { '204': { description: 'ok' } } } } },
    ...extra,
  });

describe('documents that are not YAML or JSON', () => {
  it('reports JSON syntax errors with line and column', async () => {
    const err = await refusal('{\n  "openapi": "3.0.0",\n  "paths": {\n    "/a": }\n}');
    expect(err.code).toBe('OPENAPI_NOT_PARSEABLE');
    expect(err.location).toBe('4:11');
  });

  it('reports YAML syntax errors with line and column', async () => {
    const err = await refusal('openapi: 3.0.0\ninfo:\n  title: x\npaths:\n  /a: {get: [}\n');
    expect(err.code).toBe('OPENAPI_NOT_PARSEABLE');
    expect(err.location).toMatch(/^5:\d+$/);
  });

  it('refuses empty text and non-text input', async () => {
    expect((await refusal('  \n ')).code).toBe('OPENAPI_NOT_PARSEABLE');
    expect((await refusal(42 as unknown as string)).code).toBe('OPENAPI_NOT_PARSEABLE');
  });
});

describe('documents that are not OpenAPI', () => {
  it.each([
    ['plain text', 'hello world', '/'],
    ['a list', '[1, 2, 3]', '/'],
    ['a map without a version', '{"info": {"title": "x"}}', '/'],
    ['OpenAPI 4', 'openapi: 4.0.0\npaths: {}', '/openapi'],
    ['Swagger 1.2', '{"swagger": "1.2", "apis": []}', '/swagger'],
  ])('%s', async (_name, content, location) => {
    const err = await refusal(content);
    expect(err.code).toBe('OPENAPI_NOT_OPENAPI');
    expect(err.location).toBe(location);
  });

  it('refuses a "paths" that is not a map', async () => {
    const err = await refusal(JSON.stringify({ openapi: '3.0.0', info, paths: ['/a'] }));
    expect([err.code, err.location]).toEqual(['OPENAPI_INVALID', '/paths']);
  });

  it('refuses an operation that is not a map, naming it', async () => {
    const err = await refusal(JSON.stringify({ openapi: '3.0.0', info, paths: { '/a/b': { get: 'oops' } } }));
    expect([err.code, err.location]).toEqual(['OPENAPI_INVALID', '/paths/~1a~1b/get']);
  });
});

describe('$ref problems', () => {
  it('names the broken $ref and where it is', async () => {
    const err = await refusal(withBodySchema({ $ref: '#/components/schemas/Missing' }, { components: { schemas: {} } }));
    expect(err.code).toBe('OPENAPI_BAD_REF');
    expect(err.location).toBe('/paths/~1pets/post/requestBody/content/application~1json/schema/$ref');
    expect(err.message).toContain('#/components/schemas/Missing');
  });

  it('finds a broken $ref nested inside a referenced schema', async () => {
    const err = await refusal(
      withBodySchema({ $ref: '#/components/schemas/Pet' }, { components: { schemas: { Pet: { type: 'object', properties: { owner: { $ref: '#/components/schemas/Nobody' } } } } } }),
    );
    expect(err.code).toBe('OPENAPI_BAD_REF');
    expect(err.location).toBe('/components/schemas/Pet/properties/owner/$ref');
  });

  it('reports external $refs instead of fetching them', async () => {
    for (const ref of ['./pet.yaml#/Pet', 'https://example.com/schemas/pet.json']) {
      const err = await refusal(withBodySchema({ $ref: ref }));
      expect(err.code).toBe('OPENAPI_BAD_REF');
      expect(err.message).toContain('external');
      expect(err.location).toContain('/schema/$ref');
    }
  });

  it('refuses a $ref chain that loops without reaching a schema', async () => {
    const err = await refusal(withBodySchema({ $ref: '#/components/schemas/A' }, { components: { schemas: { A: { $ref: '#/components/schemas/B' }, B: { $ref: '#/components/schemas/A' } } } }));
    expect(err.code).toBe('OPENAPI_BAD_REF');
    expect(err.message).toContain('never reaches');
  });

  it('converts a self-referencing schema, bounded, with a warning', async () => {
    const node = { type: 'object', properties: { name: { type: 'string' }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } } };
    const result = await convertOpenApi(withBodySchema({ $ref: '#/components/schemas/Node' }, { components: { schemas: { Node: node } } }));
    expect(result.toolCount).toBe(1);
    expect(result.warnings.map((w) => w.code)).toContain('CIRCULAR_SCHEMA');
    expect(result.yaml).toContain('- name: children');
  });
});

describe('size and nesting limits', () => {
  it('refuses documents above maxBytes', async () => {
    const err = await refusal(withBodySchema({ type: 'object' }), { maxBytes: 100 });
    expect(err.code).toBe('OPENAPI_TOO_LARGE');
    const big = await refusal('x'.repeat(65 * 1024 * 1024));
    expect(big.code).toBe('OPENAPI_TOO_LARGE');
  });

  it('turns down 50 MB of nonsense quickly', async () => {
    const words = ['lorem: ipsum', '- dolor', '{sit', 'amet]', '# consectetur', '? adipiscing', '"elit', "'sed", 'do: eiusmod: tempor'];
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < 50 * 1024 * 1024; i++) {
      const line = `${words[i % words.length]} ${i.toString(36)}\n`;
      parts.push(line);
      size += line.length;
    }
    const started = Date.now();
    const err = await refusal(parts.join(''));
    expect(['OPENAPI_NOT_OPENAPI', 'OPENAPI_NOT_PARSEABLE']).toContain(err.code);
    expect(err.location).toBe('1:1');
    const brace = await refusal(`{${'nonsense '.repeat(5_600_000)}`);
    expect([brace.code, brace.location]).toEqual(['OPENAPI_NOT_PARSEABLE', '1:2']);
    expect(Date.now() - started).toBeLessThan(15_000);
  });

  it('parses large YAML off the main thread and still reports the line', async () => {
    const paths = Array.from({ length: 12_000 }, (_, i) => `  /items/${i}:\n    get:\n      operationId: get${i}\n      responses:\n        "200": { description: ok }\n`).join('');
    const text = `openapi: 3.0.0\ninfo: { title: big, version: "1" }\npaths:\n${paths}broken: [\n`;
    expect(text.length).toBeGreaterThan(1024 * 1024);
    const err = await refusal(text);
    expect(err.code).toBe('OPENAPI_NOT_PARSEABLE');
    // The unclosed "[" is on line 60004; the parser notices it there or at the end of the text.
    expect(err.location).toMatch(/^6000[45]:\d+$/);
  });

  it('survives a deeply nested JSON schema, bounding the output depth', async () => {
    const depth = 50_000;
    const schema = '{"type":"object","properties":{"a":'.repeat(depth) + '{"type":"string"}' + '}}'.repeat(depth);
    const text = `{"openapi":"3.0.0","info":{"title":"d","version":"1"},"paths":{"/a":{"post":{"requestBody":{"content":{"application/json":{"schema":${schema}}}}}}}}`;
    try {
      const result = await convertOpenApi(text);
      expect(result.toolCount).toBe(1);
      expect(result.yaml.length).toBeLessThan(5_000);
    } catch (err) {
      expect(err).toBeInstanceOf(OpenApiError);
    }
  });

  it('refuses YAML nested too deeply to parse', async () => {
    const err = await refusal(`openapi: 3.0.0\npaths: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`);
    expect(err.code).toBe('OPENAPI_NOT_PARSEABLE');
    expect(err.location).toMatch(/^\d+:\d+$/);
  });
});
