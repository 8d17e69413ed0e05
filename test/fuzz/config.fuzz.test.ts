/**
 * Configuration inputs an operator or a console user can hand the gateway: tool YAML, declarative files and
 * OpenAPI documents. Any text gives a result or coded errors, never a throw, a hang or a blown stack;
 * alias bombs and deep nesting are bounded.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { stringify } from 'yaml';
import { parseToolConfig } from '../../src/config/tool-config.js';
import { parseDeclarative } from '../../src/control/declarative.js';
import { GatewayError } from '../../src/errors.js';
import { convertOpenApi, OpenApiError } from '../../src/openapi/index.js';
import { report, runs, SEED, timeout } from './support.js';

const VALID_TOOLS = {
  server: { name: 'pets', config: { apiKey: 'k' }, securitySchemes: [{ id: 'key', type: 'apiKey', in: 'header', name: 'X-Key', defaultCredential: 'c' }] },
  tools: [
    {
      name: 'getPet',
      description: 'Get a pet',
      args: [{ name: 'id', type: 'integer', required: true, position: 'path' }, { name: 'tags', type: 'array', items: { type: 'string' } }],
      requestTemplate: { url: '/pets/{id}', method: 'GET', headers: [{ key: 'x-a', value: '{{.args.id}}' }], security: { id: 'key' } },
      responseTemplate: { body: '{{.name}}' },
    },
  ],
};

const VALID_DECLARATIVE = {
  services: [{ name: 'pets', protocol: 'http', endpoints: ['127.0.0.1:9000'], timeoutMs: 1000 }],
  mcpServers: [{ name: 'pets', type: 'http-to-mcp', description: 'd', service: 'pets', tools: stringify(VALID_TOOLS) }],
  consumers: [{ name: 'alice', credentials: [{ type: 'key-auth', key: 'secret-key-1234' }] }],
};

type Json = unknown;

/** Replaces the value at a random path of `base` with `value` (or deletes it when value is undefined). */
function mutate(base: Json, path: number[], value: Json): Json {
  if (path.length === 0 || base === null || typeof base !== 'object') return value;
  const copy: any = Array.isArray(base) ? [...base] : { ...(base as object) };
  const keys = Object.keys(copy);
  if (keys.length === 0) return value;
  const k = keys[path[0] % keys.length];
  const next = mutate(copy[k], path.slice(1), value);
  if (next === undefined) delete copy[k];
  else copy[k] = next;
  return copy;
}

const oddValue = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(undefined, null, '', '{{', '}}', '{{.args.x', '{{range .}}', 'a\r\nb', '\u0000', '../../etc', 'http://169.254.169.254/', -1, 1e308, 'getPet', 'path', 'body', 'apiKey'),
);

function mutatedText(base: Json) {
  return fc
    .tuple(fc.array(fc.tuple(fc.array(fc.nat(20), { maxLength: 6 }), oddValue), { minLength: 1, maxLength: 4 }), fc.constantFrom('yaml', 'json'))
    .map(([edits, format]) => {
      let doc = base;
      for (const [path, v] of edits) doc = mutate(doc, path, v);
      return format === 'json' ? JSON.stringify(doc) ?? '' : stringify(doc ?? null);
    });
}

/** Raw hostile texts: syntax junk, alias bombs, deep nesting, odd scalars. */
const hostileText = fc.oneof(
  fc.string({ maxLength: 300 }),
  fc.array(fc.constantFrom('server:', 'tools:', '  - ', 'name: x', '&a', '*a', '[', ']', '{', '}', ': ', '\n', '  ', '!!binary', '<<: *a', '---', '...', '"', "'", '|', '>-', '#', '%YAML 1.1', '? '), { maxLength: 40 }).map((p) => p.join('')),
  fc.integer({ min: 2, max: 12 }).map((n) => {
    let s = 'a: &a ["x","x","x","x","x","x","x","x","x","x"]\n';
    for (let i = 1; i < n; i++) s += `${'b'.repeat(i)}: &${'a'.repeat(i + 1)} [${Array(10).fill(`*${'a'.repeat(i)}`).join(',')}]\n`;
    return s;
  }),
  fc.integer({ min: 100, max: 100_000 }).map((d) => `server: ${'['.repeat(d)}${']'.repeat(d)}\n`),
  fc.integer({ min: 100, max: 50_000 }).map((d) => `${'{"a":'.repeat(d)}1${'}'.repeat(d)}`),
  fc.integer({ min: 100, max: 2_000 }).map((d) => Array.from({ length: d }, (_, i) => `${' '.repeat(i)}k:`).join('\n')),
);

function timed<T>(fn: () => T): { value: T; ms: number } {
  const t0 = performance.now();
  const value = fn();
  return { value, ms: performance.now() - t0 };
}

