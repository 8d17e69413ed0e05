import type { IncomingHttpHeaders } from 'node:http';
import { JSONRPC_INVALID_PARAMS, JSONRPC_INVALID_REQUEST } from '../../protocol/jsonrpc.js';
import { isSupportedVersion } from '../../protocol/versions.js';
import { firstHeader } from '../../transport/upstream/streamable-client.js';

/** The stateless protocol revision: version, identity and capabilities travel in every request's `_meta`. */
export const MODERN_VERSION = '2026-07-28';
export const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
export const META_CLIENT_INFO = 'io.modelcontextprotocol/clientInfo';
export const META_CLIENT_CAPS = 'io.modelcontextprotocol/clientCapabilities';
export const META_LOG_LEVEL = 'io.modelcontextprotocol/logLevel';
export const META_SERVER_INFO = 'io.modelcontextprotocol/serverInfo';
export const META_SUBSCRIPTION = 'io.modelcontextprotocol/subscriptionId';
export const HEADER_MISMATCH = -32020;
export const UNSUPPORTED_VERSION = -32022;

/** Methods whose `Mcp-Name` header mirrors `params.name` or `params.uri`. */
const NAMED: Record<string, 'name' | 'uri'> = { 'tools/call': 'name', 'prompts/get': 'name', 'resources/read': 'uri' };

type Msg = Record<string, unknown>;

/** True for a stateless (2026-07-28 or later) protocol version. */
export function isModernVersion(v: string | undefined): boolean {
  return typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v) && v >= MODERN_VERSION;
}

/**
 * True when a request's version header puts it on the stateless path: a stateless version, or one
 * no initialize-based revision has (only a stateless server answers it, with -32022).
 */
export function isStatelessRequest(v: string | undefined): boolean {
  return v !== undefined && v !== '' && (isModernVersion(v) || !isSupportedVersion(v));
}

/** A header value with the `=?base64?…?=` form decoded; undefined when absent or not valid base64. */
export function decodeHeaderValue(v: string | undefined): string | undefined {
  if (v === undefined) return undefined;
  if (!v.startsWith('=?base64?') || !v.endsWith('?=') || v.length < 11) return v;
  const b64 = v.slice(9, -2);
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64)) return undefined;
  return Buffer.from(b64, 'base64').toString('utf8');
}

/** A value as a header: plain when it is visible ASCII without edge spaces, else the base64 form. */
export function encodeHeaderValue(v: string): string {
  if (/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(v) && !(v.startsWith('=?base64?') && v.endsWith('?='))) return v;
  return `=?base64?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

/** The protocol version a request claims in its headers (`MCP-Protocol-Version`). */
export function headerVersion(headers: IncomingHttpHeaders): string | undefined {
  return firstHeader(headers['mcp-protocol-version'])?.trim();
}

/** What the routing headers of a stateless request say, after validation against the body. */
export interface ModernRoute {
  message: Msg;
  method: string;
  /** `Mcp-Name` decoded (tools/call, prompts/get, resources/read). */
  name?: string;
  version: string;
}

export interface HeaderRefusal {
  status: number;
  rpcCode: number;
  code: string;
  message: string;
  data?: Record<string, unknown>;
}

function mismatch(message: string): HeaderRefusal {
  return { status: 400, rpcCode: HEADER_MISMATCH, code: 'HEADER_MISMATCH', message: `Header mismatch: ${message}` };
}

/**
 * Checks a stateless request's routing headers against its body (spec: intermediaries that decide
 * from headers must verify them; a mismatch is 400 with -32020). `known` lists the versions the
 * gateway can serve; others get 400 with -32022 (undefined: any stateless version passes on).
 */
export function validateModernRequest(headers: IncomingHttpHeaders, parsed: unknown, known?: readonly string[]): ModernRoute | HeaderRefusal {
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { status: 400, rpcCode: JSONRPC_INVALID_REQUEST, code: 'INVALID_REQUEST', message: 'Invalid Request: a 2026-07-28 POST carries one JSON-RPC request or notification (no batches)' };
  }
  const message = parsed as Msg;
  if (message.jsonrpc !== '2.0' || typeof message.method !== 'string' || !message.method) {
    return { status: 400, rpcCode: JSONRPC_INVALID_REQUEST, code: 'INVALID_REQUEST', message: 'Invalid Request: not a JSON-RPC request' };
  }
  const version = headerVersion(headers);
  if (!version) return mismatch('the MCP-Protocol-Version header is required');
  if (known && !known.includes(version)) {
    return { status: 400, rpcCode: UNSUPPORTED_VERSION, code: 'UNSUPPORTED_PROTOCOL_VERSION', message: `Unsupported protocol version: ${version}`, data: { supported: [...known], requested: version } };
  }
  const params = (message.params && typeof message.params === 'object' ? message.params : {}) as Msg;
  const meta = (params._meta && typeof params._meta === 'object' ? params._meta : undefined) as Msg | undefined;
  if ('id' in message) {
    // the required per-request fields are params (-32602); a present but different version is a header mismatch
    if (!meta || meta[META_VERSION] === undefined || !meta[META_CLIENT_CAPS] || typeof meta[META_CLIENT_CAPS] !== 'object') {
      return { status: 400, rpcCode: JSONRPC_INVALID_PARAMS, code: 'INVALID_PARAMS', message: `Invalid params: _meta must carry ${META_VERSION} and ${META_CLIENT_CAPS}` };
    }
    if (meta[META_VERSION] !== version) return mismatch(`MCP-Protocol-Version "${version}" does not match _meta "${String(meta[META_VERSION])}"`);
  }
  const method = decodeHeaderValue(firstHeader(headers['mcp-method']));
  if (method === undefined) return mismatch('the Mcp-Method header is required');
  if (method !== message.method) return mismatch(`Mcp-Method "${method}" does not match the body's method "${message.method}"`);
  const field = NAMED[message.method];
  if (!field) return { message, method, version };
  const rawName = firstHeader(headers['mcp-name']);
  if (rawName === undefined) return mismatch(`the Mcp-Name header is required for ${message.method}`);
  const name = decodeHeaderValue(rawName);
  if (name === undefined) return mismatch('Mcp-Name is not valid base64');
  if (name !== params[field]) return mismatch(`Mcp-Name "${name}" does not match params.${field}`);
  return { message, method, name, version };
}

export function isRefusal(v: ModernRoute | HeaderRefusal): v is HeaderRefusal {
  return 'status' in v;
}

/** The routing headers of a stateless request the gateway itself sends upstream. */
export function modernHeaders(method: string, params: Msg | undefined): Record<string, string> {
  const h: Record<string, string> = { 'mcp-protocol-version': MODERN_VERSION, 'mcp-method': method, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
  const field = NAMED[method];
  const name = field ? params?.[field] : undefined;
  if (typeof name === 'string') h['mcp-name'] = encodeHeaderValue(name);
  return h;
}
