/**
 * Template rendering benchmark: every request template of the Higress MCP server corpus (URL, header
 * values, body), compiled once and rendered with realistic arguments. Reports the median time per
 * render for each template and overall, next to JSON.stringify of the same data measured in the same
 * run (the reference).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { compileTemplate, type CompiledTemplate } from '../src/template/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const corpusDir = path.resolve(here, '../..', 'shared/corpus/higress-mcp-servers');

interface Case {
  where: string;
  tmpl: CompiledTemplate;
  json: string;
  data: unknown;
}

/** A plausible value for a declared tool argument. */
function sampleArg(arg: Record<string, any>): unknown {
  const name = String(arg.name ?? 'x');
  switch (arg.type) {
    case 'integer':
    case 'number':
      return 20;
    case 'boolean':
      return true;
    case 'array':
      return ['alpha', 'beta'];
    case 'object':
      return { key: 'value', nested: { n: 1 } };
    default:
      return Array.isArray(arg.enum) && arg.enum.length ? arg.enum[0] : `sample-${name}`;
  }
}

const failing: string[] = [];

function loadCases(): Case[] {
  const cases: Case[] = [];
  for (const file of readdirSync(corpusDir).filter((f) => f.endsWith('.yaml')).sort()) {
    const doc = parse(readFileSync(path.join(corpusDir, file), 'utf8')) as Record<string, any>;
    const config: Record<string, unknown> = {};
    for (const [k, v] of Object.entries((doc?.server?.config ?? {}) as Record<string, unknown>)) config[k] = v || `cfg-${k}-0123456789abcdef`;
    for (const tool of (doc?.tools ?? []) as Record<string, any>[]) {
      const args: Record<string, unknown> = {};
      for (const a of (tool.args ?? []) as Record<string, any>[]) args[a.name] = sampleArg(a);
      const data = { config, args };
      const json = JSON.stringify(data);
      const req = tool.requestTemplate ?? {};
      const texts: [string, string][] = [];
      if (typeof req.url === 'string') texts.push(['url', req.url]);
      for (const h of Array.isArray(req.headers) ? req.headers : []) if (typeof h?.value === 'string') texts.push([`header ${h.key}`, h.value]);
      if (typeof req.body === 'string') texts.push(['body', req.body]);
      for (const [field, text] of texts) {
        if (!text.includes('{{')) continue; // plain text needs no rendering
        const tmpl = compileTemplate(text, { name: field });
        try {
          tmpl.render(json);
        } catch {
          failing.push(`${file}#${tool.name} ${field}`); // fails in Go as well (e.g. join with a rune separator)
          continue;
        }
        cases.push({ where: `${file}#${tool.name} ${field}`, tmpl, json, data });
      }
    }
  }
  return cases;
}

/** Median nanoseconds per call of fn, sampled in batches. */
function medianNs(fn: () => unknown, batch = 200, samples = 15): number {
  for (let i = 0; i < batch; i++) fn(); // warm up
  const times: number[] = [];
  for (let s = 0; s < samples; s++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < batch; i++) fn();
    times.push(Number(process.hrtime.bigint() - t0) / batch);
  }
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}

export async function run(): Promise<void> {
  if (!existsSync(corpusDir)) {
    console.log(`template bench: corpus not found at ${corpusDir}`);
    return;
  }
  const cases = loadCases();
  const rows: { where: string; render: number; ref: number }[] = [];
  let sink = 0;
  for (const c of cases) {
    const render = medianNs(() => (sink += c.tmpl.render(c.json).length));
    const ref = medianNs(() => (sink += JSON.stringify(c.data).length));
    rows.push({ where: c.where, render, ref });
  }
  const med = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  const renderMed = med(rows.map((r) => r.render));
  const refMed = med(rows.map((r) => r.ref));
  const slowest = [...rows].sort((a, b) => b.render - a.render).slice(0, 10);
  console.log(`template: ${rows.length} corpus request templates (with actions), compiled once; ${failing.length} skipped because they fail to render (as in Go)`);
  console.log('slowest templates (median per render):');
  for (const r of slowest) console.log(`  ${(r.render / 1000).toFixed(2).padStart(8)} µs  ${(r.render / r.ref).toFixed(2).padStart(6)}x JSON.stringify  ${r.where}`);
  console.log(`median render: ${(renderMed / 1000).toFixed(2)} µs per template (target < 5 µs)`);
  console.log(`reference JSON.stringify of the same data: ${(refMed / 1000).toFixed(2)} µs; ratio ${(renderMed / refMed).toFixed(2)}x`);
  const all = rows.map((r) => r.render).sort((a, b) => a - b);
  console.log(`p90 render: ${(all[Math.floor(all.length * 0.9)] / 1000).toFixed(2)} µs, max ${(all[all.length - 1] / 1000).toFixed(2)} µs`);
  if (sink === 42) console.log('');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) await run();
