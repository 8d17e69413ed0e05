/**
 * MCP 2026-07-28 ("modern", stateless) wire pieces shared by every endpoint: telling a modern
 * request from a legacy one, checking the routing headers against the body, and shaping results.
 * Transport-free: callers hand in a header lookup and get back a JSON-RPC answer plus HTTP status.
 */
import { errorResponse, JSONRPC_INVALID_PARAMS, JSONRPC_METHOD_NOT_FOUND, type JsonRpcId, type JsonRpcRequest, type JsonRpcResponse } from './jsonrpc.js';
import { isLegacyVersion, LATEST_MODERN_VERSION, MODERN_VERSIONS, SUPPORTED_VERSIONS, type ModernVersion } from './versions.js';

/** Error codes the 2026-07-28 revision allocates from -32020 up. */
export const MCP_HEADER_MISMATCH = -32020;
export const MCP_MISSING_CLIENT_CAPABILITY = -32021;
export const MCP_UNSUPPORTED_PROTOCOL_VERSION = -32022;

export const META_PROTOCOL_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_CLIENT_CAPABILITIES = 'io.modelcontextprotocol/clientCapabilities';
export const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
export const META_SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** Lower-case header names (node's IncomingMessage headers are lower-cased). */
export const HEADER_PROTOCOL_VERSION = 'mcp-protocol-version';
export const HEADER_METHOD = 'mcp-method';
export const HEADER_NAME = 'mcp-name';
export const HEADER_PARAM_PREFIX = 'mcp-param-';

/** Methods whose Mcp-Name header mirrors a body field. */
const NAME_SOURCE: Record<string, 'name' | 'uri'> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };
/** Results a client may cache: they carry ttlMs and cacheScope. */
const CACHEABLE = new Set(['server/discover', 'tools/list', 'prompts/list', 'resources/list', 'resources/templates/list', 'resources/read']);
/** Legacy-only methods a 2026-07-28 server must not answer. */
export const REMOVED_IN_MODERN = new Set(['initialize', 'notifications/initialized', 'ping', 'logging/setLevel', 'resources/subscribe', 'resources/unsubscribe']);

export type HeaderLookup = (lowerCaseName: string) => string | undefined;

/** A header lookup over node's header record (first value of a repeated header). */
export function headerLookup(headers: Record<string, string | string[] | undefined>): HeaderLookup {
  return (name) => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
}

/** The `_meta` object of a request's params, if any. */
export function requestMeta(msg: { params?: unknown }): Record<string, unknown> | undefined {
  const p = msg.params;
  if (!p || typeof p !== 'object' || Array.isArray(p)) return undefined;
  const meta = (p as Record<string, unknown>)._meta;
  return meta && typeof meta === 'object' && !Array.isArray(meta) ? (meta as Record<string, unknown>) : undefined;
}

/**
 * True when a single decoded body is a 2026-07-28-style request: its `_meta` names a protocol
 * version, or the MCP-Protocol-Version header names one that is not a handshake revision (an
 * initialize without that `_meta` stays legacy whatever the header says). Batches are always legacy.
 */
export function isModernRequest(headerVersion: string | undefined, body: unknown): boolean {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return false;
  const msg = body as { method?: unknown; params?: unknown };
  if (typeof msg.method !== 'string') return false;
  if (requestMeta(msg)?.[META_PROTOCOL_VERSION] !== undefined) return true;
  if (msg.method === 'initialize') return false;
  const v = headerVersion?.trim();
  return v !== undefined && v !== '' && !isLegacyVersion(v);
}

const SENTINEL = /^=\?base64\?(.*)\?=$/s;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** Visible ASCII, space and tab (RFC 9110 field values). */
const PLAIN_HEADER_VALUE = /^[\x20-\x7e\t]*$/;

/**
 * Decodes a Mcp-Name / Mcp-Param-* value: optional whitespace trimmed, `=?base64?…?=` decoded
 * strictly (padding and alphabet checked, UTF-8 required). Undefined when the value is invalid.
 */
