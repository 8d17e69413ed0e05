/** Bad templates and failing renders: stable codes, 1-based positions, no crashes. */
import { describe, expect, it } from 'vitest';
import { compileTemplate, TemplateError, type TemplateErrorCode } from '../../../src/template/index.js';

function compileError(src: string): TemplateError {
  try {
    compileTemplate(src, { name: 'bad' });
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error(`expected ${JSON.stringify(src)} not to compile`);
}

function renderError(src: string, json = '{}'): TemplateError {
  const t = compileTemplate(src, { name: 'bad' });
  try {
    t.render(json);
  } catch (e) {
    expect(e).toBeInstanceOf(TemplateError);
    return e as TemplateError;
  }
  throw new Error(`expected ${JSON.stringify(src)} to fail at render`);
}

describe('compile-time errors', () => {
  const syntax: [string, RegExp, number, number][] = [
    ['{{.a', /unclosed action/, 1, 5],
    ['{{if .a}}x', /unexpected EOF/, 1, 11],
    ['x{{end}}', /unexpected \{\{end\}\}/, 1, 4],
    ['{{else}}', /unexpected \{\{else\}\}/, 1, 3],
    ['{{range .a}}{{else}}{{else}}{{end}}', /expected end/, 1, 23],
    ['{{$x}}', /undefined variable "\$x"/, 1, 3],
    ['{{break}}', /\{\{break\}\} outside \{\{range\}\}/, 1, 3],
    ['{{1x}}', /bad number syntax/, 1, 3],
    ['{{"abc}}', /unterminated quoted string/, 1, 3],
    ['{{.a | "x"}}', /non executable command in pipeline stage 2/, 1, 8],
    ['{{}}', /missing value for command/, 1, 3],
    ['{{(1}}', /unclosed left paren/, 1, 5],
    ['{{define "a"}}x{{end}}{{define "a"}}y{{end}}', /multiple definition of template "a"/, 1, 32],
    ['{{/* never closed }}', /unclosed comment/, 1, 3],
    ['{{.a.}}', /unexpected <\.> in operand/, 1, 5],
  ];
  for (const [src, msg, line, column] of syntax) {
    it(`rejects ${JSON.stringify(src)}`, () => {
      const e = compileError(src);
      expect(e.code).toBe<TemplateErrorCode>('TEMPLATE_SYNTAX');
      expect(e.message).toMatch(msg);
      expect(e.message).toMatch(/^template: bad:\d+:\d+: /);
      expect([e.line, e.column]).toEqual([line, column]);
      expect(e.templateName).toBe('bad');
    });
  }

  it('rejects unknown functions with their position', () => {
    const e = compileError('line one\n  {{ nosuch .a }}');
    expect(e.code).toBe('TEMPLATE_UNKNOWN_FUNCTION');
    expect(e.message).toMatch(/function "nosuch" not defined/);
    expect([e.line, e.column]).toEqual([2, 6]);
  });

  it('does not provide env or expandenv', () => {
    expect(compileError('{{env "HOME"}}').code).toBe('TEMPLATE_UNKNOWN_FUNCTION');
    expect(compileError('{{expandenv "$HOME"}}').code).toBe('TEMPLATE_UNKNOWN_FUNCTION');
  });

  it('rejects wrong argument counts of known functions, counting a piped value', () => {
    expect(compileError('{{upper}}').message).toMatch(/wrong number of args for upper: want 1 got 0/);
    expect(compileError('{{upper "a" "b"}}').message).toMatch(/want 1 got 2/);
    expect(compileError('{{"a" | upper "b"}}').message).toMatch(/want 1 got 2/);
    expect(compileError('{{printf}}').message).toMatch(/want at least 1 got 0/);
    expect(compileError('{{replace "a" "b"}}').message).toMatch(/want 3 got 2/);
    expect(compileError('{{print (uuidv4 1)}}').message).toMatch(/want 0 got 1/);
    expect(compileError('{{.x | not 1}}').code).toBe('TEMPLATE_SYNTAX');
  });

  it('accepts a function used as an argument without arguments', () => {
    expect(() => compileTemplate('{{printf "%s" uuidv4}}')).not.toThrow();
  });

  it('never crashes on arbitrary input', () => {
    const junk = ['{{', '}}', '{{{{', '{{-}}', '{{ - }}', '{{"\\q"}}', "{{'ab'}}", '{{ .a.b.c. }}', '{{$}}', '{{ (}}', '{{ ) }}', '{{ | }}', '{{ := }}', '{{range $a, $b, $c := .}}{{end}}', '\u0000{{\u0000}}'];
    for (const src of junk) {
      try {
        compileTemplate(src).render('{}');
      } catch (e) {
        expect(e).toBeInstanceOf(TemplateError);
      }
    }
  });
});

describe('render-time errors', () => {
  it('reports a missing template', () => {
    const e = renderError('{{template "nope"}}');
    expect(e.code).toBe('TEMPLATE_EXEC');
    expect(e.message).toMatch(/template "nope" not defined/);
  });
  it('reports fail with its message and position', () => {
    const e = renderError('ok\n{{fail "boom"}}');
    expect(e.code).toBe('TEMPLATE_EXEC');
    expect(e.message).toMatch(/fail: boom/);
    expect(e.line).toBe(2);
  });
  it('reports Go type mismatches of Sprig parameters', () => {
    expect(renderError('{{upper 1}}').message).toMatch(/upper: .*int as type string/);
    expect(renderError('{{repeat "x" "y"}}').message).toMatch(/repeat: .*string as type int/);
  });
  it('reports field access with arguments', () => {
    expect(renderError('{{.a 1}}', '{"a":1}').message).toMatch(/a is not a method but has arguments/);
  });
  it('reports nil used as a command', () => {
    expect(renderError('{{nil}}').message).toMatch(/nil is not a command/);
  });
  it('requires the data to be a JSON object or array', () => {
    const t = compileTemplate('{{.}}');
    for (const bad of ['"str"', '42', 'null', '', 'not json']) {
      expect(() => t.render(bad)).toThrow(TemplateError);
    }
  });
  it('reports a piped missing value that leaves a function short of arguments', () => {
    expect(renderError('{{.missing | upper}}').message).toMatch(/wrong number of args for upper: want 1 got 0/);
  });
  it('call fails: JSON data holds no functions', () => {
    expect(renderError('{{call .f 1}}', '{"f":"x"}').code).toBe('TEMPLATE_EXEC');
  });
  it('reports integer division by zero', () => {
    expect(renderError('{{div 1 0}}').message).toMatch(/divide by zero/);
  });
});

describe('malformed data', () => {
  it('never fails with anything but a TemplateError', async () => {
    const fc = await import('fast-check');
    const templates = ['{{.a.b}}', '{{range .}}{{.}}{{end}}', '{{toJson .}}', '{{toPrettyJson .a}}', '{{len .a}}', '{{range $k, $v := .}}{{$k}}{{end}}', '{{gjson "a.#.b"}}', '{{keys .}}', '{{index . "a"}}'].map((t) => compileTemplate(t));
    const piece = fc.constantFrom('{', '}', '[', ']', '"a"', ':', ',', '1', 'null', '"\\u00', 'tr', '"x\\"', ' ', '-', '1e', '"a":', '{"a":[', '"\\');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 14 }), (parts) => {
        const json = '{' + parts.join('');
        for (const t of templates) {
          try {
            t.render(json);
          } catch (e) {
            if (!(e instanceof TemplateError) || /internal error/.test(e.message)) return false;
          }
        }
        return true;
      }),
      { numRuns: 300 },
    );
  });
});
