import pg from 'pg';
import { StoreError } from './errors.js';
import { MIGRATIONS } from './migrations.js';
import { RevisionWatchers } from './revision-watchers.js';
import {
  DEFAULT_ACTOR,
  INSTANCE_RETENTION_MS,
  auditPage,
  checkChange,
  checkKind,
  checkName,
  describeChange,
  encodeSpec,
  normalizeInstance,
} from './validation.js';
import {
  StoreConflictError,
  type AuditEntry,
  type Change,
  type InstanceRecord,
  type PutOptions,
  type ResourceKind,
  type Store,
  type StoredResource,
} from './types.js';

export const DEFAULT_POSTGRES_SCHEMA = 'mcp_gateway';
export const DEFAULT_REVISION_CHECK_INTERVAL_MS = 5000;
const LISTENER_RETRY_MIN_MS = 100;
const LISTENER_RETRY_MAX_MS = 5000;
/** First key of the two-key advisory lock taken while migrating ("MCPG"). */
const MIGRATION_LOCK_CLASS = 0x4d435047;
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresStoreOptions {
  /** postgres:// or postgresql:// URL; a `schema` query parameter selects the schema. */
  connectionString: string;
  /** Overrides the URL's `schema` parameter; default mcp_gateway. Lower-case letters, digits, _. */
  schema?: string;
  /** Most pooled connections (the LISTEN connection is extra). Default 5. */
  poolSize?: number;
  /** Safety net besides LISTEN/NOTIFY: how often watch() re-reads the revision. */
  revisionCheckIntervalMs?: number;
  /** Receives errors from background work: the listener, pool idle clients, watch callbacks. */
  onError?: (err: unknown) => void;
  applicationName?: string;
}

interface ResourceRow {
  kind: ResourceKind;
  name: string;
  spec: Record<string, unknown>;
  version: number;
  created_at: Date;
  updated_at: Date;
}

interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: AuditEntry['action'];
  kind: ResourceKind;
  name: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

interface InstanceRow {
  id: string;
  address: string;
  version: string;
  started_at: Date;
  last_heartbeat: Date;
}

interface Outcome {
  resource: StoredResource | null;
  created: boolean;
  changed: boolean;
}

