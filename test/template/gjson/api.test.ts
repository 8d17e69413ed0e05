// Behaviour of the Result API and entry points beyond single lookups: consistency between
// getMany/get/Result.get, iteration control, JSON Lines, hostile input. Field-by-field agreement
// with Go is covered by golden.test.ts.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { forEachLine, get, getMany, GjsonError, parse, Result, valid } from '../../../src/template/gjson/index.js';

const doc = `{"name":{"first":"Tom","last":"Anderson"},"age":37,"children":["Sara","Alex","Jack"],
"friends":[{"first":"Dale","age":44},{"first":"Roger","age":68}]}`;

describe('entry points', () => {
  it('getMany returns one result per path, in order, equal to separate get calls', () => {
    const paths = ['name.first', 'age', 'missing', 'children.#', 'friends.#.first'];
    const many = getMany(doc, ...paths);
    expect(many).toHaveLength(paths.length);
    many.forEach((r, i) => {
      const one = get(doc, paths[i]);
      expect([r.type, r.raw, r.str, r.num]).toEqual([one.type, one.raw, one.str, one.num]);
    });
  });

  it('Result.get on a sub-document agrees with the joined path and keeps absolute offsets', () => {
    const friends = get(doc, 'friends');
    const direct = get(doc, 'friends.1.first');
    const chained = friends.get('1.first');
    expect(chained.str).toBe('Roger');
    expect(chained.raw).toBe(direct.raw);
    expect(chained.index).toBe(direct.index);
    expect(doc.slice(chained.index, chained.index + chained.raw.length)).toBe(chained.raw);
  });

  it('offsets of found values point at their raw text in the document', () => {
    for (const p of ['name', 'name.last', 'age', 'children.2', 'friends.#(age>50).first']) {
      const r = get(doc, p);
      expect(r.exists()).toBe(true);
      expect(doc.slice(r.index, r.index + r.raw.length)).toBe(r.raw);
    }
  });

  it('a missing value is a non-existent Null with empty text', () => {
    const r = get(doc, 'name.middle');
    expect(r.exists()).toBe(false);
    expect(r.type).toBe('Null');
    expect(r.string()).toBe('');
    expect(r.value()).toBeNull();
    expect(r.array()).toEqual([]);
    expect(r.map().size).toBe(0);
  });

  it('a JSON null exists but prints as the empty string', () => {
    const r = get('{"a":null}', 'a');
    expect(r.exists()).toBe(true);
    expect(r.raw).toBe('null');
    expect(r.string()).toBe('');
  });
});

describe('iteration', () => {
  it('forEach stops when the callback returns false', () => {
    const seen: string[] = [];
    get(doc, 'children').forEach((_k, v) => {
      seen.push(v.str);
      return seen.length < 2;
    });
    expect(seen).toEqual(['Sara', 'Alex']);
  });

  it('forEach passes object keys as String results and array positions as numbers', () => {
    const keys: Array<[string, string]> = [];
    get(doc, 'name').forEach((k, v) => {
      keys.push([k.type, k.str + '=' + v.str]);
      return true;
    });
    expect(keys).toEqual([['String', 'first=Tom'], ['String', 'last=Anderson']]);
    const positions: number[] = [];
    get(doc, 'children').forEach((k) => {
      positions.push(k.num);
      return true;
    });
    expect(positions).toEqual([0, 1, 2]);
  });

  it('forEachLine walks JSON Lines and can stop early', () => {
    const lines = '{"n":1}\n{"n":2}\n{"n":3}\n';
    const all: number[] = [];
    forEachLine(lines, (l) => {
      all.push(l.get('n').num);
      return true;
    });
    expect(all).toEqual([1, 2, 3]);
    let count = 0;
    forEachLine(lines, () => ++count < 2);
    expect(count).toBe(2);
  });

  it('value() builds plain objects even for keys like __proto__', () => {
    const v = parse('{"__proto__":{"polluted":true},"a":[1,"x",null,false]}').value() as Record<string, unknown>;
    expect(Object.keys(v)).toEqual(['__proto__', 'a']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(v.a).toEqual([1, 'x', null, false]);
  });
});

describe('ordering', () => {
  it('less orders by type first, then by value', () => {
    const vals = ['null', 'false', '1', '"a"', 'true', '{}'].map((j) => parse(j));
    for (let i = 0; i + 1 < vals.length; i++) {
      expect(vals[i].less(vals[i + 1], true)).toBe(true);
      expect(vals[i + 1].less(vals[i], true)).toBe(false);
    }
    expect(parse('"B"').less(parse('"a"'), true)).toBe(true);
    expect(parse('"B"').less(parse('"a"'), false)).toBe(false);
    expect(new Result('Number', '2', '', 2).less(new Result('Number', '10', '', 10), true)).toBe(true);
  });
});

describe('hostile input', () => {
  const specials = fc.constantFrom('{', '}', '[', ']', '"', '\\', ':', ',', '.', '|', '#', '(', ')', '@', '!', '*', '?', '=', '%', '<', '>', '~', 'a', '1', ' ', 'é', '😀');
  const chunky = fc.array(specials, { maxLength: 40 }).map((a) => a.join(''));

  it('get, parse and valid never throw on arbitrary text', () => {
    fc.assert(
      fc.property(fc.oneof(chunky, fc.string()), fc.oneof(chunky, fc.string()), (json, path) => {
        const r = get(json, path);
        expect(r).toBeInstanceOf(Result);
        r.string();
        r.array();
        r.map();
        r.value();
        parse(json).forEach(() => true);
        valid(json);
      }),
      { numRuns: 3000 },
    );
  });

  it('wildcard patterns with many stars finish quickly on long keys', () => {
    const key = 'a'.repeat(2000);
    const json = JSON.stringify({ [key]: 1, list: [key] });
    const t = Date.now();
    get(json, '*a*a*a*a*a*a*a*a*a*a*a*a*b');
    get(json, 'list.#(%"*a*a*a*a*a*a*a*a*a*a*a*a*b")');
    expect(Date.now() - t).toBeLessThan(2000);
  });

  it('deeply nested documents do not overflow the stack when skipped or selected', () => {
    const depth = 20000;
    const deep = '['.repeat(depth) + ']'.repeat(depth);
    const json = `{"deep":${deep},"after":1}`;
    expect(get(json, 'after').num).toBe(1);
    expect(get(json, 'deep').raw.length).toBe(deep.length);
    expect(get(json, 'deep.0.0.0').raw.length).toBe(deep.length - 6);
    expect(valid(json)).toBe(true);
    expect(valid(json.slice(0, -2) + '}')).toBe(false);
  });

  it('paths nesting deeper than the JS stack give a missing result instead of throwing', () => {
    const depth = 20000;
    const deep = '['.repeat(depth) + '1' + ']'.repeat(depth);
    const r = get(deep, Array(depth).fill('0').join('.'));
    expect(r).toBeInstanceOf(Result);
    expect(get(deep, '{'.repeat(depth) + 'a' + '}'.repeat(depth)).exists()).toBe(false);
  });

  it('value() of an over-deep document fails with a stable error code', () => {
    const deep = '['.repeat(50000) + ']'.repeat(50000);
    let err: unknown;
    try {
      parse(deep).value();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GjsonError);
    expect((err as GjsonError).code).toBe('GJSON_TOO_DEEP');
  });
});
