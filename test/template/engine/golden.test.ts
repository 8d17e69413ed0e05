/**
 * Runs every golden case recorded from the Go gjson_template engine (test/template/golden/*.json).
 * A case must match unless src/template/README.md lists its id as a deviation (then it must still
 * differ, so the list stays true) or as a known gap (then it is not checked).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileTemplate, type RenderContext } from '../../../src/template/index.js';

interface GoldenCase {
  id: string;
  template: string;
  data: string;
  expected?: string;
  expectedPattern?: string;
  error?: boolean;
}

const goldenDir = path.resolve(__dirname, '../golden');
const readme = readFileSync(path.resolve(__dirname, '../../../src/template/README.md'), 'utf8');

/** Golden ids named in backticks within a README section. */
function idsInSection(title: string): Set<string> {
  const start = readme.indexOf(`## ${title}`);
  if (start < 0) return new Set();
  const end = readme.indexOf('\n## ', start + 3);
  const section = readme.slice(start, end < 0 ? undefined : end);
  return new Set([...section.matchAll(/`([a-z]+(?:-[a-z]+)*-\d{3,4})`/g)].map((m) => m[1]));
}

const deviations = idsInSection('Deviations from the fork');
const gaps = idsInSection('Known gaps');

// The request the golden recorder faked for getSocketIP (192.0.2.10) and getRealIP (203.0.113.7).
const request: RenderContext = { remoteAddress: '192.0.2.10', headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.1' } };

function outcome(c: GoldenCase): { ok: boolean; got: string } {
  let got: string;
  let failed = false;
  try {
    got = compileTemplate(c.template, { name: 'tpl' }).render(c.data, request);
  } catch (e) {
    failed = true;
    got = `ERROR ${(e as Error).message}`;
  }
  if (c.error) return { ok: failed, got };
  if (failed) return { ok: false, got };
  if (c.expectedPattern !== undefined) return { ok: new RegExp(c.expectedPattern).test(got), got };
  return { ok: got === c.expected, got };
}

const files = existsSync(goldenDir) ? readdirSync(goldenDir).filter((f) => f.endsWith('.json')).sort() : [];

describe('golden cases from the Go engine', () => {
  it('has golden files to run', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  for (const file of files) {
    it(file, () => {
      const cases = JSON.parse(readFileSync(path.join(goldenDir, file), 'utf8')) as GoldenCase[];
      const problems: string[] = [];
      for (const c of cases) {
        if (gaps.has(c.id)) continue;
        const { ok, got } = outcome(c);
        const want = c.error ? 'an error' : JSON.stringify(c.expected ?? c.expectedPattern);
        if (deviations.has(c.id)) {
          if (ok) problems.push(`${c.id}: listed as a deviation but now matches Go; remove it from the README`);
        } else if (!ok) {
          problems.push(`${c.id}: ${JSON.stringify(c.template)}\n    want ${want}\n    got  ${JSON.stringify(got)}`);
        }
      }
      expect(problems, problems.join('\n')).toEqual([]);
    });
  }
});
