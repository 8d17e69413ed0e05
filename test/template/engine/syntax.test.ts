/**
 * Template constructs, with expected outputs taken from the documented behaviour of Go's
 * text/template and of the fork (GJSON field access, missing values print nothing).
 */
import { describe, expect, it } from 'vitest';
import { compileTemplate } from '../../../src/template/index.js';

const render = (src: string, data: unknown = {}): string =>
  compileTemplate(src).render(typeof data === 'string' ? data : JSON.stringify(data));

describe('text, comments and trim markers', () => {
  it('copies text outside actions', () => {
    expect(render('plain text, no actions')).toBe('plain text, no actions');
  });
  it('drops comments', () => {
    expect(render('a{{/* note */}}b')).toBe('ab');
  });
  it('trims spaces around trim markers', () => {
    expect(render('a  \n {{- "x" -}} \n  b')).toBe('axb');
    expect(render('a {{- /* c */ -}} b')).toBe('ab');
  });
  it('keeps a minus without a following space as a number sign', () => {
    expect(render('{{-3}}')).toBe('-3');
  });
});

describe('field access is a GJSON lookup', () => {
  const data = { a: { b: 'deep' }, n: 1000000, list: [{ id: 1 }, { id: 2 }], s: 'str', nul: null };
  it('reads nested fields', () => {
    expect(render('{{.a.b}}', data)).toBe('deep');
  });
  it('prints missing values as nothing', () => {
    expect(render('[{{.nope}}][{{.a.nope.deeper}}]', data)).toBe('[][]');
  });
  it('prints numbers as written in the JSON', () => {
    expect(render('{{.n}}', data)).toBe('1000000');
    expect(render('{{.x}}', '{"x":1.50}')).toBe('1.50');
    expect(render('{{.x}}', '{"x":1e3}')).toBe('1e3');
  });
  it('prints arrays and objects as their raw JSON and null as null', () => {
    expect(render('{{.o}}', '{"o":{ "k" : [1, 2] }}')).toBe('{ "k" : [1, 2] }');
    expect(render('{{.nul}}', data)).toBe('null');
  });
  it('supports variables with fields and $ as the root', () => {
    expect(render('{{$x := .a}}{{$x.b}}|{{$.s}}', data)).toBe('deep|str');
  });
  it('supports field access on a parenthesized pipeline', () => {
    expect(render('{{(gjson "a").b}}', data)).toBe('deep');
  });
  it('evaluates the gjson function with full path syntax', () => {
    expect(render('{{gjson "list.#.id"}}', data)).toBe('[1,2]');
    expect(render('{{gjson "list.#(id==2).id"}}', data)).toBe('2');
    expect(render('{{range gjson "list.#.id"}}<{{.}}>{{end}}', data)).toBe('<1><2>');
  });
  it('accepts the root being an array', () => {
    expect(render('{{index . 1}}', '[10,20]')).toBe('20');
  });
});

describe('if, with and truthiness', () => {
  const cases: [string, boolean][] = [
    ['0', false],
    ['1', true],
    ['0.0', false],
    ['""', false],
    ['"0"', true],
    ['"false"', true],
    ['false', false],
    ['true', true],
    ['null', false],
    ['[]', false],
    ['[0]', true],
    ['{}', false],
    ['{"a":1}', true],
  ];
  for (const [json, truth] of cases) {
    it(`treats ${json} as ${truth}`, () => {
      expect(render('{{if .v}}T{{else}}F{{end}}', `{"v":${json}}`)).toBe(truth ? 'T' : 'F');
    });
  }
  it('treats a missing value as false', () => {
    expect(render('{{if .missing}}T{{else}}F{{end}}')).toBe('F');
  });
  it('chains else if', () => {
    const t = '{{if eq .n 1}}one{{else if eq .n 2}}two{{else}}many{{end}}';
    expect(render(t, { n: 1 })).toBe('one');
    expect(render(t, { n: 2 })).toBe('two');
    expect(render(t, { n: 3 })).toBe('many');
  });
  it('with sets dot and supports else and else with', () => {
    expect(render('{{with .a}}{{.b}}{{end}}', { a: { b: 'x' } })).toBe('x');
    expect(render('{{with .none}}y{{else}}n{{end}}')).toBe('n');
    expect(render('{{with .none}}y{{else with .b}}{{.}}{{end}}', { b: 'bee' })).toBe('bee');
  });
  it('and/or return the deciding operand and short-circuit', () => {
    expect(render('{{and 1 "x" 0}}|{{and 1 "x"}}|{{or 0 "" "y"}}|{{or 0 ""}}')).toBe('0|x|y|');
    // fail would abort the render if it were evaluated
    expect(render('{{or 1 (fail "no")}}')).toBe('1');
    expect(render('{{and 0 (fail "no")}}')).toBe('0');
  });
  it('not negates truthiness', () => {
    expect(render('{{not 0}}|{{not "a"}}')).toBe('true|false');
  });
});

