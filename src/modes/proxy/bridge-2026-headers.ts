import type { IncomingHttpHeaders } from 'node:http';
import { errorResponse, JSONRPC_INVALID_REQUEST, type JsonRpcId, type JsonRpcRequest, type JsonRpcResponse } from '../../protocol/jsonrpc.js';
import { headerLookup, isRejection, modernRequestHeaders, validateModernRequest } from '../../protocol/modern.js';
import { isLegacyVersion } from '../../protocol/versions.js';
import { firstHeader } from '../../transport/upstream/streamable-client.js';

export { LATEST_MODERN_VERSION as MODERN_VERSION } from '../../protocol/versions.js';
export {
  META_CLIENT_CAPABILITIES as META_CLIENT_CAPS,
  META_CLIENT_INFO,
  META_LOG_LEVEL,
  META_PROTOCOL_VERSION as META_VERSION,
  META_SERVER_INFO,
  META_SUBSCRIPTION_ID as META_SUBSCRIPTION,
} from '../../protocol/modern.js';

type Msg = Record<string, unknown>;

/** The protocol version a request claims in its headers (`MCP-Protocol-Version`). */
export function headerVersion(headers: IncomingHttpHeaders): string | undefined {
  return firstHeader(headers['mcp-protocol-version'])?.trim();
}

/**
 * True when a request's version header puts it on the stateless path: any version but the
 * initialize-based ones (an unknown version gets -32022 from whoever answers it).
 */
export function isStatelessRequest(v: string | undefined): boolean {
  return v !== undefined && v !== '' && !isLegacyVersion(v);
}

/** What the routing headers of a stateless request say, after validation against the body. */
export interface ModernRoute {
  message: Msg;
  method: string;
  /** `Mcp-Name` decoded (tools/call, prompts/get, resources/read). */
  name?: string;
  version: string;
}

/** A refused stateless request: its JSON-RPC answer and HTTP status. */
export interface HeaderRefusal {
  status: number;
  response: JsonRpcResponse;
}

/**
 * Checks a stateless request's routing headers and `_meta` against its body (src/protocol/modern.ts:
 * mismatch 400/-32020, missing `_meta` fields 400/-32602, unknown version 400/-32022). `supported`
 * lists the versions accepted; undefined lets any stateless version through (the backend judges).
 */
export function checkModernRequest(headers: IncomingHttpHeaders, parsed: unknown, supported?: readonly string[]): ModernRoute | HeaderRefusal {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || (parsed as Msg).jsonrpc !== '2.0' || typeof (parsed as Msg).method !== 'string') {
    const id = parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? ((parsed as { id?: unknown }).id ?? null) : null;
    return { status: 400, response: errorResponse(id as JsonRpcId, JSONRPC_INVALID_REQUEST, 'Invalid Request: a 2026-07-28 POST carries one JSON-RPC request (no batches)', { code: 'INVALID_REQUEST' }) };
  }
  const message = parsed as Msg;
  const version = headerVersion(headers);
  const lookup = headerLookup(headers);
  const method = message.method as string;
  if (!('id' in message)) {
    // notifications carry no _meta rules in this revision; their method header must still be true
    if (!version) return { status: 400, response: errorResponse(null, -32020, 'Header mismatch: the MCP-Protocol-Version header is required', { code: 'HEADER_MISMATCH' }) };
    if (lookup('mcp-method')?.trim() !== method) return { status: 400, response: errorResponse(null, -32020, 'Header mismatch: Mcp-Method does not match the body', { code: 'HEADER_MISMATCH' }) };
    return { message, method, version };
  }
  const info = validateModernRequest(lookup, message as unknown as JsonRpcRequest, supported ?? (version ? [version] : []));
  if (isRejection(info)) return info;
  const params = (message.params ?? {}) as Msg;
  const name = method === 'resources/read' ? params.uri : method === 'tools/call' || method === 'prompts/get' ? params.name : undefined;
  return { message, method, name: typeof name === 'string' ? name : undefined, version: info.version };
}

export function isRefusal(v: ModernRoute | HeaderRefusal): v is HeaderRefusal {
  return 'status' in v;
}

/** The routing headers of a stateless request the gateway itself sends upstream. */
export function modernHeaders(method: string, params: Msg | undefined): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  for (const [k, v] of Object.entries(modernRequestHeaders(method, params))) out[k.toLowerCase()] = v;
  return out;
}
