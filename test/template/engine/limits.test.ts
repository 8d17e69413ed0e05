/** Runaway templates fail with TEMPLATE_LIMIT in bounded time instead of hanging or exhausting memory. */
import { describe, expect, it } from 'vitest';
import { compileTemplate, TemplateError, type CompileOptions } from '../../../src/template/index.js';

function limitError(src: string, opts: CompileOptions = {}, json = '{}'): TemplateError {
  const started = Date.now();
  let err: unknown;
  try {
    compileTemplate(src, opts).render(json);
  } catch (e) {
    err = e;
  }
  expect(Date.now() - started).toBeLessThan(5000);
  expect(err).toBeInstanceOf(TemplateError);
  expect((err as TemplateError).code).toBe('TEMPLATE_LIMIT');
  return err as TemplateError;
}

describe('limits', () => {
  it('stops infinite recursion through template', () => {
    const e = limitError('{{define "r"}}x{{template "r" .}}{{end}}{{template "r" .}}');
    expect(e.message).toMatch(/maximum template depth \(100\)/);
  });

  it('honours maxDepth', () => {
    const src = '{{define "r"}}{{if gt . 0}}{{template "r" sub . 1}}{{end}}{{end}}{{template "r" 5}}ok';
    expect(compileTemplate(src, { maxDepth: 10 }).render('{}')).toBe('ok');
    limitError(src, { maxDepth: 3 });
  });

  it('refuses huge repeat, until, untilStep and seq results before allocating them', () => {
    limitError('{{repeat 100000000 "x"}}');
    limitError('{{until 100000000}}');
    limitError('{{untilStep 0 1000000000 1}}');
    limitError('{{seq 100000000}}');
    limitError('{{randAlpha 100000000}}');
  });

  it('refuses ranging over a huge count', () => {
    limitError('{{range 1000000000}}x{{end}}');
  });

  it('caps the output size', () => {
    limitError('{{range until 2000}}{{range until 1000}}xxxx{{end}}{{end}}');
    limitError('{{repeat 20 "x"}}', { maxOutputBytes: 10 });
    limitError('plain text longer than ten bytes', { maxOutputBytes: 10 });
    expect(compileTemplate('{{repeat 10 "x"}}', { maxOutputBytes: 10 }).render('{}')).toBe('xxxxxxxxxx');
  });

  it('caps evaluation steps', () => {
    limitError('{{range until 1000}}{{range until 1000}}{{end}}{{end}}');
    limitError('{{range .a}}{{.}}{{end}}', { maxSteps: 10 }, JSON.stringify({ a: Array.from({ length: 100 }, (_, i) => i) }));
  });

  it('bounds strings that double in a loop', () => {
    limitError('{{$s := "x"}}{{range until 60}}{{$s = printf "%s%s" $s $s}}{{end}}{{len $s}}');
  });

  it('bounds lists that grow quadratically in a loop', () => {
    limitError('{{$l := list}}{{range until 100000}}{{$l = append $l .}}{{end}}{{len $l}}');
  });

  it('bounds printf width and precision', () => {
    limitError('{{printf "%1000000000d" 1}}');
    limitError('{{printf "%.1000000000f" 1.5}}');
  });

  it('bounds replace and indent growth', () => {
    limitError('{{$s := repeat 500000 "a"}}{{replace "a" "aaaa" $s}}');
    limitError('{{$s := repeat 300000 "\\n"}}{{indent 10 $s}}');
  });

  it('rejects absurd nesting at compile time', () => {
    const deep = '{{' + '('.repeat(5000) + '1' + ')'.repeat(5000) + '}}';
    let err: unknown;
    try {
      compileTemplate(deep);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as TemplateError).code).toBe('TEMPLATE_LIMIT');
    const deepIf = '{{if true}}'.repeat(5000) + 'x' + '{{end}}'.repeat(5000);
    expect(() => compileTemplate(deepIf)).toThrow(TemplateError);
  });

  it('still renders large but legitimate templates', () => {
    const items = Array.from({ length: 2000 }, (_, i) => ({ id: i, name: `n${i}` }));
    const out = compileTemplate('{{range .items}}{{.id}}:{{.name}},{{end}}').render(JSON.stringify({ items }));
    expect(out.split(',').length).toBe(2001);
  });
});
