import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { convertOpenApi } from '../../src/openapi/index.js';
import { parseToolConfig } from '../../src/config/tool-config.js';
import { checkToolYaml } from './output-check.js';

// Inputs and expected outputs of Higress's converter (higress-group/openapi-to-mcpserver, test/).
const CORPUS = join(process.cwd(), '..', 'shared', 'corpus', 'higress-openapi-to-mcp');
const corpusDir = [CORPUS, '/work/shared/corpus/higress-openapi-to-mcp'].find((d) => {
  try {
    readFileSync(join(d, 'petstore.json'));
    return true;
  } catch {
    return false;
  }
});

const PAIRS: Array<[input: string, expected: string]> = [
  ['allof-params.json', 'expected-allof-params-mcp.yaml'],
  ['array-request-body.json', 'expected-array-request-body-mcp.yaml'],
  ['array-root-response.json', 'expected-array-root-response-mcp.yaml'],
  ['cookie-params.json', 'expected-cookie-params-mcp.yaml'],
  ['header-params.json', 'expected-header-params-mcp.yaml'],
  ['output-schema-test.json', 'expected-output-schema-test-mcp.yaml'],
  ['path-params.json', 'expected-path-params-mcp.yaml'],
  ['petstore.json', 'expected-petstore-mcp.yaml'],
  ['petstore.json', 'expected-petstore-template-mcp.yaml'],
  ['ref-test.json', 'expected-ref-test.yaml'],
  ['request-body-types.json', 'expected-request-body-types-mcp.yaml'],
  ['security-test.json', 'expected-security-test-mcp.yaml'],
  ['tools-args-array-of-object.json', 'expected-tools-args-array-of-object-mcp.yaml'],
  ['with-ref-chain.json', 'expected-with-ref-chain.yaml'],
  ['with-ref.json', 'expected-with-ref-mcp.yaml'],
];

/**
 * Where we differ from Higress on purpose. Keyed "expected file/tool", each entry says why and
 * adjusts the expected tool before comparing.
 */
const DIFFERENCES: Record<string, { why: string; adjust: (tool: any) => void }> = {
  'expected-request-body-types-mcp.yaml/uploadFile': {
    why: 'multipart bodies cannot be sent by a tool: we send no body and no multipart Content-Type (a multipart type without a boundary is a malformed request) and warn BODY_MULTIPART_SKIPPED',
    adjust: (t) => delete t.requestTemplate.headers,
  },
  'expected-ref-test.yaml/example-controller-getExampleData': {
    why:
      'the document sets a top-level `security: [ApiKeyAuth]`; OpenAPI applies it to every operation without its own, Higress reads only operation-level security. ' +
      'Its schemas say `type: double`, not a JSON Schema type: Higress copies it (ajv then refuses the schema), we write `number`',
    adjust: (t) => {
      t.requestTemplate.security = { id: 'ApiKeyAuth' };
      const retype = (v: any): void => {
        if (Array.isArray(v)) v.forEach(retype);
        else if (v && typeof v === 'object') {
          if (v.type === 'double') v.type = 'number';
          Object.values(v).forEach(retype);
        }
      };
      retype(t.outputSchema);
    },
  },
  'expected-with-ref-mcp.yaml/generateRecommendations': {
    why: 'header parameters without a schema: we type them as string (what a parameter value is on the wire) where Higress leaves the type out',
    adjust: (t) => {
      for (const a of t.args) if (a.position === 'header' && a.type === undefined) a.type = 'string';
    },
  },
};
/** Template files are a Higress CLI option (--template) outside this library's API. */
const TEMPLATE_HEADERS = new Set(['Authorization', 'X-Ca-Nonce']);

/** True when every field of `expected` appears in `actual` with the same value (extra fields allowed). */
function covers(actual: unknown, expected: unknown): boolean {
  if (expected === '' && actual === undefined) return true; // Higress writes empty descriptions; we omit them.
  if (typeof expected !== 'object' || expected === null) return actual === expected;
  if (Array.isArray(expected)) return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => covers(actual[i], e));
  if (typeof actual !== 'object' || actual === null) return false;
  return Object.entries(expected).every(([k, v]) => covers((actual as Record<string, unknown>)[k], v));
}

