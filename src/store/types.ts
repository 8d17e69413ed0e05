/** The four resource kinds the control plane stores; the admin API path segment of each. */
export type ResourceKind = 'services' | 'registries' | 'mcp-servers' | 'consumers';
export const RESOURCE_KINDS: readonly ResourceKind[] = ['services', 'registries', 'mcp-servers', 'consumers'];

/** A resource as stored: spec is opaque JSON (secret fields already encrypted by the control plane). */
export interface StoredResource {
  kind: ResourceKind;
  name: string;
  spec: Record<string, unknown>;
  /** Per-resource version, 1 on create, +1 on every update. */
  version: number;
  createdAt: string;
  updatedAt: string;
}

export interface AuditEntry {
  id: number;
  at: string;
  actor: string;
  action: 'create' | 'update' | 'delete';
  kind: ResourceKind;
  name: string;
  /** Stored specs before and after (secrets still encrypted; the API masks them). */
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

export interface InstanceRecord {
  id: string;
  address: string;
  version: string;
  startedAt: string;
  lastHeartbeat: string;
}

export type Change =
  | { op: 'put'; kind: ResourceKind; name: string; spec: Record<string, unknown> }
  | { op: 'delete'; kind: ResourceKind; name: string };

export interface PutOptions {
  actor?: string;
  /** Optimistic concurrency: fail with a conflict when the stored version differs. */
  expectedVersion?: number;
}

export class StoreConflictError extends Error {
  readonly code = 'STORE_CONFLICT';
  constructor(message: string) {
    super(message);
  }
}

/**
 * Configuration storage. Every write is durable when its promise resolves and bumps the
 * global revision; watchers learn of every revision change, including ones made by other
 * processes sharing the same database.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  migrate(): Promise<void>;
  list(kind: ResourceKind): Promise<StoredResource[]>;
  get(kind: ResourceKind, name: string): Promise<StoredResource | undefined>;
  put(kind: ResourceKind, name: string, spec: Record<string, unknown>, opts?: PutOptions): Promise<{ resource: StoredResource; created: boolean }>;
  /** True when something was deleted. */
  delete(kind: ResourceKind, name: string, opts?: { actor?: string }): Promise<boolean>;
  /** All changes in one transaction (declarative apply): all land or none does. */
  applyBatch(changes: Change[], opts?: { actor?: string }): Promise<void>;
  /** Global change counter; grows with every write. */
  revision(): Promise<number>;
  /** Calls back (at most once per observed revision) after any write from any process; returns an unsubscribe. */
  watch(onChange: (revision: number) => void): () => void;
  listAudit(opts?: { limit?: number; beforeId?: number }): Promise<AuditEntry[]>;
  heartbeat(instance: InstanceRecord): Promise<void>;
  listInstances(): Promise<InstanceRecord[]>;
  close(): Promise<void>;
}
