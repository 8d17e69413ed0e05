import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { SqliteStore } from '../../src/store/sqlite.js';
import { describeStoreContract } from './contract.js';

describeStoreContract('SQLite', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-store-'));
  return {
    open: async () => {
      const store = new SqliteStore({ dataDir: dir, pollIntervalMs: 50 });
      await store.migrate();
      return store;
    },
    destroy: () => rm(dir, { recursive: true, force: true }),
  };
});

describe('SqliteStore specifics', () => {
  const dirs: string[] = [];
  const stores: SqliteStore[] = [];
  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpgw-sqlite-'));
    dirs.push(dir);
    return dir;
  };
  const open = async (dataDir: string, pollIntervalMs = 50) => {
    const store = new SqliteStore({ dataDir, pollIntervalMs });
    stores.push(store);
    await store.migrate();
    return store;
  };

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('creates gateway.db in a missing data dir, owner-only, in WAL mode with synchronous=FULL', async () => {
    const dataDir = join(await tempDir(), 'nested', 'data');
    const store = await open(dataDir);
    expect(store.file).toBe(join(dataDir, 'gateway.db'));
    expect((await stat(store.file)).mode & 0o777).toBe(0o600);
    const probe = new Database(store.file, { readonly: true });
    try {
      expect(probe.pragma('journal_mode', { simple: true })).toBe('wal');
      const migrations = probe.prepare('SELECT version FROM schema_migrations').pluck().all();
      expect(migrations).toEqual([1]);
    } finally {
      probe.close();
    }
    // synchronous is per connection: read it from the store's own.
    expect((store as any).db.pragma('synchronous', { simple: true })).toBe(2);
  });

  it('refuses use before migrate() with a coded error', async () => {
    const store = new SqliteStore({ dataDir: await tempDir() });
    stores.push(store);
    await expect(store.list('services')).rejects.toMatchObject({ code: 'STORE_NOT_MIGRATED' });
  });

  it('two processes migrating the same fresh file at once both succeed', async () => {
    const dataDir = await tempDir();
    const a = new SqliteStore({ dataDir });
    const b = new SqliteStore({ dataDir });
    stores.push(a, b);
    await Promise.all([a.migrate(), b.migrate()]);
    await a.put('services', 'x', {});
    expect((await b.get('services', 'x'))!.version).toBe(1);
  });
});

describe('openStore', () => {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
  });

  it('opens a migrated SQLite store in the data dir when no database URL is given', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpgw-open-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    for (const databaseUrl of [undefined, '']) {
      const store = await openStore({ dataDir, databaseUrl });
      expect(store.kind).toBe('sqlite');
      await store.put('services', 'a', { n: 1 });
      await store.close();
    }
    expect((await stat(join(dataDir, 'gateway.db'))).isFile()).toBe(true);
  });

  it('refuses a database URL that is not PostgreSQL instead of silently using SQLite', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'mcpgw-open-'));
    dirs.push(dir);
    await expect(openStore({ dataDir: dir, databaseUrl: 'mysql://localhost/x' })).rejects.toMatchObject({ code: 'STORE_INVALID_URL' });
    await expect(openStore({ dataDir: dir, databaseUrl: 'postgress://localhost/x' })).rejects.toMatchObject({ code: 'STORE_INVALID_URL' });
  });
});