/** Splits the `schema` query parameter off a connection URL (pg would pass it to the server). */
export function parsePostgresUrl(connectionString: string): { connectionString: string; schema: string | undefined } {
  let url: URL;
  try {
    url = new URL(connectionString);
  } catch {
    throw new StoreError('STORE_INVALID_URL', 'database URL is not a valid URL (expected postgres://user@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new StoreError('STORE_INVALID_URL', `database URL must start with postgres:// or postgresql://, got ${url.protocol}//`);
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  return { connectionString: url.toString(), schema };
}

/** 32-bit FNV-1a, to turn a schema name into an advisory lock key and a short channel suffix. */
function fnv1a(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash | 0;
}

function toResource(row: ResourceRow): StoredResource {
  return {
    kind: row.kind,
    name: row.name,
    spec: row.spec,
    version: row.version,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

/** SQL text of every query, qualified with the schema once at construction. */
function compileQueries(s: string) {
  const columns = 'kind, name, spec, version, created_at, updated_at';
  return {
    list: `SELECT ${columns} FROM ${s}.resources WHERE kind = $1 ORDER BY name COLLATE "C"`,
    get: `SELECT ${columns} FROM ${s}.resources WHERE kind = $1 AND name = $2`,
    current: `SELECT kind, name, spec::text AS spec, version, created_at, updated_at FROM ${s}.resources WHERE kind = $1 AND name = $2`,
    insert: `INSERT INTO ${s}.resources (kind, name, spec, version, created_at, updated_at) VALUES ($1, $2, $3::json, 1, now(), now()) RETURNING ${columns}`,
    update: `UPDATE ${s}.resources SET spec = $3::json, version = version + 1, updated_at = now() WHERE kind = $1 AND name = $2 RETURNING ${columns}`,
    remove: `DELETE FROM ${s}.resources WHERE kind = $1 AND name = $2 RETURNING spec::text AS spec`,
    // One round trip to open the transaction and queue behind other writers.
    begin: `BEGIN; SELECT revision FROM ${s}.store_state WHERE id = 1 FOR UPDATE`,
    bumpAndNotify: `WITH bumped AS (UPDATE ${s}.store_state SET revision = revision + 1 WHERE id = 1 RETURNING revision)
      SELECT revision, pg_notify($1, revision::text) FROM bumped`,
    revision: `SELECT revision FROM ${s}.store_state WHERE id = 1`,
    audit: `INSERT INTO ${s}.audit (at, actor, action, kind, name, before, after) VALUES (now(), $1, $2, $3, $4, $5::json, $6::json)`,
    auditPage: `SELECT id, at, actor, action, kind, name, before, after FROM ${s}.audit WHERE ($1::bigint IS NULL OR id < $1) ORDER BY id DESC LIMIT $2`,
    heartbeat: `INSERT INTO ${s}.instances (id, address, version, started_at, last_heartbeat) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (id) DO UPDATE SET address = EXCLUDED.address, version = EXCLUDED.version,
        started_at = EXCLUDED.started_at, last_heartbeat = EXCLUDED.last_heartbeat`,
    prune: `DELETE FROM ${s}.instances WHERE last_heartbeat < now() - $1::int * interval '1 millisecond'`,
    instances: `SELECT id, address, version, started_at, last_heartbeat FROM ${s}.instances ORDER BY started_at, id`,
    migrations: `CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`,
  };
}

/**
 * Store on PostgreSQL for several gateway replicas. Every write runs in one transaction that
 * bumps the revision (serializing writers on that row) and NOTIFYs the schema's channel; a
 * LISTEN connection plus a periodic revision check tell watch() about other replicas' writes.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly schema: string;
  /** The LISTEN/NOTIFY channel of this schema. */
  readonly channel: string;
  private readonly pool: pg.Pool;
  private readonly clientConfig: pg.ClientConfig;
  private readonly quotedSchema: string;
  private readonly sql: ReturnType<typeof compileQueries>;
  private readonly revisionCheckIntervalMs: number;
  private readonly onError: (err: unknown) => void;
  private readonly watchers: RevisionWatchers;
  private listener: pg.Client | null = null;
  private listenerRetryMs = LISTENER_RETRY_MIN_MS;
  private retryTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private baseline: Promise<void> = Promise.resolve();
  private migrated = false;
  private closed = false;

  constructor(opts: PostgresStoreOptions) {
    const parsed = parsePostgresUrl(opts.connectionString);
    const schema = opts.schema ?? parsed.schema ?? DEFAULT_POSTGRES_SCHEMA;
    if (!SCHEMA_NAME.test(schema)) {
      throw new StoreError('STORE_INVALID_SCHEMA', `PostgreSQL schema "${schema}" must match ${SCHEMA_NAME.source} (lower-case letters, digits, _)`);
    }
    this.schema = schema;
    this.quotedSchema = `"${schema}"`;
    const channel = `mcpgw_${schema}`;
    // NOTIFY channels are identifiers (at most 63 bytes); long schema names get a hashed suffix.
    this.channel = channel.length <= 63 ? channel : `${channel.slice(0, 54)}_${(fnv1a(schema) >>> 0).toString(16).padStart(8, '0')}`;
    this.sql = compileQueries(this.quotedSchema);
    this.revisionCheckIntervalMs = opts.revisionCheckIntervalMs ?? DEFAULT_REVISION_CHECK_INTERVAL_MS;
    this.onError = opts.onError ?? (() => {});
    this.watchers = new RevisionWatchers(this.onError);
    this.clientConfig = { connectionString: parsed.connectionString, application_name: opts.applicationName ?? 'mcp-gateway' };
    this.pool = new pg.Pool({ ...this.clientConfig, max: opts.poolSize ?? 5 });
    // An idle pooled client losing its connection must not crash the process.
    this.pool.on('error', (err) => this.onError(err));
  }

  async migrate(): Promise<void> {
    this.checkOpen();
    const client = await this.pool.connect();
    const lockKey = [MIGRATION_LOCK_CLASS, fnv1a(this.schema)];
    try {
      // Replicas starting together wait here, so each step runs exactly once.
      await client.query('SELECT pg_advisory_lock($1, $2)', lockKey);
      try {
        const exists = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
        if (exists.rowCount === 0) await client.query(`CREATE SCHEMA ${this.quotedSchema}`);
        await client.query(this.sql.migrations);
        const applied = new Set((await client.query<{ version: number }>(`SELECT version FROM ${this.quotedSchema}.schema_migrations`)).rows.map((r) => r.version));
        for (const migration of MIGRATIONS) {
          if (applied.has(migration.version)) continue;
          try {
            await client.query('BEGIN');
            await client.query(migration.postgres(this.quotedSchema));
            await client.query(`INSERT INTO ${this.quotedSchema}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
            await client.query('COMMIT');
          } catch (err) {
            await client.query('ROLLBACK').catch(() => {});
            throw new StoreError(
              'STORE_MIGRATION_FAILED',
              `PostgreSQL migration ${migration.version} (${migration.name}) in schema ${this.schema} failed: ${(err as Error).message}`,
            );
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1, $2)', lockKey);
      }
    } finally {
      client.release();
    }
    this.migrated = true;
  }

  async list(kind: ResourceKind): Promise<StoredResource[]> {
    checkKind(kind, 'list');
    this.checkReady();
    const result = await this.pool.query<ResourceRow>(this.sql.list, [kind]);
    return result.rows.map(toResource);
  }

  async get(kind: ResourceKind, name: string): Promise<StoredResource | undefined> {
    checkKind(kind, 'get');
    checkName(name, `get ${kind}`);
    this.checkReady();
    const result = await this.pool.query<ResourceRow>(this.sql.get, [kind, name]);
    return result.rows.length ? toResource(result.rows[0]) : undefined;
  }

  async put(kind: ResourceKind, name: string, spec: Record<string, unknown>, opts: PutOptions = {}): Promise<{ resource: StoredResource; created: boolean }> {
    const where = `${kind}/${name}`;
    checkKind(kind, where);
    checkName(name, where);
    const text = encodeSpec(spec, where);
    this.checkReady();
    const outcome = await this.write(async (client) => {
      const result = await this.applyPut(client, kind, name, text, opts.actor ?? DEFAULT_ACTOR, opts.expectedVersion);
      return { changed: result.changed, value: result };
    });
    return { resource: outcome.resource!, created: outcome.created };
  }

  async delete(kind: ResourceKind, name: string, opts: { actor?: string } = {}): Promise<boolean> {
    const where = `${kind}/${name}`;
    checkKind(kind, where);
    checkName(name, where);
    this.checkReady();
    return this.write(async (client) => {
      const deleted = await this.applyDelete(client, kind, name, opts.actor ?? DEFAULT_ACTOR);
      return { changed: deleted, value: deleted };
    });
  }

  async applyBatch(changes: Change[], opts: { actor?: string } = {}): Promise<void> {
    if (!Array.isArray(changes)) throw new StoreError('STORE_INVALID_SPEC', 'applyBatch: changes must be an array');
    changes.forEach(checkChange);
    this.checkReady();
    const actor = opts.actor ?? DEFAULT_ACTOR;
    await this.write(async (client) => {
      let changed = false;
      for (const [index, change] of changes.entries()) {
        if (change.op === 'delete') {
          changed = (await this.applyDelete(client, change.kind, change.name, actor)) || changed;
        } else {
          // Encoded inside the transaction: a bad spec anywhere rolls back every earlier change.
          const text = encodeSpec(change.spec, describeChange(change, index));
          changed = (await this.applyPut(client, change.kind, change.name, text, actor, undefined)).changed || changed;
        }
      }
      return { changed, value: undefined };
    });
  }

  async revision(): Promise<number> {
    this.checkReady();
    const result = await this.pool.query<{ revision: string }>(this.sql.revision);
    return Number(result.rows[0].revision);
  }

  watch(onChange: (revision: number) => void): () => void {
    this.checkReady();
    const remove = this.watchers.add(onChange);
    if (this.watchers.size === 1) this.startWatching();
    return () => {
      remove();
      if (this.watchers.size === 0) void this.stopWatching();
    };
  }

  async listAudit(opts?: { limit?: number; beforeId?: number }): Promise<AuditEntry[]> {
    const { limit, beforeId } = auditPage(opts);
    this.checkReady();
    const result = await this.pool.query<AuditRow>(this.sql.auditPage, [beforeId, limit]);
    return result.rows.map((row) => ({
      id: Number(row.id),
      at: row.at.toISOString(),
      actor: row.actor,
      action: row.action,
      kind: row.kind,
      name: row.name,
      before: row.before,
      after: row.after,
    }));
  }

  async heartbeat(instance: InstanceRecord): Promise<void> {
    const record = normalizeInstance(instance);
    this.checkReady();
    await this.pool.query(this.sql.heartbeat, [record.id, record.address, record.version, record.startedAt, record.lastHeartbeat]);
    await this.pool.query(this.sql.prune, [INSTANCE_RETENTION_MS]);
  }

  async listInstances(): Promise<InstanceRecord[]> {
    this.checkReady();
    const result = await this.pool.query<InstanceRow>(this.sql.instances);
    return result.rows.map((row) => ({
      id: row.id,
      address: row.address,
      version: row.version,
      startedAt: row.started_at.toISOString(),
      lastHeartbeat: row.last_heartbeat.toISOString(),
    }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopWatching();
    await this.pool.end();
  }

  /**
   * Runs fn in a transaction that holds the revision row lock. When fn changed something the
   * revision is bumped and NOTIFY sent before COMMIT; otherwise the transaction is rolled back.
   */
  private async write<T>(fn: (client: pg.PoolClient) => Promise<{ changed: boolean; value: T }>): Promise<T> {
    const client = await this.pool.connect();
    let revision: number | null = null;
    let value: T;
    try {
      await client.query(this.sql.begin);
      const result = await fn(client);
      value = result.value;
      if (result.changed) {
        const bumped = await client.query<{ revision: string }>(this.sql.bumpAndNotify, [this.channel]);
        revision = Number(bumped.rows[0].revision);
        await client.query('COMMIT');
      } else {
        await client.query('ROLLBACK');
      }
    } catch (err) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackErr) {
        // The connection is broken: destroy it instead of returning it to the pool.
        client.release(rollbackErr as Error);
        throw err;
      }
      client.release();
      throw err;
    }
    client.release();
    if (revision !== null) this.watchers.publish(revision);
    return value;
  }

  private async applyPut(
    client: pg.PoolClient,
    kind: ResourceKind,
    name: string,
    text: string,
    actor: string,
    expectedVersion: number | undefined,
  ): Promise<Outcome> {
    const found = await client.query<{ version: number; spec: string } & Omit<ResourceRow, 'spec'>>(this.sql.current, [kind, name]);
    const current = found.rows[0];
    if (expectedVersion !== undefined && (current?.version ?? 0) !== expectedVersion) {
      throw new StoreConflictError(
        `${kind}/${name}: expected version ${expectedVersion} but ${current ? `version ${current.version} is stored` : 'it does not exist'}`,
      );
    }
    // Writing an identical spec is not a change: no new version, revision or audit entry.
    if (current && current.spec === text) {
      return { resource: toResource({ ...current, spec: JSON.parse(text) as Record<string, unknown> }), created: false, changed: false };
    }
    const written = await client.query<ResourceRow>(current ? this.sql.update : this.sql.insert, [kind, name, text]);
    await client.query(this.sql.audit, [actor, current ? 'update' : 'create', kind, name, current?.spec ?? null, text]);
    return { resource: toResource(written.rows[0]), created: !current, changed: true };
  }

  private async applyDelete(client: pg.PoolClient, kind: ResourceKind, name: string, actor: string): Promise<boolean> {
    const removed = await client.query<{ spec: string }>(this.sql.remove, [kind, name]);
    if (removed.rows.length === 0) return false;
    await client.query(this.sql.audit, [actor, 'delete', kind, name, removed.rows[0].spec, null]);
    return true;
  }

  private startWatching(): void {
    this.watchers.reset();
    // The revision at subscribe time is the baseline: only later ones are reported.
    this.baseline = this.revision().then(
      (revision) => this.watchers.observe(revision),
      (err) => this.onError(err),
    );
    void this.connectListener();
    this.checkTimer = setInterval(() => void this.checkRevision(), this.revisionCheckIntervalMs);
    this.checkTimer.unref();
  }

  private async stopWatching(): Promise<void> {
    if (this.checkTimer) clearInterval(this.checkTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.checkTimer = null;
    this.retryTimer = null;
    const listener = this.listener;
    this.listener = null;
    if (listener) await listener.end().catch(() => {});
  }

  /** Reads the revision and tells watchers when it moved; the safety net for lost notifications. */
  private async checkRevision(): Promise<void> {
    if (this.closed || this.watchers.size === 0) return;
    try {
      await this.baseline;
      this.watchers.publish(await this.revision());
    } catch (err) {
      if (!this.closed) this.onError(err);
    }
  }

  private async connectListener(): Promise<void> {
    if (this.closed || this.watchers.size === 0 || this.listener) return;
    const client = new pg.Client({ ...this.clientConfig, application_name: `${this.clientConfig.application_name}-listen` });
    this.listener = client;
    client.on('notification', (message) => {
      if (message.channel !== this.channel) return;
      const revision = Number(message.payload);
      if (Number.isSafeInteger(revision)) this.watchers.publish(revision);
    });
    client.on('error', (err) => this.listenerLost(client, err));
    client.on('end', () => this.listenerLost(client));
    try {
      await client.connect();
      await client.query(`LISTEN "${this.channel}"`);
      this.listenerRetryMs = LISTENER_RETRY_MIN_MS;
      // Writes made while the listener was down announced themselves to nobody.
      await this.checkRevision();
    } catch (err) {
      this.listenerLost(client, err);
    }
  }

  private listenerLost(client: pg.Client, err?: unknown): void {
    if (this.listener !== client) return;
    this.listener = null;
    client.removeAllListeners('notification');
    client.end().catch(() => {});
    if (err && !this.closed) this.onError(err);
    if (this.closed || this.watchers.size === 0) return;
    const delay = this.listenerRetryMs;
    this.listenerRetryMs = Math.min(this.listenerRetryMs * 2, LISTENER_RETRY_MAX_MS);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connectListener();
    }, delay);
    this.retryTimer.unref();
  }

  private checkOpen(): void {
    if (this.closed) throw new StoreError('STORE_CLOSED', `the PostgreSQL store (schema ${this.schema}) is closed`);
  }

  private checkReady(): void {
    this.checkOpen();
    if (!this.migrated) throw new StoreError('STORE_NOT_MIGRATED', `call migrate() before using the PostgreSQL store (schema ${this.schema})`);
  }
}
