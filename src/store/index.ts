import { PostgresStore } from './postgres.js';
import { SqliteStore } from './sqlite.js';
import { StoreError } from './errors.js';
import type { Store } from './types.js';

export * from './types.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { SqliteStore, SQLITE_FILE_NAME, type SqliteStoreOptions } from './sqlite.js';
export { PostgresStore, DEFAULT_POSTGRES_SCHEMA, parsePostgresUrl, type PostgresStoreOptions } from './postgres.js';
export { MIGRATIONS, type Migration } from './migrations.js';

export interface OpenStoreOptions {
  /** Where the SQLite file lives when no database URL is given (created when missing). */
  dataDir: string;
  /** postgres:// or postgresql:// selects PostgreSQL; empty or absent selects SQLite; anything else is refused. */
  databaseUrl?: string;
  /** SQLite: poll interval for other processes' writes (default 500 ms). PostgreSQL: revision check besides NOTIFY (default 5 s). */
  pollIntervalMs?: number;
  /** Receives errors from the store's background work. */
  onError?: (err: unknown) => void;
}

/** True when the URL selects the PostgreSQL store. */
export function isPostgresUrl(url: string | undefined): url is string {
  return typeof url === 'string' && /^postgres(ql)?:\/\//i.test(url);
}

/** Opens the configured store and brings its schema up to date. */
export async function openStore(opts: OpenStoreOptions): Promise<Store> {
  if (opts.databaseUrl && !isPostgresUrl(opts.databaseUrl)) {
    // A mistyped URL silently falling back to a local file would split a cluster's configuration.
    throw new StoreError('STORE_INVALID_URL', 'MCPGW_DATABASE_URL must start with postgres:// or postgresql:// (leave it empty for SQLite in the data directory)');
  }
  const store: Store = isPostgresUrl(opts.databaseUrl)
    ? new PostgresStore({ connectionString: opts.databaseUrl, revisionCheckIntervalMs: opts.pollIntervalMs, onError: opts.onError })
    : new SqliteStore({ dataDir: opts.dataDir, pollIntervalMs: opts.pollIntervalMs, onError: opts.onError });
  try {
    await store.migrate();
  } catch (err) {
    await store.close().catch(() => {});
    throw err;
  }
  return store;
}