describe('range', () => {
  it('iterates arrays with index and element', () => {
    expect(render('{{range $i, $v := .a}}{{$i}}={{$v}};{{end}}', { a: ['x', 'y'] })).toBe('0=x;1=y;');
  });
  it('iterates objects in document order with key and value', () => {
    expect(render('{{range $k, $v := .o}}{{$k}}={{$v}};{{end}}', '{"o":{"z":1,"a":2}}')).toBe('z=1;a=2;');
  });
  it('sets dot to the element', () => {
    expect(render('{{range .a}}[{{.id}}]{{end}}', { a: [{ id: 1 }, { id: 2 }] })).toBe('[1][2]');
  });
  it('runs else for empty or missing collections', () => {
    expect(render('{{range .a}}x{{else}}empty{{end}}', { a: [] })).toBe('empty');
    expect(render('{{range .o}}x{{else}}empty{{end}}', { o: {} })).toBe('empty');
  });
  it('iterates an integer count like the fork', () => {
    expect(render('{{range 3}}{{.}}{{end}}')).toBe('012');
  });
  it('supports break and continue', () => {
    const t = '{{range .a}}{{if eq . 2}}{{continue}}{{end}}{{if eq . 4}}{{break}}{{end}}{{.}}{{end}}';
    expect(render(t, { a: [1, 2, 3, 4, 5] })).toBe('13');
  });
  it('gives access to the root through $ inside the loop', () => {
    expect(render('{{range .a}}{{.}}{{$.sep}}{{end}}', { a: [1, 2], sep: ',' })).toBe('1,2,');
  });
  it('ranges over a list built by a function', () => {
    expect(render('{{range $i, $e := list "a" "b"}}{{$i}}{{$e}}{{end}}')).toBe('0a1b');
  });
});

describe('variables', () => {
  it('declares and assigns', () => {
    expect(render('{{$x := 1}}{{$x = 2}}{{$x}}')).toBe('2');
  });
  it('does not print declarations', () => {
    expect(render('{{$x := "hidden"}}shown')).toBe('shown');
  });
  it('scopes declarations to their control structure', () => {
    expect(render('{{$x := "outer"}}{{if true}}{{$x := "inner"}}{{$x}}{{end}}{{$x}}')).toBe('innerouter');
  });
  it('assignment inside a block changes the outer variable', () => {
    expect(render('{{$x := 0}}{{range .a}}{{$x = .}}{{end}}{{$x}}', { a: [1, 2, 3] })).toBe('3');
  });
});

describe('define, template and block', () => {
  it('invokes defined templates with a new dot', () => {
    expect(render('{{define "item"}}<{{.name}}>{{end}}{{template "item" .a}}', { a: { name: 'n' } })).toBe('<n>');
  });
  it('passes no data when the pipeline is omitted', () => {
    expect(render('{{define "t"}}[{{.}}]{{end}}{{template "t"}}')).toBe('[]');
  });
  it('block defines and runs a template in place', () => {
    expect(render('{{block "b" .x}}({{.}}){{end}}', { x: 5 })).toBe('(5)');
  });
  it('supports recursion that terminates', () => {
    const t = '{{define "r"}}{{if gt . 0}}{{.}}{{template "r" sub . 1}}{{end}}{{end}}{{template "r" 3}}';
    expect(render(t)).toBe('321');
  });
});

describe('pipelines and literals', () => {
  it('passes the previous value as the last argument', () => {
    expect(render('{{"abc" | upper | repeat 2}}')).toBe('ABCABC');
  });
  it('evaluates parenthesized pipelines as arguments', () => {
    expect(render('{{printf "%s-%s" (upper "a") ("b" | upper)}}')).toBe('A-B');
  });
  it('prints literals the way the fork does', () => {
    expect(render('{{1.5}}|{{3}}|{{1e3}}|{{0x10}}|{{\'a\'}}|{{true}}|{{"s"}}|{{`raw\\n`}}')).toBe('1.500000|3|1000|16|97|true|s|raw\\n');
  });
  it('decodes Go escapes in quoted strings', () => {
    expect(render('{{"tab\\there\\u00e9"}}')).toBe('tab\there\u00e9');
  });
});
