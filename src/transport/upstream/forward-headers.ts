import type { IncomingHttpHeaders } from 'node:http';
import type { ServiceSpec } from '../../config/resources.js';

/** Hop-by-hop headers (RFC 9110 7.6.1) plus those the gateway owns on each side. */
const NEVER_FORWARDED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
  // consumer credentials and browser context stay at the gateway
  'authorization',
  'x-api-key',
  'cookie',
  'origin',
  'referer',
  // mapped by the proxy, never copied
  'mcp-session-id',
]);

/** Upstream response headers the gateway replaces or that only make sense on the hop they came from. */
const NEVER_RETURNED = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'mcp-session-id',
  'set-cookie',
  'access-control-allow-origin',
  'access-control-allow-credentials',
  'access-control-expose-headers',
  'access-control-allow-headers',
  'access-control-allow-methods',
  'access-control-max-age',
  'vary',
  'date',
  'server',
]);

/** Headers named in a Connection header are hop-by-hop too. */
function connectionTokens(value: string | string[] | undefined): string[] {
  if (!value) return [];
  return (Array.isArray(value) ? value.join(',') : value).split(',').map((t) => t.trim().toLowerCase()).filter(Boolean);
}

/** The backend credential of a service, computed once per snapshot. */
export interface BackendCredential {
  headers: Record<string, string>;
  query?: [string, string];
}

export function backendCredential(auth: ServiceSpec['auth']): BackendCredential {
  if (!auth) return { headers: {} };
  switch (auth.type) {
    case 'basic':
      return { headers: { authorization: `Basic ${Buffer.from(`${auth.username ?? ''}:${auth.password ?? ''}`).toString('base64')}` } };
    case 'bearer':
      return { headers: { authorization: `Bearer ${auth.token ?? ''}` } };
    case 'api-key': {
      const value = auth.key ?? auth.token ?? '';
      if (auth.in === 'query') return { headers: {}, query: [auth.name ?? 'api_key', value] };
      return { headers: { [(auth.name ?? 'x-api-key').toLowerCase()]: value } };
    }
    default:
      return { headers: {} };
  }
}

/** Client request headers to send upstream: end-to-end ones only, without the consumer's credential. */
export function requestHeadersForUpstream(incoming: IncomingHttpHeaders, credential: BackendCredential, remoteAddress: string | undefined): Record<string, string> {
  const extraHop = connectionTokens(incoming.connection);
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined || NEVER_FORWARDED.has(name) || extraHop.includes(name)) continue;
    if (name === 'x-forwarded-for' || name === 'x-forwarded-host' || name === 'x-forwarded-proto') continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  const prior = incoming['x-forwarded-for'];
  const chain = prior ? `${Array.isArray(prior) ? prior.join(', ') : prior}, ` : '';
  if (remoteAddress) out['x-forwarded-for'] = `${chain}${remoteAddress}`;
  if (incoming.host) out['x-forwarded-host'] = incoming.host;
  out['x-forwarded-proto'] = 'http';
  Object.assign(out, credential.headers);
  return out;
}

/** Upstream response headers to give the client: end-to-end ones only. */
export function responseHeadersForClient(upstream: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const extraHop = connectionTokens(upstream.connection);
  const out: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(upstream)) {
    if (value === undefined || NEVER_RETURNED.has(name) || extraHop.includes(name)) continue;
    out[name] = value;
  }
  return out;
}

/** A client query string without the consumer's `api_key`, with the backend's key added when it goes in the query. */
export function upstreamQuery(query: URLSearchParams, credential: BackendCredential): string {
  const q = new URLSearchParams(query);
  q.delete('api_key');
  if (credential.query) q.set(credential.query[0], credential.query[1]);
  const s = q.toString();
  return s ? `?${s}` : '';
}

/** Adds the backend's query credential to a path that may already carry a query. */
export function withCredentialQuery(pathAndQuery: string, credential: BackendCredential): string {
  if (!credential.query) return pathAndQuery;
  const sep = pathAndQuery.includes('?') ? '&' : '?';
  return `${pathAndQuery}${sep}${encodeURIComponent(credential.query[0])}=${encodeURIComponent(credential.query[1])}`;
}
