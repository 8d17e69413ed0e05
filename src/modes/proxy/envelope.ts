import type { JsonRpcId } from '../../protocol/jsonrpc.js';

/** A map key for a JSON-RPC id that keeps 1 and "1" apart. */
export function idKey(id: unknown): string {
  return typeof id === 'number' ? `n${id}` : `s${String(id)}`;
}

type Msg = Record<string, unknown>;

function each(value: unknown, fn: (m: Msg) => void): void {
  if (Array.isArray(value)) {
    for (const v of value) if (v && typeof v === 'object') fn(v as Msg);
  } else if (value && typeof value === 'object') fn(value as Msg);
}

/** Ids of the requests (not notifications, not responses) in a parsed body or event. */
export function requestIds(value: unknown): JsonRpcId[] {
  const out: JsonRpcId[] = [];
  each(value, (m) => {
    if (typeof m.method === 'string' && 'id' in m && m.id !== null) out.push(m.id as JsonRpcId);
  });
  return out;
}

/** Ids of the responses in a parsed body or event. */
export function responseIds(value: unknown): JsonRpcId[] {
  const out: JsonRpcId[] = [];
  each(value, (m) => {
    if (typeof m.method !== 'string' && ('result' in m || 'error' in m)) out.push(m.id as JsonRpcId);
  });
  return out;
}

/** Parses JSON text, undefined when it is not JSON. */
export function tryParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** True when a parsed value is a JSON-RPC message or a batch of them (loosely: objects with jsonrpc). */
export function looksLikeJsonRpc(value: unknown): boolean {
  if (Array.isArray(value)) return value.length > 0 && value.every((v) => v && typeof v === 'object' && (v as Msg).jsonrpc === '2.0');
  return !!value && typeof value === 'object' && (value as Msg).jsonrpc === '2.0';
}

/** Requests a body carries: the `initialize` request, if any. */
export function findInitialize(value: unknown): Msg | undefined {
  let found: Msg | undefined;
  each(value, (m) => {
    if (m.method === 'initialize') found = m;
  });
  return found;
}
