import { StoreError } from './errors.js';
import { RESOURCE_KINDS, type Change, type InstanceRecord, type ResourceKind } from './types.js';

/** Instances whose last heartbeat is older than this are pruned on the next heartbeat. */
export const INSTANCE_RETENTION_MS = 24 * 60 * 60 * 1000;
export const DEFAULT_AUDIT_LIMIT = 100;
export const MAX_AUDIT_LIMIT = 1000;
export const DEFAULT_ACTOR = 'system';

const KIND_SET: ReadonlySet<string> = new Set(RESOURCE_KINDS);

export function checkKind(kind: unknown, where: string): asserts kind is ResourceKind {
  if (typeof kind !== 'string' || !KIND_SET.has(kind)) {
    throw new StoreError('STORE_INVALID_KIND', `${where}: kind must be one of ${RESOURCE_KINDS.join(', ')}, got ${JSON.stringify(kind) ?? String(kind)}`);
  }
}

export function checkName(name: unknown, where: string): asserts name is string {
  if (typeof name !== 'string' || name.length === 0 || name.length > 253) {
    throw new StoreError('STORE_INVALID_NAME', `${where}: name must be a non-empty string of at most 253 characters`);
  }
}

/** Serializes a spec to the JSON text that is stored; the text is also what no-op detection compares. */
export function encodeSpec(spec: unknown, where: string): string {
  if (spec === null || typeof spec !== 'object' || Array.isArray(spec)) {
    throw new StoreError('STORE_INVALID_SPEC', `${where}: spec must be a JSON object`);
  }
  try {
    return JSON.stringify(spec);
  } catch (err) {
    throw new StoreError('STORE_INVALID_SPEC', `${where}: spec is not serializable as JSON (${(err as Error).message})`);
  }
}

/** Where a change sits in a batch, for error messages. */
export function describeChange(change: Change, index: number): string {
  const kind = typeof change?.kind === 'string' ? change.kind : '?';
  const name = typeof change?.name === 'string' ? change.name : '?';
  return `change #${index + 1} (${kind}/${name})`;
}

export function checkChange(change: Change, index: number): void {
  const where = describeChange(change, index);
  if (change === null || typeof change !== 'object' || (change.op !== 'put' && change.op !== 'delete')) {
    throw new StoreError('STORE_INVALID_SPEC', `${where}: op must be "put" or "delete"`);
  }
  checkKind(change.kind, where);
  checkName(change.name, where);
}

function isoField(value: unknown, field: string): string {
  const date = typeof value === 'string' ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) {
    throw new StoreError('STORE_INVALID_INSTANCE', `instance.${field} must be an ISO 8601 date-time string`);
  }
  return date.toISOString();
}

/** Validates a heartbeat and normalizes its times to ISO 8601 UTC. */
export function normalizeInstance(instance: InstanceRecord): InstanceRecord {
  if (instance === null || typeof instance !== 'object') {
    throw new StoreError('STORE_INVALID_INSTANCE', 'instance must be an object');
  }
  for (const field of ['id', 'address', 'version'] as const) {
    if (typeof instance[field] !== 'string' || (field === 'id' && instance.id.length === 0)) {
      throw new StoreError('STORE_INVALID_INSTANCE', `instance.${field} must be a ${field === 'id' ? 'non-empty ' : ''}string`);
    }
  }
  return {
    id: instance.id,
    address: instance.address,
    version: instance.version,
    startedAt: isoField(instance.startedAt, 'startedAt'),
    lastHeartbeat: isoField(instance.lastHeartbeat, 'lastHeartbeat'),
  };
}

export function auditPage(opts: { limit?: number; beforeId?: number } | undefined): { limit: number; beforeId: number | null } {
  const limit = opts?.limit ?? DEFAULT_AUDIT_LIMIT;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new StoreError('STORE_INVALID_SPEC', 'audit limit must be a positive integer');
  }
  const beforeId = opts?.beforeId ?? null;
  if (beforeId !== null && !Number.isInteger(beforeId)) {
    throw new StoreError('STORE_INVALID_SPEC', 'audit beforeId must be an integer');
  }
  return { limit: Math.min(limit, MAX_AUDIT_LIMIT), beforeId };
}
