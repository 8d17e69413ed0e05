/**
 * Builtin functions: comparisons, len/index, print/printf (Go fmt verbs), html/js/urlquery and the
 * Higress request functions. Expected values follow Go's fmt and text/template documentation.
 */
import { describe, expect, it } from 'vitest';
import { compileTemplate, type RenderContext } from '../../../src/template/index.js';

const render = (src: string, data: unknown = {}, ctx?: RenderContext): string =>
  compileTemplate(src).render(typeof data === 'string' ? data : JSON.stringify(data), ctx);

describe('comparisons', () => {
  const data = '{"n":42,"f":3.5,"s":"abc","num":"42","t":true}';
  it('compares numbers numerically across literal kinds', () => {
    expect(render('{{eq .n 42}}|{{eq 42 42.0}}|{{lt .f 4}}|{{ge .n 42}}|{{gt 2 10}}', data)).toBe('true|true|true|true|false');
  });
  it('compares a number with a numeric string numerically (fork rule)', () => {
    expect(render('{{eq .n .num}}|{{eq .num 42}}', data)).toBe('true|true');
  });
  it('compares strings', () => {
    expect(render('{{eq .s "abc"}}|{{ne .s "abd"}}|{{lt "a" "b"}}|{{gt "b" "a"}}', data)).toBe('true|true|true|true');
  });
  it('compares booleans and missing values', () => {
    expect(render('{{eq .t true}}|{{eq .missing .other}}', data)).toBe('true|true');
  });
  it('ne is the negation of eq', () => {
    expect(render('{{ne .f 3.5}}|{{ne .n .num}}', data)).toBe('false|false');
  });
});

describe('len and index', () => {
  const data = { arr: [1, 2, 3], obj: { a: 1, b: 2 }, s: 'héllo', users: [{ name: 'ann' }, { name: 'bob' }] };
  it('len counts elements, members and UTF-8 bytes', () => {
    expect(render('{{len .arr}}|{{len .obj}}|{{len .s}}|{{len (list 1 2)}}', data)).toBe('3|2|6|2');
  });
  it('index reads arrays and objects, several keys in turn', () => {
    expect(render('{{index .arr 1}}|{{index .obj "b"}}|{{index .users 1 "name"}}', data)).toBe('2|2|bob');
  });
  it('index out of range is an execution error', () => {
    expect(() => render('{{index .arr 5}}', data)).toThrow(/out of range/);
  });
});

describe('print, println, printf', () => {
  it('print joins operands with spaces (fork rule) and println adds a newline', () => {
    expect(render('{{print "a" 1 "b"}}|{{println "x" "y"}}')).toBe('a 1 b|x y\n');
  });
  it('formats integers', () => {
    expect(render('{{printf "%d|%5d|%-5d|%05d|%+d|%x|%X|%o|%b|%c|%U" 42 42 42 42 42 255 255 8 5 65 65}}')).toBe(
      '42|   42|42   |00042|+42|ff|FF|10|101|A|U+0041',
    );
  });
  it('formats floats', () => {
    expect(render('{{printf "%.2f|%f|%e|%g|%8.3f|%v" 3.14159 2.5 1234.5678 0.000012 3.14159 2.5}}')).toBe(
      '3.14|2.500000|1.234568e+03|1.2e-05|   3.142|2.5',
    );
  });
  it('formats strings, quotes and booleans', () => {
    expect(render('{{printf "%s|%q|%v|%t|%10s|%-4s|%.2s|%x" "hi" "a\\"b" "v" true "right" "l" "abc" "hi"}}')).toBe(
      'hi|"a\\"b"|v|true|     right|l   |ab|6869',
    );
  });
  it('reports mismatched verbs and missing or extra operands as Go does', () => {
    expect(render('{{printf "%d" "x"}}')).toBe('%!d(string=x)');
    expect(render('{{printf "%d %d" 1}}')).toBe('1 %!d(MISSING)');
    expect(render('{{printf "%d" 1 2}}')).toBe('1%!(EXTRA int=2)');
    expect(render('{{printf "100%% %s" "sure"}}')).toBe('100% sure');
    // The fork returns the format untouched when printf has no operands at all.
    expect(render('{{printf "100%%"}}')).toBe('100%%');
  });
  it('formats JSON values from the data', () => {
    expect(render('{{printf "%v %d %s %.1f" .a .n .s .f}}', '{"a":[1,2],"n":7,"s":"x","f":2.25}')).toBe('[1,2] 7 x 2.2');
  });
  it('appends a piped value after the operands', () => {
    expect(render('{{.n | printf "%s=%d" "n"}}', { n: 3 })).toBe('n=3');
  });
});

describe('escaping functions', () => {
  it('html escapes the five special characters', () => {
    expect(render('{{html .s}}', { s: `<a href="x">&'` })).toBe('&lt;a href=&#34;x&#34;&gt;&amp;&#39;');
  });
  it('js escapes quotes, angle brackets and control characters', () => {
    expect(render('{{js .s}}', { s: `a'b"c<d>\n=` })).toBe('a\\\'b\\"c\\u003Cd\\u003E\\u000A\\u003D');
  });
  it('urlquery escapes like url.QueryEscape', () => {
    expect(render('{{urlquery .s}}', { s: 'a b&c=d/é' })).toBe('a+b%26c%3Dd%2F%C3%A9');
  });
});

describe('getSocketIP and getRealIP', () => {
  it('uses x-forwarded-for first, then x-real-ip, then the socket address', () => {
    const t = '{{getRealIP}}|{{getSocketIP}}';
    expect(render(t, {}, { remoteAddress: '10.0.0.1', headers: { 'x-forwarded-for': ' 1.1.1.1 , 2.2.2.2', 'x-real-ip': '3.3.3.3' } })).toBe('1.1.1.1|10.0.0.1');
    expect(render(t, {}, { remoteAddress: '10.0.0.1', headers: { 'X-Real-IP': '3.3.3.3' } })).toBe('3.3.3.3|10.0.0.1');
    expect(render(t, {}, { remoteAddress: '10.0.0.1' })).toBe('10.0.0.1|10.0.0.1');
    expect(render(t, {})).toBe('|');
  });
  it('accepts repeated headers', () => {
    expect(render('{{getRealIP}}', {}, { headers: { 'x-forwarded-for': ['4.4.4.4', '5.5.5.5'] } })).toBe('4.4.4.4');
  });
});
