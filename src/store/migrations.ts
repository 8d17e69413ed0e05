/**
 * Versioned schema steps, applied in order and recorded in schema_migrations. Each step has the
 * same meaning on both engines; only the SQL dialect differs. Never edit a released step: add one.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  /** Receives the already-quoted schema name, e.g. "mcp_gateway". */
  postgres: (schema: string) => string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'resources, revision, audit, instances',
    sqlite: `
      CREATE TABLE resources (
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        spec TEXT NOT NULL,
        version INTEGER NOT NULL,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, name)
      ) WITHOUT ROWID;
      CREATE TABLE store_state (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        revision INTEGER NOT NULL
      );
      INSERT INTO store_state (id, revision) VALUES (1, 0);
      CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL CHECK (action IN ('create', 'update', 'delete')),
        kind TEXT NOT NULL,
        name TEXT NOT NULL,
        before TEXT,
        after TEXT
      );
      CREATE TABLE instances (
        id TEXT PRIMARY KEY,
        address TEXT NOT NULL,
        version TEXT NOT NULL,
        started_at TEXT NOT NULL,
        last_heartbeat TEXT NOT NULL
      );
    `,
    // json (not jsonb) keeps the spec's text and key order exactly as written.
    postgres: (s) => `
      CREATE TABLE ${s}.resources (
        kind text NOT NULL,
        name text NOT NULL,
        spec json NOT NULL,
        version integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        PRIMARY KEY (kind, name)
      );
      CREATE TABLE ${s}.store_state (
        id smallint PRIMARY KEY CHECK (id = 1),
        revision bigint NOT NULL
      );
      INSERT INTO ${s}.store_state (id, revision) VALUES (1, 0);
      CREATE TABLE ${s}.audit (
        id bigserial PRIMARY KEY,
        at timestamptz NOT NULL,
        actor text NOT NULL,
        action text NOT NULL CHECK (action IN ('create', 'update', 'delete')),
        kind text NOT NULL,
        name text NOT NULL,
        before json,
        after json
      );
      CREATE TABLE ${s}.instances (
        id text PRIMARY KEY,
        address text NOT NULL,
        version text NOT NULL,
        started_at timestamptz NOT NULL,
        last_heartbeat timestamptz NOT NULL
      );
    `,
  },
];
