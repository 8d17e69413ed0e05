import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Requests completed. */
  total: number;
}

/** Runs autocannon against one URL and summarises the result. */
export async function load(opts: autocannon.Options): Promise<LoadResult> {
  const r = await autocannon({ connections: 32, duration: 10, ...opts });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.timeouts, non2xx: r.non2xx, total: r.requests.total };
}

/** Spawns a process and resolves once its output matches `ready`. */
function spawnUntil(args: string[], env: Record<string, string>, ready: RegExp, what: string): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString();
      const m = out.match(ready);
      if (m) resolve({ child, match: m });
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`${what} exited with ${code}:\n${out}`)));
  });
}

/** Starts a child process running a TypeScript file with tsx and waits for a line on its output. */
export function startChild(file: string, args: string[], env: Record<string, string>, ready: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  return spawnUntil(['--import', 'tsx', file, ...args], env, ready, file);
}

/** Starts the gateway as `npm start` does (compiled dist/ when built, else the sources through tsx). */
export function startGatewayProcess(env: Record<string, string>): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const compiled = path.join(ROOT, 'dist/cli/main.js');
  const ready = /MCP on http:\/\/[^:]+:(\d+)/;
  if (!fs.existsSync(compiled)) return startChild(path.join(ROOT, 'src/cli/main.ts'), ['serve'], env, ready);
  return spawnUntil([compiled, 'serve'], env, ready, 'gateway');
}

export function tmpDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-bench-'));
}

export function fmt(n: number, digits = 2): string {
  return n.toFixed(digits);
}
