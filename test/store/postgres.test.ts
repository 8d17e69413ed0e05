import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/store/index.js';
import { PostgresStore, parsePostgresUrl } from '../../src/store/postgres.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { describeStoreContract, waitFor } from './contract.js';

// The machine's PostgreSQL (trust auth); override to run elsewhere.
const DATABASE_URL = process.env.MCPGW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WRITER = join(import.meta.dirname, 'fixtures', 'writer.ts');

let admin: pg.Client;
let counter = 0;
/** Schemas made by this run; each is dropped when its test ends, the rest in afterAll. */
const schemas = new Set<string>();

function freshSchema(): string {
  const schema = `mcpgw_test_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  schemas.add(schema);
  return schema;
}

async function dropSchema(schema: string): Promise<void> {
  await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  schemas.delete(schema);
}

beforeAll(async () => {
  admin = new pg.Client({ connectionString: DATABASE_URL });
  await admin.connect();
});

afterAll(async () => {
  for (const schema of [...schemas]) await dropSchema(schema);
  await admin.end();
});

describeStoreContract('PostgreSQL', async () => {
  const schema = freshSchema();
  return {
    // A long safety-net interval, so cross-instance watch tests pass only through LISTEN/NOTIFY.
    open: async () => {
      const store = new PostgresStore({ connectionString: DATABASE_URL, schema, revisionCheckIntervalMs: 60_000 });
      await store.migrate();
      return store;
    },
    destroy: () => dropSchema(schema),
  };
});

describe('PostgresStore specifics', () => {
  const stores: PostgresStore[] = [];
  const open = async (schema: string, opts: { revisionCheckIntervalMs?: number; migrate?: boolean } = {}) => {
    const store = new PostgresStore({ connectionString: DATABASE_URL, schema, revisionCheckIntervalMs: opts.revisionCheckIntervalMs ?? 60_000 });
    stores.push(store);
    if (opts.migrate !== false) await store.migrate();
    return store;
  };

  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('lets three instances migrate a fresh schema at the same time', async () => {
    const schema = freshSchema();
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => open(schema, { migrate: false })));
    await Promise.all([a.migrate(), b.migrate(), c.migrate()]);
    const applied = await admin.query(`SELECT version FROM "${schema}".schema_migrations ORDER BY version`);
    expect(applied.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    await a.put('services', 'one', {});
    await b.put('services', 'two', {});
    expect((await c.list('services')).map((r) => r.name)).toEqual(['one', 'two']);
    expect(await c.revision()).toBe(2);
    await dropSchema(schema);
  });

  it('keeps its tables in the configured schema, taken from ?schema= in the URL', async () => {
    const schema = freshSchema();
    const store = new PostgresStore({ connectionString: `${DATABASE_URL}?schema=${schema}` });
    stores.push(store);
    await store.migrate();
    expect(store.schema).toBe(schema);
    await store.put('consumers', 'alice', { credentials: [] });
    const rows = await admin.query(`SELECT name, spec::text AS spec FROM "${schema}".resources`);
    expect(rows.rows).toEqual([{ name: 'alice', spec: '{"credentials":[]}' }]);
    const tables = await admin.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name', [schema]);
    expect(tables.rows.map((r) => r.table_name)).toEqual(['audit', 'instances', 'resources', 'schema_migrations', 'store_state']);
    await store.close();
    await dropSchema(schema);
  });

  it('parses the schema parameter off the URL and refuses unsafe schema names', () => {
    expect(parsePostgresUrl('postgres://u:p%40ss@h:5433/db?schema=tenant_1&sslmode=disable')).toEqual({
      connectionString: 'postgres://u:p%40ss@h:5433/db?sslmode=disable',
      schema: 'tenant_1',
    });
    expect(parsePostgresUrl('postgresql://h/db').schema).toBeUndefined();
    expect(() => parsePostgresUrl('not a url')).toThrow(expect.objectContaining({ code: 'STORE_INVALID_URL' }));
    expect(() => new PostgresStore({ connectionString: DATABASE_URL, schema: 'x"; DROP TABLE y; --' })).toThrow(
      expect.objectContaining({ code: 'STORE_INVALID_SCHEMA' }),
    );
    expect(() => new PostgresStore({ connectionString: DATABASE_URL, schema: 'Upper' })).toThrow(expect.objectContaining({ code: 'STORE_INVALID_SCHEMA' }));
  });

  it('notices a revision change that came without a NOTIFY through the periodic check', async () => {
    const schema = freshSchema();
    const store = await open(schema, { revisionCheckIntervalMs: 100 });
    const calls: number[] = [];
    const stop = store.watch((r) => calls.push(r));
    await new Promise((resolve) => setTimeout(resolve, 150));
    await admin.query(`UPDATE "${schema}".store_state SET revision = revision + 1`);
    await waitFor(() => calls.length > 0, 3000, 'the periodic check to report the revision');
    expect(calls).toEqual([1]);
    stop();
    await dropSchema(schema);
  });

  it('reconnects its listener after the connection is killed and catches up on missed writes', async () => {
    const schema = freshSchema();
    const store = await open(schema);
    const writer = await open(schema);
    const calls: number[] = [];
    const stop = store.watch((r) => calls.push(r));
    const listenerPids = async () =>
      (
        await admin.query<{ pid: number }>(`SELECT pid FROM pg_stat_activity WHERE query = $1 AND state = 'idle'`, [`LISTEN "${store.channel}"`])
      ).rows.map((r) => r.pid);
    await waitFor(async () => (await listenerPids()).length === 1, 5000, 'the listener to connect');
    const [firstPid] = await listenerPids();
    await writer.put('services', 'before-kill', {});
    await waitFor(() => calls.includes(1), 5000, 'the first notification');

    await admin.query('SELECT pg_terminate_backend($1)', [firstPid]);
    // Written while the listener may be down: reported by the catch-up check after reconnecting.
    await writer.put('services', 'during-outage', {});
    await waitFor(() => calls.includes(2), 8000, 'the write made during the outage to be reported');
    await waitFor(async () => (await listenerPids()).some((pid) => pid !== firstPid), 5000, 'a new listener connection');
    await writer.put('services', 'after-reconnect', {});
    await waitFor(() => calls.includes(3), 5000, 'a notification on the new listener');
    expect(calls).toEqual([1, 2, 3]);
    stop();
    await dropSchema(schema);
  });

  it('keeps every acknowledged write when the writing process is killed with SIGKILL', async () => {
    const schema = freshSchema();
    const child = spawn(process.execPath, ['--import', 'tsx', WRITER, 'postgres', DATABASE_URL, schema, '0', 'pgcrash'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const acked: string[] = [];
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    createInterface({ input: child.stdout }).on('line', (line) => line.startsWith('ack ') && acked.push(line.slice(4)));
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('close', (_code, signal) => resolve(signal)));
    await waitFor(() => acked.length >= 100 || child.exitCode !== null, 20_000, 'the writer to acknowledge writes');
    expect(stderr).toBe('');
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    const store = await open(schema);
    const stored = new Set((await store.list('services')).map((r) => r.name));
    expect(acked.filter((name) => !stored.has(name))).toEqual([]);
    expect(stored.size - acked.length).toBeLessThanOrEqual(1);
    await dropSchema(schema);
  });

  it('is what openStore returns for a postgres:// URL', async () => {
    const schema = freshSchema();
    const store = await openStore({ dataDir: '/nonexistent/never-created', databaseUrl: `${DATABASE_URL}?schema=${schema}`, pollIntervalMs: 1000 });
    try {
      expect(store.kind).toBe('postgres');
      await store.put('services', 'x', { a: 1 });
      expect((await store.get('services', 'x'))!.spec).toEqual({ a: 1 });
    } finally {
      await store.close();
    }
    await dropSchema(schema);
  });
});