describe('configuration fuzz', () => {
  it('tool YAML: a result or coded errors, never a throw', () => {
    let tried = 0;
    let accepted = 0;
    let slowest = 0;
    fc.assert(
      fc.property(fc.oneof(mutatedText(VALID_TOOLS), hostileText), (text) => {
        tried++;
        const { value: result, ms } = timed(() => parseToolConfig(text));
        slowest = Math.max(slowest, ms);
        if (result.ok) accepted++;
        else {
          expect(result.errors.length).toBeGreaterThan(0);
          for (const e of result.errors) expect(e.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
        }
      }),
      { numRuns: runs(1500), seed: SEED },
    );
    expect(accepted).toBeGreaterThan(0);
    report('tool YAML', tried, { accepted, slowestMs: Math.round(slowest) });
  }, timeout(60_000));

  it('declarative files: parsed or a VALIDATION_FAILED error with positions', () => {
    let tried = 0;
    let accepted = 0;
    let slowest = 0;
    fc.assert(
      fc.property(fc.oneof(mutatedText(VALID_DECLARATIVE), hostileText), (text) => {
        tried++;
        const t0 = performance.now();
        try {
          parseDeclarative(text, 'fuzz.yaml');
          accepted++;
        } catch (err) {
          expect(err).toBeInstanceOf(GatewayError);
          expect((err as GatewayError).code).toBe('VALIDATION_FAILED');
          expect((err as GatewayError).details.length).toBeGreaterThan(0);
        }
        slowest = Math.max(slowest, performance.now() - t0);
      }),
      { numRuns: runs(1000), seed: SEED },
    );
    expect(accepted).toBeGreaterThan(0);
    report('declarative file', tried, { accepted, slowestMs: Math.round(slowest) });
  }, timeout(60_000));

  it('OpenAPI documents: tool YAML that parses, or a coded OpenApiError', async () => {
    const base = {
      openapi: '3.0.3',
      info: { title: 't', version: '1' },
      servers: [{ url: 'https://api.example.com/v1' }],
      paths: {
        '/pets/{id}': {
          get: {
            operationId: 'getPet',
            parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
            responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Pet' } } } } },
          },
        },
      },
      components: { schemas: { Pet: { type: 'object', properties: { name: { type: 'string' }, kids: { type: 'array', items: { $ref: '#/components/schemas/Pet' } } } } } },
    };
    let tried = 0;
    let converted = 0;
    const codes = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutatedText(base), hostileText), async (text) => {
        tried++;
        try {
          const out = await convertOpenApi(text);
          converted++;
          const parsed = parseToolConfig(out.yaml);
          if (out.toolCount > 0) expect(parsed.ok, JSON.stringify(parsed.ok ? '' : parsed.errors.slice(0, 2))).toBe(true);
        } catch (err) {
          expect(err).toBeInstanceOf(OpenApiError);
          const e = err as OpenApiError;
          expect(e.code).toMatch(/^OPENAPI_[A-Z_]+$/);
          // An unanticipated exception is wrapped with this prefix: a bug, not a verdict on the document.
          expect(e.message).not.toMatch(/could not be converted/);
          codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        }
      }),
      { numRuns: runs(600, 0.3), seed: SEED },
    );
    expect(converted).toBeGreaterThan(0);
    report('OpenAPI documents', tried, { converted, refused: Object.fromEntries(codes) });
  }, timeout(90_000));
});

describe('nesting bounds', () => {
  it('refuses texts nested past the bound before any parser recurses, in every reader', async () => {
    const deepFlow = `server: ${'['.repeat(100_000)}${']'.repeat(100_000)}\n`;
    const deepJson = `${'{"a":'.repeat(50_000)}1${'}'.repeat(50_000)}`;
    const deepBlock = Array.from({ length: 300 }, (_, i) => `${' '.repeat(i)}k:`).join('\n');
    for (const text of [deepFlow, deepJson, deepBlock]) {
      const tools = parseToolConfig(text);
      expect(tools.ok ? 'ok' : tools.errors[0].code).toBe('TOOL_CONFIG_TOO_DEEP');
      let declarative: unknown;
      try {
        parseDeclarative(text);
      } catch (err) {
        declarative = err;
      }
      expect((declarative as GatewayError).details[0].code).toBe('TOO_DEEP');
      await expect(convertOpenApi(`openapi: 3.0.0\n${text}`)).rejects.toMatchObject({ code: 'OPENAPI_NOT_PARSEABLE', message: expect.stringMatching(/nested too deeply/) });
    }
    // Nesting real documents use still parses.
    expect(parseToolConfig(`server:\n  name: s\ntools:\n  - name: t\n    description: d\n    args:\n      - name: a\n        type: object\n        properties: ${'{"x": {"type": "object", "properties": '.repeat(20)}{}${'}}'.repeat(20)}\n    requestTemplate: { url: /x, method: GET }\n`).ok).toBe(true);
  });
});