describe.skipIf(!corpusDir)('Higress openapi-to-mcpserver corpus', () => {
  for (const [input, expectedFile] of PAIRS) {
    it(`${input} agrees with ${expectedFile}`, async () => {
      const expected = parse(readFileSync(join(corpusDir!, expectedFile), 'utf8'));
      const result = await convertOpenApi(readFileSync(join(corpusDir!, input), 'utf8'), { serverName: expected.server.name });
      const actual = parse(result.yaml);

      // The gateway's own validator accepts the output, and every schema compiles with ajv 2020-12.
      const validated = parseToolConfig(result.yaml);
      expect(validated.ok ? [] : validated.errors).toEqual([]);
      expect(checkToolYaml(result.yaml).problems).toEqual([]);

      expect(actual.server.name).toBe(expected.server.name);
      // Same schemes; Higress sorts them by id, we keep document order.
      const byId = (a: { id: string }, b: { id: string }) => (a.id < b.id ? -1 : 1);
      expect([...(actual.server.securitySchemes ?? [])].sort(byId)).toEqual(expected.server.securitySchemes ?? []);

      // Same tools: Higress sorts by name, we keep document order.
      expect(actual.tools.map((t: any) => t.name).sort()).toEqual(expected.tools.map((t: any) => t.name).sort());
      expect(result.toolCount).toBe(expected.tools.length);

      for (const want of expected.tools) {
        const diff = DIFFERENCES[`${expectedFile}/${want.name}`];
        diff?.adjust(want);
        if (expectedFile.includes('template')) {
          want.requestTemplate.headers = want.requestTemplate.headers?.filter((h: { key: string }) => !TEMPLATE_HEADERS.has(h.key));
          if (want.requestTemplate.headers?.length === 0) delete want.requestTemplate.headers;
        }
        const got = actual.tools.find((t: any) => t.name === want.name);
        expect(got.description, want.name).toBe(want.description);
        // Args: same names, positions, types, required flags; Higress's nested schemas are a subset
        // of ours (we also keep format, default and other JSON Schema keywords).
        const gotArgs = [...got.args].sort((a: any, b: any) => (a.name < b.name ? -1 : 1));
        expect(gotArgs.map((a: any) => [a.name, a.position, a.type, a.required === true]), want.name).toEqual(
          want.args.map((a: any) => [a.name, a.position, a.type, a.required === true]),
        );
        want.args.forEach((w: any, i: number) => {
          expect(covers(gotArgs[i], w), `${want.name}.${w.name}: ${JSON.stringify(gotArgs[i])} should contain ${JSON.stringify(w)}`).toBe(true);
        });
        expect(got.requestTemplate, want.name).toEqual(want.requestTemplate);
        expect(got.outputSchema !== undefined, `${want.name} outputSchema`).toBe(want.outputSchema !== undefined);
        if (want.outputSchema) expect(covers(got.outputSchema, want.outputSchema), `${want.name} outputSchema`).toBe(true);
        expect(got.responseTemplate.prependBody !== undefined).toBe(want.responseTemplate.prependBody !== undefined);
      }
    });
  }

  it('describes response fields in prependBody exactly as Higress does', async () => {
    const expected = parse(readFileSync(join(corpusDir!, 'expected-output-schema-test-mcp.yaml'), 'utf8'));
    const actual = parse((await convertOpenApi(readFileSync(join(corpusDir!, 'output-schema-test.json'), 'utf8'))).yaml);
    for (const want of expected.tools) {
      expect(actual.tools.find((t: any) => t.name === want.name).responseTemplate.prependBody).toBe(want.responseTemplate.prependBody);
    }
  });

  it('converts the inputs that have no expected file without problems', async () => {
    for (const input of ['array-complex-items.json', 'deep-nested-request-body.json', 'deep-nested-test.json']) {
      const result = await convertOpenApi(readFileSync(join(corpusDir!, input), 'utf8'));
      expect(result.toolCount, input).toBeGreaterThan(0);
      expect(checkToolYaml(result.yaml).problems, input).toEqual([]);
      const validated = parseToolConfig(result.yaml);
      expect(validated.ok ? [] : validated.errors, input).toEqual([]);
    }
  });
});
