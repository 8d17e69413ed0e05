import { execFile } from 'node:child_process';

/** The official suite's versions in use: 0.1.16 (up to 2025-11-25) and 0.2.0-alpha.12 (2026-07-28 scenarios). */
export type SuiteVersion = '0.1.16' | '0.2.0-alpha.12';

/** Runs `conformance …` from @modelcontextprotocol/conformance under Node 22 through npx (the suite needs 22). */
export function runConformance(version: SuiteVersion, command: string, cwd: string, timeoutMs: number): Promise<{ code: number; out: string }> {
  const args = ['-y', '-p', 'node@22', '-p', `@modelcontextprotocol/conformance@${version}`, '-c', command];
  return new Promise((resolve) => {
    execFile('npx', args, { cwd, timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: `${stdout}\n${stderr}` });
    });
  });
}

/** Scenario name -> passed, from the suite's summary. */
export function scenarioSummary(out: string): Map<string, boolean> {
  const result = new Map<string, boolean>();
  const tail = out.slice(out.indexOf('=== SUMMARY ==='));
  for (const m of tail.matchAll(/^([✓✗]) ([a-z0-9-]+): (\d+) passed, (\d+) failed/gm)) result.set(m[2], m[1] === '✓' && m[4] === '0');
  return result;
}
