import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/store/sqlite.js';
import { waitFor } from './contract.js';

const WRITER = join(import.meta.dirname, 'fixtures', 'writer.ts');

/** Starts the writer child; collects every line it prints until it dies. */
function startWriter(args: string[]) {
  const child = spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const acked: string[] = [];
  let ready = false;
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (line === 'ready') ready = true;
    else if (line.startsWith('ack ')) acked.push(line.slice(4));
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  return { child, acked, exited, isReady: () => ready, stderr: () => stderr };
}

describe('SQLite store durability', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('keeps every acknowledged write when the writing process is killed with SIGKILL', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mcpgw-crash-'));
    dirs.push(dataDir);
    const writer = startWriter(['sqlite', dataDir, '', '0', 'crash']);
    await waitFor(() => writer.acked.length >= 150 || writer.child.exitCode !== null, 20_000, 'the writer to acknowledge writes');
    expect(writer.stderr()).toBe('');
    writer.child.kill('SIGKILL');
    const { signal } = await writer.exited;
    expect(signal).toBe('SIGKILL');
    // Lines printed before the kill are acknowledged too; all of them were read by now.
    const acked = [...writer.acked];
    expect(acked.length).toBeGreaterThanOrEqual(150);

    const store = new SqliteStore({ dataDir });
    await store.migrate();
    try {
      const stored = new Set((await store.list('services')).map((r) => r.name));
      const missing = acked.filter((name) => !stored.has(name));
      expect(missing).toEqual([]);
      // At most the one write in flight at the kill can be there without an acknowledgement.
      expect(stored.size - acked.length).toBeLessThanOrEqual(1);
      expect(await store.revision()).toBe(stored.size);
    } finally {
      await store.close();
    }
  });

  it('reports writes made by another process sharing the file', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mcpgw-xproc-'));
    dirs.push(dataDir);
    const store = new SqliteStore({ dataDir, pollIntervalMs: 50 });
    await store.migrate();
    try {
      const calls: number[] = [];
      const stop = store.watch((r) => calls.push(r));
      const writer = startWriter(['sqlite', dataDir, '', '3', 'cli']);
      const { code } = await writer.exited;
      expect(writer.stderr()).toBe('');
      expect(code).toBe(0);
      expect(writer.acked).toEqual(['cli-0', 'cli-1', 'cli-2']);
      await waitFor(() => calls.includes(3), 3000, 'the other process writes to be reported');
      expect((await store.list('services')).map((r) => r.name)).toEqual(['cli-0', 'cli-1', 'cli-2']);
      stop();
    } finally {
      await store.close();
    }
  });

  it('does not keep a process alive just because it watches', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'mcpgw-unref-'));
    dirs.push(dataDir);
    const child = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fixtures', 'watch-and-return.ts'), dataDir], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk) => (out += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    const [code, signal] = await new Promise<[number | null, string | null]>((resolve) => child.on('close', (c, s) => resolve([c, s])));
    clearTimeout(timer);
    expect(out).toBe('watching\n');
    expect(signal).toBeNull();
    expect(code).toBe(0);
  });
});
