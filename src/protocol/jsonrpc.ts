/** JSON-RPC 2.0 envelope handling: only the envelope is parsed on the hot path. */

export const JSONRPC_PARSE_ERROR = -32700;
export const JSONRPC_INVALID_REQUEST = -32600;
export const JSONRPC_METHOD_NOT_FOUND = -32601;
export const JSONRPC_INVALID_PARAMS = -32602;
export const JSONRPC_INTERNAL_ERROR = -32603;
/** Gateway-specific server errors (-32000 to -32099 are reserved for implementations). */
export const GW_UPSTREAM_ERROR = -32002;
export const GW_FORBIDDEN = -32003;
export const GW_RATE_LIMITED = -32029;

export type JsonRpcId = string | number | null;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id?: JsonRpcId;
  method: string;
  params?: Record<string, unknown> | unknown[];
}

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: JsonRpcId;
  result?: unknown;
  error?: { code: number; message: string; data?: unknown };
}

export type JsonRpcMessage = JsonRpcRequest | JsonRpcResponse;

export function isRequest(m: JsonRpcMessage): m is JsonRpcRequest {
  return typeof (m as JsonRpcRequest).method === 'string';
}

export function isNotification(m: JsonRpcMessage): boolean {
  return isRequest(m) && !('id' in m);
}

export function isResponse(m: JsonRpcMessage): m is JsonRpcResponse {
  return !isRequest(m) && ('result' in m || 'error' in m);
}

export function errorResponse(id: JsonRpcId, code: number, message: string, data?: unknown): JsonRpcResponse {
  const error: JsonRpcResponse['error'] = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: '2.0', id, error };
}

export function resultResponse(id: JsonRpcId, result: unknown): JsonRpcResponse {
  return { jsonrpc: '2.0', id, result };
}

/** Checks one decoded value against the JSON-RPC 2.0 message shapes; returns a reason when invalid. */
export function envelopeProblem(v: unknown): string | undefined {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return 'a JSON-RPC message must be an object';
  const m = v as Record<string, unknown>;
  if (m.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  if ('id' in m && !(typeof m.id === 'string' || (typeof m.id === 'number' && Number.isFinite(m.id)) || m.id === null)) return 'id must be a string or a number';
  if ('method' in m) {
    if (typeof m.method !== 'string' || m.method.length === 0) return 'method must be a non-empty string';
    if ('params' in m && (m.params === null || typeof m.params !== 'object')) return 'params must be an object or an array';
    return undefined;
  }
  if ('result' in m || 'error' in m) {
    if (!('id' in m)) return 'a response needs an id';
    if ('error' in m) {
      const e = m.error as Record<string, unknown> | null;
      if (!e || typeof e !== 'object' || typeof e.code !== 'number' || typeof e.message !== 'string') return 'error must have a numeric code and a message';
    }
    return undefined;
  }
  return 'a JSON-RPC message needs a method, a result or an error';
}

export type ParsedBody =
  | { kind: 'single'; message: JsonRpcMessage }
  | { kind: 'batch'; messages: Array<JsonRpcMessage | { invalid: string; id: JsonRpcId }> }
  | { kind: 'error'; response: JsonRpcResponse };

/** Parses a POST body into one message or a batch (2025-03-26 and older allow batches). */
export function parseBody(text: string): ParsedBody {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (err) {
    return { kind: 'error', response: errorResponse(null, JSONRPC_PARSE_ERROR, `Parse error: ${(err as Error).message}`) };
  }
  if (Array.isArray(v)) {
    if (v.length === 0) return { kind: 'error', response: errorResponse(null, JSONRPC_INVALID_REQUEST, 'Invalid Request: empty batch') };
    return {
      kind: 'batch',
      messages: v.map((item) => {
        const problem = envelopeProblem(item);
        if (!problem) return item as JsonRpcMessage;
        const id = item && typeof item === 'object' && (typeof item.id === 'string' || typeof item.id === 'number') ? item.id : null;
        return { invalid: problem, id };
      }),
    };
  }
  const problem = envelopeProblem(v);
  if (problem) {
    const id = v && typeof v === 'object' && (typeof (v as { id?: unknown }).id === 'string' || typeof (v as { id?: unknown }).id === 'number') ? ((v as { id: JsonRpcId }).id) : null;
    return { kind: 'error', response: errorResponse(id, JSONRPC_INVALID_REQUEST, `Invalid Request: ${problem}`) };
  }
  return { kind: 'single', message: v as JsonRpcMessage };
}
