// Golden cases for the gjson port. golden.json was produced by a small Go program (not part of
// this repository) that runs each case through tidwall/gjson v1.14.4, the version Debian ships as
// golang-github-tidwall-gjson-dev, and records Get/Parse/Valid results field by field. Every case
// here must match what Go printed.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { get, parse, valid, type Result } from '../../../src/template/gjson/index.js';

interface GoResult {
  type: string; raw: string; str: string; num: string; exists: boolean; index: number; string: string;
  bool: boolean; int: string; float: string; isArray: boolean; isObject: boolean;
  array: string[]; map: [string, string][]; forEach: [string, string][]; value?: unknown;
}
interface Golden { op?: 'parse' | 'valid'; json: string; path?: string; valid?: boolean; result?: GoResult }

const goldens = JSON.parse(readFileSync(new URL('./golden.json', import.meta.url), 'utf8')) as Golden[];

/** Go printed floats with FormatFloat(f, 'g', -1, 64); turn that back into a number. */
function goFloat(s: string): number {
  if (s === 'NaN') return NaN;
  if (s === '+Inf') return Infinity;
  if (s === '-Inf') return -Infinity;
  return Number(s);
}

function isAscii(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s);
}

function describeResult(r: Result): Omit<GoResult, 'num' | 'float' | 'int' | 'index' | 'value'> {
  const forEach: [string, string][] = [];
  const map: [string, string][] = [];
  const m = r.map();
  const seen = new Set<string>();
  r.forEach((k, v) => {
    forEach.push([k.string(), v.raw]);
    const mv = m.get(k.string());
    if (r.isObject() && mv && !seen.has(k.string())) {
      seen.add(k.string());
      map.push([k.string(), mv.raw]);
    }
    return true;
  });
  if (seen.size !== m.size) map.push(['<mismatch>', String(m.size)]);
  return {
    type: r.type, raw: r.raw, str: r.str, exists: r.exists(), string: r.string(), bool: r.bool(),
    isArray: r.isArray(), isObject: r.isObject(), array: r.array().map((a) => a.raw), map, forEach,
  };
}

function label(g: Golden, i: number): string {
  const doc = g.json.length > 40 ? g.json.slice(0, 37) + '...' : g.json;
  return `#${i} ${g.op ?? 'get'} ${JSON.stringify(g.path ?? '')} on ${JSON.stringify(doc)}`;
}

describe('gjson goldens from Go tidwall/gjson 1.14.4', () => {
  it('has enough cases', () => {
    expect(goldens.length).toBeGreaterThanOrEqual(250);
  });

  goldens.forEach((g, i) => {
    it(label(g, i), () => {
      if (g.op === 'valid') {
        expect(valid(g.json)).toBe(g.valid);
        return;
      }
      const r = g.op === 'parse' ? parse(g.json) : get(g.json, g.path ?? '');
      const want = g.result!;
      const { num, float, int, index, value, ...rest } = want;
      expect(describeResult(r)).toEqual(rest);
      expect(Object.is(r.num, goFloat(num)) || (Number.isNaN(r.num) && num === 'NaN')).toBe(true);
      const f = r.float();
      expect(Object.is(f, goFloat(float)) || (Number.isNaN(f) && float === 'NaN')).toBe(true);
      expect(r.int()).toBe(Number(int));
      // Go counts bytes; offsets agree only on ASCII documents, and Go reports 0 for built values.
      if (isAscii(g.json) && index > 0) expect(r.index).toBe(index);
      if (value !== undefined) expect(r.value()).toEqual(value);
    });
  });
});
