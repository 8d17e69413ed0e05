import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { jsonErrorOffset } from '../../src/openapi/json-error.js';
import { toYaml } from '../../src/openapi/yaml-writer.js';

describe('YAML writer', () => {
  it('round-trips any JSON data through the yaml parser', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue(), { minKeys: 1 }), (value) => {
        const normalised = JSON.parse(JSON.stringify(value)); // -0 and the like as JSON has them
        expect(parse(toYaml(normalised))).toEqual(normalised);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips awkward strings', () => {
    const strings = ['', ' lead', 'trail ', 'a: b', 'a #b', 'true', 'No', '~', '- x', '12', '0x1F', '.inf', 'x\n', 'x\n\n', '\n x', 'line\r\nbreak', 'tab\there', '\u2028', 'emoji 😀', '{{.args.items}}', '"q"', "it's", '@odata.type', '$select', 'http://h/p/{id}'];
    const value = { list: strings, map: Object.fromEntries(strings.map((s, i) => [s || `k${i}`, s])) };
    expect(parse(toYaml(value))).toEqual(value);
  });

  it('writes multi-line text as a literal block, as Higress does', () => {
    expect(toYaml({ prependBody: '# Title\n\nbody\n\n' })).toBe('prependBody: |+\n  # Title\n\n  body\n\n');
  });
});

describe('JSON error offsets', () => {
  it('finds no error in valid JSON', () => {
    fc.assert(
      fc.property(fc.json(), (text) => {
        expect(jsonErrorOffset(text)).toBe(-1);
      }),
      { numRuns: 300 },
    );
  });

  it('points at the first bad character', () => {
    expect(jsonErrorOffset('{"a": }')).toBe(6);
    expect(jsonErrorOffset('[1,]')).toBe(3);
    expect(jsonErrorOffset('{"a" 1}')).toBe(5);
    expect(jsonErrorOffset('[1] x')).toBe(4);
    expect(jsonErrorOffset('['.repeat(100_000))).toBe(100_000);
  });
});
