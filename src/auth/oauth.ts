import type { IncomingMessage } from 'node:http';
import { jwtVerify, type JWTPayload } from 'jose';
import type { McpServerSpec } from '../config/resources.js';
import { jwksFor, VerifiedTokenCache } from './consumers.js';

const verified = new VerifiedTokenCache<JWTPayload>();

export const METADATA_PREFIX = '/.well-known/oauth-protected-resource';

/** The public base URL of the data plane: the configured one, else from the request (Host, X-Forwarded-Proto). */
export function baseUrlOf(req: IncomingMessage, publicUrl: string | undefined): string {
  if (publicUrl) return publicUrl.replace(/\/+$/, '');
  const proto = String(req.headers['x-forwarded-proto'] ?? '').split(',')[0].trim() || 'http';
  return `${proto}://${req.headers.host ?? 'localhost'}`;
}

/** An MCP server's canonical URL (the OAuth resource identifier). */
export function canonicalUrl(base: string, server: string): string {
  return `${base}/mcp-servers/${encodeURIComponent(server)}`;
}

export function metadataUrl(base: string, server: string): string {
  return `${base}${METADATA_PREFIX}/mcp-servers/${encodeURIComponent(server)}`;
}

/** RFC 9728 protected resource metadata for one MCP server. */
export function protectedResourceMetadata(spec: McpServerSpec, base: string): Record<string, unknown> {
  const oauth = spec.oauth!;
  const out: Record<string, unknown> = {
    resource: canonicalUrl(base, spec.name),
    authorization_servers: oauth.authorizationServers,
    bearer_methods_supported: ['header'],
    resource_name: spec.description,
  };
  if (oauth.scopes?.length) out.scopes_supported = oauth.scopes;
  return out;
}

export type OAuthCheck = { ok: true; claims: JWTPayload } | { ok: false; status: 401 | 403; error: 'invalid_request' | 'invalid_token' | 'insufficient_scope'; description: string };

function scopesOf(claims: JWTPayload): Set<string> {
  const raw = claims.scope ?? claims.scp;
  if (typeof raw === 'string') return new Set(raw.split(/\s+/).filter(Boolean));
  if (Array.isArray(raw)) return new Set(raw.map(String));
  return new Set();
}

/**
 * Validates an access token for an MCP server acting as a resource server: signature by the
 * configured JWKS (asymmetric algorithms only), issuer, expiry, audience = the canonical URL
 * (or the configured audience), and every required scope.
 */
export async function checkAccessToken(spec: McpServerSpec, token: string | undefined, base: string): Promise<OAuthCheck> {
  const oauth = spec.oauth!;
  if (!token) return { ok: false, status: 401, error: 'invalid_request', description: 'an access token is required' };
  // The cache key carries everything the verdict depends on besides the token.
  const cacheKey = `${spec.name}\u0000${base}\u0000${JSON.stringify(oauth)}\u0000${token}`;
  const cached = verified.get(cacheKey);
  if (cached) return { ok: true, claims: cached };
  let claims: JWTPayload;
  try {
    ({ payload: claims } = await jwtVerify(token, jwksFor(oauth.jwksUrl), {
      issuer: oauth.issuer ?? oauth.authorizationServers[0],
      audience: oauth.audience ?? canonicalUrl(base, spec.name),
      algorithms: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
      clockTolerance: 30,
      requiredClaims: ['exp'],
    }));
  } catch (err) {
    return { ok: false, status: 401, error: 'invalid_token', description: (err as Error).message };
  }
  const have = scopesOf(claims);
  const missing = (oauth.scopes ?? []).filter((s) => !have.has(s));
  if (missing.length) return { ok: false, status: 403, error: 'insufficient_scope', description: `missing scope: ${missing.join(' ')}` };
  verified.set(cacheKey, claims, claims.exp);
  return { ok: true, claims };
}
