/**
 * Templates: any source text compiles or fails with a coded TemplateError; any compiled template renders
 * over any JSON or fails the same way, within its step and output limits. An "internal error" (a JS
 * exception the engine did not anticipate) counts as a failure.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compileTemplate, TemplateError } from '../../src/template/index.js';
import { functionNames } from '../../src/template/functions.js';
import { report, runs, SEED, timeout } from './support.js';

const CODES = new Set(['TEMPLATE_SYNTAX', 'TEMPLATE_UNKNOWN_FUNCTION', 'TEMPLATE_EXEC', 'TEMPLATE_LIMIT']);
const OUTPUT_LIMIT = 64 * 1024;
const STEP_LIMIT = 20_000;

const pieces = [
  '{{', '}}', '{{-', '-}}', ' ', '.', '.a', '.a.b', '.arr', '.n', '.s', '.arr.#', '.arr.0', '$', '$x', ':=', '=', '|', '(', ')',
  'if', 'else', 'end', 'range', 'with', 'define', 'template', 'block', 'break', 'continue', 'nil', 'true', 'false',
  '"x"', '"a.b"', '`raw`', "'c'", '0', '1', '-1', '3.5', '1e9', '0x1F', '"{{"', '"\\n"', ',', 'and', 'or', 'not',
  'len', 'index', 'slice', 'printf', '"%v"', '"%d"', '"%s"', 'print', 'eq', 'lt', 'gt', 'call', 'html', 'js', 'urlquery',
  '/*', '*/', '\n', 'text', 'é', '\u0000', '\uffff', '{', '}', '#', '@this', '..', '*', '?',
];
const names = functionNames();

const templateSource = fc
  .array(fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...pieces) }, { weight: 3, arbitrary: fc.constantFrom(...names) }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) }), { maxLength: 40 })
  .map((parts) => parts.join(' '));

/** Templates shaped like real ones: one or more actions with a function pipeline. */
const actionSource = fc
  .array(
    fc.tuple(fc.constantFrom(...names), fc.array(fc.constantFrom('.a', '.n', '.arr', '.s', '"x"', '3', '0', '-2', '.', '$', '(list 1 2)', '(dict "k" 1)', '.missing'), { maxLength: 3 }), fc.boolean()).map(
      ([fn, args, piped]) => (piped ? `{{ .s | ${fn} ${args.join(' ')} }}` : `{{ ${fn} ${args.join(' ')} }}`),
    ),
    { minLength: 1, maxLength: 4 },
  )
  .map((parts) => parts.join('-'));

const jsonDoc = fc.oneof(
  fc.constant('{"a":{"b":"c"},"n":42,"s":"Hello, World","arr":[1,"two",{"x":3},null,true]}'),
  fc.json({ maxDepth: 4 }),
  fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify({ a: v, n: v, s: v, arr: [v] })),
);

function checkOne(src: string, json: string): 'compiled' | 'compile-error' | 'render-error' {
  let tpl;
  try {
    tpl = compileTemplate(src, { maxOutputBytes: OUTPUT_LIMIT, maxSteps: STEP_LIMIT });
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    expect(CODES.has((err as TemplateError).code)).toBe(true);
    expect((err as Error).message).not.toMatch(/internal error/);
    return 'compile-error';
  }
  try {
    const out = tpl.render(json, { remoteAddress: '127.0.0.1', headers: { 'x-forwarded-for': '10.0.0.1' } });
    expect(typeof out).toBe('string');
    expect(Buffer.byteLength(out)).toBeLessThanOrEqual(OUTPUT_LIMIT);
    return 'compiled';
  } catch (err) {
    expect(err).toBeInstanceOf(TemplateError);
    expect(CODES.has((err as TemplateError).code)).toBe(true);
    expect((err as Error).message).not.toMatch(/internal error/);
    return 'render-error';
  }
}

describe('template engine fuzz', () => {
  it('token soup: only coded errors, within limits', () => {
    const counts = { compiled: 0, 'compile-error': 0, 'render-error': 0 };
    let slowest = 0;
    fc.assert(
      fc.property(templateSource, jsonDoc, (src, json) => {
        const t0 = performance.now();
        counts[checkOne(src, json)]++;
        slowest = Math.max(slowest, performance.now() - t0);
      }),
      { numRuns: runs(3000), seed: SEED },
    );
    report('template token soup', counts.compiled + counts['compile-error'] + counts['render-error'], { ...counts, slowestMs: Math.round(slowest) });
  }, timeout());

  it('function pipelines over hostile JSON: only coded errors, within limits', () => {
    const counts = { compiled: 0, 'compile-error': 0, 'render-error': 0 };
    let slowest = 0;
    fc.assert(
      fc.property(actionSource, jsonDoc, (src, json) => {
        const t0 = performance.now();
        counts[checkOne(src, json)]++;
        slowest = Math.max(slowest, performance.now() - t0);
      }),
      { numRuns: runs(3000), seed: SEED },
    );
    report('template function pipelines', counts.compiled + counts['compile-error'] + counts['render-error'], { ...counts, slowestMs: Math.round(slowest) });
  }, timeout());

  it('data that is not JSON, or deeply nested, is a coded error or renders', () => {
    const tpl = compileTemplate('{{.a.b}}{{range .arr}}{{.}}{{end}}{{toJson .}}', { maxSteps: STEP_LIMIT, maxOutputBytes: OUTPUT_LIMIT });
    let tried = 0;
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 200 }), fc.integer({ min: 1, max: 200_000 }).map((d) => '['.repeat(d) + ']'.repeat(d)), fc.integer({ min: 1, max: 200_000 }).map((d) => '{"a":'.repeat(d) + '1' + '}'.repeat(d))), (json) => {
        tried++;
        try {
          expect(typeof tpl.render(json)).toBe('string');
        } catch (err) {
          expect(err).toBeInstanceOf(TemplateError);
          expect((err as Error).message).not.toMatch(/internal error/);
        }
      }),
      { numRuns: runs(300, 0.1), seed: SEED },
    );
    report('template hostile data', tried);
  }, timeout());
});
