import { closeSync, mkdirSync, openSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
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

/** The database file's name inside the data directory. */
export const SQLITE_FILE_NAME = 'gateway.db';
export const DEFAULT_SQLITE_POLL_INTERVAL_MS = 500;
export const DEFAULT_SQLITE_BUSY_TIMEOUT_MS = 5000;

export interface SqliteStoreOptions {
  /** Directory holding gateway.db (created when missing). */
  dataDir: string;
  /** How often watch() looks for writes made by other processes. */
  pollIntervalMs?: number;
  /** How long a write waits for another process's write lock before failing. */
  busyTimeoutMs?: number;
  /** Receives errors from background polling and from watch callbacks. */
  onError?: (err: unknown) => void;
}

interface ResourceRow {
  kind: ResourceKind;
  name: string;
  spec: string;
  version: number;
  created_at: string;
  updated_at: string;
}

interface AuditRow {
  id: number;
  at: string;
  actor: string;
  action: AuditEntry['action'];
  kind: ResourceKind;
  name: string;
  before: string | null;
  after: string | null;
}

interface InstanceRow {
  id: string;
  address: string;
  version: string;
  started_at: string;
  last_heartbeat: string;
}

interface Statements {
  list: Database.Statement<[string], ResourceRow>;
  get: Database.Statement<[string, string], ResourceRow>;
  insert: Database.Statement<[string, string, string, string, string], ResourceRow>;
  update: Database.Statement<[string, string, string, string], ResourceRow>;
  remove: Database.Statement<[string, string], { spec: string }>;
  bump: Database.Statement<[], number>;
  revision: Database.Statement<[], number>;
  audit: Database.Statement<[string, string, string, string, string, string | null, string | null]>;
  auditPage: Database.Statement<[number, number], AuditRow>;
  heartbeat: Database.Statement<[string, string, string, string, string]>;
  prune: Database.Statement<[string]>;
  instances: Database.Statement<[], InstanceRow>;
  dataVersion: Database.Statement<[], number>;
}

/** What one applied change did, before the revision is bumped. */
interface Outcome {
  resource: StoredResource | null;
  created: boolean;
  changed: boolean;
}

function toResource(row: ResourceRow): StoredResource {
  return {
    kind: row.kind,
    name: row.name,
    spec: JSON.parse(row.spec) as Record<string, unknown>,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

function parseOrNull(text: string | null): Record<string, unknown> | null {
  return text === null ? null : (JSON.parse(text) as Record<string, unknown>);
}

/**
 * Store on an embedded SQLite file (better-sqlite3). WAL mode lets readers run during a write;
 * synchronous=FULL makes every acknowledged write survive a crash. Other processes sharing the
 * file (the CLI's `apply`) are noticed by polling PRAGMA data_version.
 */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  /** Absolute or relative path of the database file. */
  readonly file: string;
  private readonly db: Database.Database;
  private readonly pollIntervalMs: number;
  private readonly onError: (err: unknown) => void;
  private readonly watchers: RevisionWatchers;
  private statements: Statements | null = null;
  private pollTimer: NodeJS.Timeout | null = null;
  private lastDataVersion = -1;
  private closed = false;

  constructor(opts: SqliteStoreOptions) {
    this.pollIntervalMs = opts.pollIntervalMs ?? DEFAULT_SQLITE_POLL_INTERVAL_MS;
    this.onError = opts.onError ?? (() => {});
    this.watchers = new RevisionWatchers(this.onError);
    mkdirSync(opts.dataDir, { recursive: true, mode: 0o700 });
    this.file = join(opts.dataDir, SQLITE_FILE_NAME);
    // Create the file owner-only first; SQLite gives its -wal and -shm files the same mode.
    closeSync(openSync(this.file, 'a', 0o600));
    this.db = new Database(this.file);
    this.db.pragma(`busy_timeout = ${Math.max(0, Math.floor(opts.busyTimeoutMs ?? DEFAULT_SQLITE_BUSY_TIMEOUT_MS))}`);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('foreign_keys = ON');
  }

  async migrate(): Promise<void> {
    const db = this.open();
    db.exec('CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    // IMMEDIATE takes the write lock first, so processes starting together apply each step once.
    db.transaction(() => {
      const applied = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
      for (const migration of MIGRATIONS) {
        if (applied.has(migration.version)) continue;
        try {
          db.exec(migration.sqlite);
        } catch (err) {
          throw new StoreError('STORE_MIGRATION_FAILED', `SQLite migration ${migration.version} (${migration.name}) failed: ${(err as Error).message}`);
        }
        db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(migration.version, migration.name, new Date().toISOString());
      }
    }).immediate();
    this.statements ??= this.prepare(db);
  }

  async list(kind: ResourceKind): Promise<StoredResource[]> {
    checkKind(kind, 'list');
    return this.ready().list.all(kind).map(toResource);
  }

  async get(kind: ResourceKind, name: string): Promise<StoredResource | undefined> {
    checkKind(kind, 'get');
    checkName(name, `get ${kind}`);
    const row = this.ready().get.get(kind, name);
    return row ? toResource(row) : undefined;
  }

  async put(kind: ResourceKind, name: string, spec: Record<string, unknown>, opts: PutOptions = {}): Promise<{ resource: StoredResource; created: boolean }> {
    const where = `${kind}/${name}`;
    checkKind(kind, where);
    checkName(name, where);
    const text = encodeSpec(spec, where);
    const st = this.ready();
    const { outcome, revision } = this.db
      .transaction(() => {
        const result = this.applyPut(st, kind, name, text, opts.actor ?? DEFAULT_ACTOR, opts.expectedVersion);
        return { outcome: result, revision: result.changed ? st.bump.get()! : null };
      })
      .immediate();
    if (revision !== null) this.watchers.publish(revision);
    return { resource: outcome.resource!, created: outcome.created };
  }

  async delete(kind: ResourceKind, name: string, opts: { actor?: string } = {}): Promise<boolean> {
    const where = `${kind}/${name}`;
    checkKind(kind, where);
    checkName(name, where);
    const st = this.ready();
    const revision = this.db
      .transaction(() => (this.applyDelete(st, kind, name, opts.actor ?? DEFAULT_ACTOR) ? st.bump.get()! : null))
      .immediate();
    if (revision !== null) this.watchers.publish(revision);
    return revision !== null;
  }

  async applyBatch(changes: Change[], opts: { actor?: string } = {}): Promise<void> {
    if (!Array.isArray(changes)) throw new StoreError('STORE_INVALID_SPEC', 'applyBatch: changes must be an array');
    changes.forEach(checkChange);
    const actor = opts.actor ?? DEFAULT_ACTOR;
    const st = this.ready();
    const revision = this.db
      .transaction(() => {
        let changed = false;
        changes.forEach((change, index) => {
          if (change.op === 'delete') {
            changed = this.applyDelete(st, change.kind, change.name, actor) || changed;
          } else {
            // Encoded inside the transaction: a bad spec anywhere rolls back every earlier change.
            const text = encodeSpec(change.spec, describeChange(change, index));
            changed = this.applyPut(st, change.kind, change.name, text, actor, undefined).changed || changed;
          }
        });
        return changed ? st.bump.get()! : null;
      })
      .immediate();
    if (revision !== null) this.watchers.publish(revision);
  }

  async revision(): Promise<number> {
    return this.ready().revision.get()!;
  }

  watch(onChange: (revision: number) => void): () => void {
    const st = this.ready();
    if (this.watchers.size === 0) {
      this.watchers.reset();
      this.watchers.observe(st.revision.get()!);
      this.lastDataVersion = st.dataVersion.get()!;
      this.pollTimer = setInterval(() => this.poll(), this.pollIntervalMs);
      this.pollTimer.unref();
    }
    const remove = this.watchers.add(onChange);
    return () => {
      remove();
      if (this.watchers.size === 0) this.stopPolling();
    };
  }

  async listAudit(opts?: { limit?: number; beforeId?: number }): Promise<AuditEntry[]> {
    const { limit, beforeId } = auditPage(opts);
    return this.ready()
      .auditPage.all(beforeId ?? Number.MAX_SAFE_INTEGER, limit)
      .map((row) => ({
        id: row.id,
        at: row.at,
        actor: row.actor,
        action: row.action,
        kind: row.kind,
        name: row.name,
        before: parseOrNull(row.before),
        after: parseOrNull(row.after),
      }));
  }

  async heartbeat(instance: InstanceRecord): Promise<void> {
    const record = normalizeInstance(instance);
    const st = this.ready();
    this.db.transaction(() => {
      st.heartbeat.run(record.id, record.address, record.version, record.startedAt, record.lastHeartbeat);
      st.prune.run(new Date(Date.now() - INSTANCE_RETENTION_MS).toISOString());
    })();
  }

  async listInstances(): Promise<InstanceRecord[]> {
    return this.ready()
      .instances.all()
      .map((row) => ({ id: row.id, address: row.address, version: row.version, startedAt: row.started_at, lastHeartbeat: row.last_heartbeat }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stopPolling();
    this.db.close();
  }

  private applyPut(st: Statements, kind: ResourceKind, name: string, text: string, actor: string, expectedVersion: number | undefined): Outcome {
    const current = st.get.get(kind, name);
    if (expectedVersion !== undefined && (current?.version ?? 0) !== expectedVersion) {
      throw new StoreConflictError(
        `${kind}/${name}: expected version ${expectedVersion} but ${current ? `version ${current.version} is stored` : 'it does not exist'}`,
      );
    }
    // Writing an identical spec is not a change: no new version, revision or audit entry.
    if (current && current.spec === text) return { resource: toResource(current), created: false, changed: false };
    const now = new Date().toISOString();
    const row = current ? st.update.get(text, now, kind, name) : st.insert.get(kind, name, text, now, now);
    st.audit.run(now, actor, current ? 'update' : 'create', kind, name, current?.spec ?? null, text);
    return { resource: toResource(row!), created: !current, changed: true };
  }

  private applyDelete(st: Statements, kind: ResourceKind, name: string, actor: string): boolean {
    const removed = st.remove.get(kind, name);
    if (!removed) return false;
    st.audit.run(new Date().toISOString(), actor, 'delete', kind, name, removed.spec, null);
    return true;
  }

  private poll(): void {
    if (this.closed || !this.statements) return;
    try {
      // data_version changes only when another connection commits, so this is one cheap read.
      const dataVersion = this.statements.dataVersion.get()!;
      if (dataVersion === this.lastDataVersion) return;
      this.lastDataVersion = dataVersion;
      this.watchers.publish(this.statements.revision.get()!);
    } catch (err) {
      this.onError(err);
    }
  }

  private stopPolling(): void {
    if (this.pollTimer) clearInterval(this.pollTimer);
    this.pollTimer = null;
  }

  private open(): Database.Database {
    if (this.closed) throw new StoreError('STORE_CLOSED', `the SQLite store ${this.file} is closed`);
    return this.db;
  }

  private ready(): Statements {
    this.open();
    if (!this.statements) throw new StoreError('STORE_NOT_MIGRATED', `call migrate() before using the SQLite store ${this.file}`);
    return this.statements;
  }

  private prepare(db: Database.Database): Statements {
    const columns = 'kind, name, spec, version, created_at, updated_at';
    return {
      list: db.prepare(`SELECT ${columns} FROM resources WHERE kind = ? ORDER BY name`),
      get: db.prepare(`SELECT ${columns} FROM resources WHERE kind = ? AND name = ?`),
      insert: db.prepare(`INSERT INTO resources (kind, name, spec, version, created_at, updated_at) VALUES (?, ?, ?, 1, ?, ?) RETURNING ${columns}`),
      update: db.prepare(`UPDATE resources SET spec = ?, updated_at = ?, version = version + 1 WHERE kind = ? AND name = ? RETURNING ${columns}`),
      remove: db.prepare('DELETE FROM resources WHERE kind = ? AND name = ? RETURNING spec'),
      bump: db.prepare<[], number>('UPDATE store_state SET revision = revision + 1 WHERE id = 1 RETURNING revision').pluck(),
      revision: db.prepare<[], number>('SELECT revision FROM store_state WHERE id = 1').pluck(),
      audit: db.prepare('INSERT INTO audit (at, actor, action, kind, name, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)'),
      auditPage: db.prepare('SELECT id, at, actor, action, kind, name, before, after FROM audit WHERE id < ? ORDER BY id DESC LIMIT ?'),
      heartbeat: db.prepare(
        `INSERT INTO instances (id, address, version, started_at, last_heartbeat) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET address = excluded.address, version = excluded.version,
           started_at = excluded.started_at, last_heartbeat = excluded.last_heartbeat`,
      ),
      prune: db.prepare('DELETE FROM instances WHERE last_heartbeat < ?'),
      instances: db.prepare('SELECT id, address, version, started_at, last_heartbeat FROM instances ORDER BY started_at, id'),
      dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
    };
  }
}