export function decodeHeaderValue(raw: string): string | undefined {
  const v = raw.replace(/^[ \t]+|[ \t]+$/g, '');
  const m = SENTINEL.exec(v);
  if (!m) return PLAIN_HEADER_VALUE.test(v) ? v : undefined;
  if (!STRICT_BASE64.test(m[1])) return undefined;
  const bytes = Buffer.from(m[1], 'base64');
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

/** Encodes a value for a Mcp-Name / Mcp-Param-* header, base64-wrapping what plain ASCII cannot carry. */
export function encodeHeaderValue(value: string): string {
  const plain = /^[\x21-\x7e](?:[\x20-\x7e]*[\x21-\x7e])?$/.test(value) && !SENTINEL.test(value);
  return plain ? value : `=?base64?${Buffer.from(value, 'utf8').toString('base64')}?=`;
}

/** One `x-mcp-header` annotation of a tool's inputSchema: the header suffix and the property path. */
export interface ParamHeader {
  header: string;
  path: string[];
  type?: string;
}

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/**
 * The `x-mcp-header` annotations of an inputSchema, following only `properties` chains. Returns
 * a reason instead when an annotation breaks the spec's constraints (the tool is then invalid).
 */
export function paramHeaders(inputSchema: unknown): ParamHeader[] | { invalid: string } {
  const out: ParamHeader[] = [];
  const seen = new Set<string>();
  const walk = (schema: unknown, path: string[]): string | undefined => {
    if (!schema || typeof schema !== 'object') return undefined;
    const props = (schema as Record<string, unknown>).properties;
    if (!props || typeof props !== 'object') return undefined;
    for (const [key, sub] of Object.entries(props as Record<string, unknown>)) {
      if (!sub || typeof sub !== 'object') continue;
      const s = sub as Record<string, unknown>;
      const h = s['x-mcp-header'];
      if (h !== undefined) {
        if (typeof h !== 'string' || !TOKEN.test(h)) return `x-mcp-header of "${[...path, key].join('.')}" is not an HTTP token`;
        if (seen.has(h.toLowerCase())) return `x-mcp-header "${h}" is used twice`;
        const type = typeof s.type === 'string' ? s.type : undefined;
        if (type !== undefined && type !== 'string' && type !== 'integer' && type !== 'boolean') return `x-mcp-header "${h}" is on a ${type} property`;
        seen.add(h.toLowerCase());
        out.push({ header: h, path: [...path, key], type });
      }
      const problem = walk(s, [...path, key]);
      if (problem) return problem;
    }
    return undefined;
  };
  const problem = walk(inputSchema, []);
  return problem ? { invalid: problem } : out;
}

function valueAt(args: unknown, path: string[]): unknown {
  let v: unknown = args;
  for (const k of path) {
    if (!v || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** The header text of a primitive argument value, or undefined for values headers do not carry. */
function headerText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return undefined;
}

/** The Mcp-Param-* headers a client sends for a tool call. */
export function paramHeaderValues(inputSchema: unknown, args: unknown): Record<string, string> {
  const annotations = paramHeaders(inputSchema);
  if (!Array.isArray(annotations)) return {};
  const out: Record<string, string> = {};
  for (const a of annotations) {
    const text = headerText(valueAt(args, a.path));
    if (text !== undefined) out[`Mcp-Param-${a.header}`] = encodeHeaderValue(text);
  }
  return out;
}

/** The standard headers a 2026-07-28 client sends with one request (plus Mcp-Param-* when a schema is given). */
export function modernRequestHeaders(method: string, params: Record<string, unknown> | undefined, version: string = LATEST_MODERN_VERSION, inputSchema?: unknown): Record<string, string> {
  const headers: Record<string, string> = { 'MCP-Protocol-Version': version, 'Mcp-Method': method };
  const field = NAME_SOURCE[method];
  const name = field ? params?.[field] : undefined;
  if (typeof name === 'string') headers['Mcp-Name'] = encodeHeaderValue(name);
  if (method === 'tools/call' && inputSchema !== undefined) Object.assign(headers, paramHeaderValues(inputSchema, params?.arguments));
  return headers;
}

/** Adds the request `_meta` a 2026-07-28 request needs to its params. */
export function withRequestMeta(params: Record<string, unknown> | undefined, meta: { clientInfo?: unknown; clientCapabilities?: unknown; version?: string } = {}): Record<string, unknown> {
  const own = (params?._meta && typeof params._meta === 'object' ? params._meta : {}) as Record<string, unknown>;
  return {
    ...params,
    _meta: {
      [META_PROTOCOL_VERSION]: meta.version ?? LATEST_MODERN_VERSION,
      [META_CLIENT_CAPABILITIES]: meta.clientCapabilities ?? {},
      ...(meta.clientInfo ? { [META_CLIENT_INFO]: meta.clientInfo } : {}),
      ...own,
    },
  };
}

/** A refusal of a modern request: the JSON-RPC error answer and its HTTP status. */
export interface ModernRejection {
  status: number;
  response: JsonRpcResponse;
}

export function headerMismatch(id: JsonRpcId, message: string): ModernRejection {
  return { status: 400, response: errorResponse(id, MCP_HEADER_MISMATCH, `Header mismatch: ${message}`, { code: 'HEADER_MISMATCH' }) };
}

export function unsupportedVersion(id: JsonRpcId, requested: string, supported: readonly string[] = SUPPORTED_VERSIONS): ModernRejection {
  return { status: 400, response: errorResponse(id, MCP_UNSUPPORTED_PROTOCOL_VERSION, 'Unsupported protocol version', { supported: [...supported], requested, code: 'UNSUPPORTED_PROTOCOL_VERSION' }) };
}

export function methodNotFound(id: JsonRpcId, method: string): ModernRejection {
  return { status: 404, response: errorResponse(id, JSONRPC_METHOD_NOT_FOUND, `Method not found: ${method}`, { code: 'METHOD_NOT_FOUND' }) };
}

/** The HTTP status of a modern request's JSON-RPC answer (the spec codes its 4xx answers). */
export function statusForAnswer(response: JsonRpcResponse): number {
  switch (response.error?.code) {
    case undefined:
      return 200;
    case MCP_HEADER_MISMATCH:
    case MCP_MISSING_CLIENT_CAPABILITY:
    case MCP_UNSUPPORTED_PROTOCOL_VERSION:
      return 400;
    case JSONRPC_METHOD_NOT_FOUND:
      return 404;
    default:
      return 200;
  }
}

/** What a validated modern request declared about itself. */
export interface ModernRequestInfo {
  version: ModernVersion;
  clientCapabilities: Record<string, unknown>;
  clientInfo?: unknown;
  logLevel?: string;
}

/**
 * Checks a 2026-07-28 request's routing headers and `_meta` against its body: version header
 * present, version supported (when `_meta` does not contradict it), `_meta` fields present,
 * header = `_meta` version,
 * Mcp-Method = method, Mcp-Name = params.name / params.uri (decoded). Tool `x-mcp-header`
 * parameters are checked separately (checkParamHeaders) once the tool's schema is known.
 */
export function validateModernRequest(header: HeaderLookup, msg: JsonRpcRequest, supported: readonly string[] = MODERN_VERSIONS): ModernRejection | ModernRequestInfo {
  const id = msg.id ?? null;
  const meta = requestMeta(msg) ?? {};
  const headerVersion = header(HEADER_PROTOCOL_VERSION)?.trim();
  if (!headerVersion) return headerMismatch(id, 'the MCP-Protocol-Version header is required');
  const bodyVersion = meta[META_PROTOCOL_VERSION];
  if (!supported.includes(headerVersion) && (bodyVersion === undefined || bodyVersion === headerVersion)) {
    // A dual-era server lists every version it speaks; the handshake ones are reached through initialize.
    return unsupportedVersion(id, headerVersion);
  }
  const missing = [META_PROTOCOL_VERSION, META_CLIENT_CAPABILITIES].filter((k) => meta[k] === undefined);
  if (missing.length > 0) {
    return { status: 400, response: errorResponse(id, JSONRPC_INVALID_PARAMS, `Invalid params: _meta is missing ${missing.join(', ')}`, { code: 'META_REQUIRED' }) };
  }
  if (bodyVersion !== headerVersion) return headerMismatch(id, `MCP-Protocol-Version header "${headerVersion}" does not match _meta protocolVersion "${String(bodyVersion)}"`);
  const method = header(HEADER_METHOD)?.trim();
  if (method === undefined) return headerMismatch(id, 'the Mcp-Method header is required');
  if (method !== msg.method) return headerMismatch(id, `Mcp-Method header "${method}" does not match body method "${msg.method}"`);
  const field = NAME_SOURCE[msg.method];
  if (field) {
    const bodyName = (msg.params as Record<string, unknown> | undefined)?.[field];
    const raw = header(HEADER_NAME);
    if (typeof bodyName === 'string') {
      if (raw === undefined) return headerMismatch(id, `the Mcp-Name header is required for ${msg.method}`);
      const name = decodeHeaderValue(raw);
      if (name === undefined) return headerMismatch(id, 'the Mcp-Name header has invalid characters or base64');
      if (name !== bodyName) return headerMismatch(id, `Mcp-Name header "${name}" does not match body params.${field} "${bodyName}"`);
    } else if (raw !== undefined) {
      return headerMismatch(id, `Mcp-Name header is set but the body has no params.${field}`);
    }
  }
  const caps = meta[META_CLIENT_CAPABILITIES];
  const logLevel = meta[META_LOG_LEVEL];
  return {
    version: headerVersion as ModernVersion,
    clientCapabilities: caps && typeof caps === 'object' && !Array.isArray(caps) ? (caps as Record<string, unknown>) : {},
    clientInfo: meta[META_CLIENT_INFO],
    logLevel: typeof logLevel === 'string' ? logLevel : undefined,
  };
}

/** True when the rejection/info union is a rejection. */
export function isRejection(v: ModernRejection | ModernRequestInfo): v is ModernRejection {
  return 'response' in v;
}

/**
 * Checks the Mcp-Param-* headers of a tools/call against the tool's `x-mcp-header` annotations:
 * each argument present must come with a matching header (decoded; integers compared as numbers).
 */
export function checkParamHeaders(header: HeaderLookup, id: JsonRpcId, inputSchema: unknown, args: unknown): ModernRejection | undefined {
  const annotations = paramHeaders(inputSchema);
  if (!Array.isArray(annotations)) return undefined;
  for (const a of annotations) {
    const value = valueAt(args, a.path);
    const raw = header(`${HEADER_PARAM_PREFIX}${a.header.toLowerCase()}`);
    if (value === undefined || value === null) continue;
    if (raw === undefined) return headerMismatch(id, `the Mcp-Param-${a.header} header is required when arguments.${a.path.join('.')} is set`);
    const text = decodeHeaderValue(raw);
    if (text === undefined) return headerMismatch(id, `the Mcp-Param-${a.header} header has invalid characters or base64`);
    const same = typeof value === 'number' ? text.trim() !== '' && Number(text) === value : text === headerText(value);
    if (!same) return headerMismatch(id, `Mcp-Param-${a.header} header does not match arguments.${a.path.join('.')}`);
  }
  return undefined;
}

/** Marks a result as final and, for cacheable methods, adds the cache hints the revision requires. */
export function completeResult(method: string, result: Record<string, unknown>, opts: { serverInfo?: unknown; ttlMs?: number; cacheScope?: 'public' | 'private' } = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...result, resultType: typeof result.resultType === 'string' ? result.resultType : 'complete' };
  if (CACHEABLE.has(method)) {
    if (typeof out.ttlMs !== 'number') out.ttlMs = opts.ttlMs ?? 0;
    if (out.cacheScope !== 'public' && out.cacheScope !== 'private') out.cacheScope = opts.cacheScope ?? 'private';
  }
  if (opts.serverInfo !== undefined) {
    const meta = (out._meta && typeof out._meta === 'object' ? out._meta : {}) as Record<string, unknown>;
    out._meta = { ...meta, [META_SERVER_INFO]: opts.serverInfo };
  }
  return out;
}

/** An interim result asking the client for input; the client retries with `inputResponses` (and `requestState`). */
export function inputRequiredResult(input: { inputRequests?: Record<string, { method: string; params?: unknown }>; requestState?: string }): Record<string, unknown> {
  if (!input.inputRequests && input.requestState === undefined) throw new Error('an input_required result needs inputRequests or requestState');
  const out: Record<string, unknown> = { resultType: 'input_required' };
  if (input.inputRequests) out.inputRequests = input.inputRequests;
  if (input.requestState !== undefined) out.requestState = input.requestState;
  return out;
}

/** Strips the 2026-07-28-only result fields for a client of an older revision. */
export function legacyResult(result: Record<string, unknown>): Record<string, unknown> {
  const { resultType: _r, ttlMs: _t, cacheScope: _c, ...rest } = result;
  return rest;
}

/** The filter of a subscriptions/listen request, reduced to the fields the spec defines. */
export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

/** The acknowledgement that opens a listen stream, carrying what the server agreed to send. */
export function subscriptionAcknowledged(subscriptionId: JsonRpcId, agreed: SubscriptionFilter): Record<string, unknown> {
  return { jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [META_SUBSCRIPTION_ID]: subscriptionId }, notifications: agreed } };
}

