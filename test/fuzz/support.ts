/**
 * Shared knobs of the property-based fuzz tests: a short, seeded form runs in `npm test`; the long form
 * is `FUZZ_RUNS=100000 npx vitest run test/fuzz` (optionally FUZZ_SEED=n). Each test reports how many
 * inputs it tried, so docs/RELIABILITY.md can quote the figures.
 */
import fs from 'node:fs';

const longRuns = Number(process.env.FUZZ_RUNS ?? '');

/** Runs for one property: the short form's count, or FUZZ_RUNS scaled by `weight` in the long form. */
export function runs(short: number, weight = 1): number {
  return Number.isFinite(longRuns) && longRuns > 0 ? Math.max(1, Math.round(longRuns * weight)) : short;
}

export const LONG = Number.isFinite(longRuns) && longRuns > 0;
export const SEED = Number(process.env.FUZZ_SEED ?? '20261127');

/** Test timeout: the default in the short form, a day in the long form. */
export function timeout(shortMs = 30_000): number {
  return LONG ? 24 * 3600_000 : shortMs;
}

/** Records the inputs a property tried; printed, and appended to FUZZ_REPORT when that names a file. */
export function report(name: string, tried: number, extra: Record<string, unknown> = {}): void {
  const line = JSON.stringify({ check: name, tried, seed: SEED, ...extra });
  console.log(`fuzz ${line}`);
  if (process.env.FUZZ_REPORT) fs.appendFileSync(process.env.FUZZ_REPORT, `${line}\n`);
}