/** A change notification on a listen stream, tagged with its subscription. */
export function subscriptionNotification(subscriptionId: JsonRpcId, method: string, params: Record<string, unknown> = {}): Record<string, unknown> {
  const meta = (params._meta && typeof params._meta === 'object' ? params._meta : {}) as Record<string, unknown>;
  return { jsonrpc: '2.0', method, params: { ...params, _meta: { ...meta, [META_SUBSCRIPTION_ID]: subscriptionId } } };
}

/** The final answer of a listen stream the server closes gracefully. */
export function subscriptionClosed(subscriptionId: JsonRpcId): JsonRpcResponse {
  return { jsonrpc: '2.0', id: subscriptionId, result: { resultType: 'complete', _meta: { [META_SUBSCRIPTION_ID]: subscriptionId } } };
}

/** Reads a listen request's filter; unknown or ill-typed fields are dropped. */
export function subscriptionFilter(params: unknown): SubscriptionFilter {
  const n = (params && typeof params === 'object' ? (params as Record<string, unknown>).notifications : undefined) as Record<string, unknown> | undefined;
  const out: SubscriptionFilter = {};
  if (!n || typeof n !== 'object') return out;
  for (const k of ['toolsListChanged', 'promptsListChanged', 'resourcesListChanged'] as const) if (n[k] === true) out[k] = true;
  if (Array.isArray(n.resourceSubscriptions)) out.resourceSubscriptions = n.resourceSubscriptions.filter((u): u is string => typeof u === 'string');
  return out;
}
