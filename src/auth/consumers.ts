import { createHash } from 'node:crypto';
import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { ConsumerSpec } from '../config/resources.js';

/** Where a consumer credential was found on the request. */
export type CredentialSource = 'authorization' | 'x-api-key' | 'query';

export interface PresentedCredential {
  value: string;
  source: CredentialSource;
}

interface JwtRule {
  consumer: string;
  issuer: string;
  audience?: string;
  /** Claim that must equal `subject` when set (default claim: sub). */
  claim: string;
  subject?: string;
  key: Uint8Array | JWTVerifyGetKey;
  algorithms: string[];
}

export type IdentifyResult = { consumer: string } | { error: string };

const CLOCK_SKEW_SECONDS = 30;

function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('base64url');
}

/** JWKS fetchers are cached across snapshots so keys are not refetched on every change. */
const jwksCache = new Map<string, JWTVerifyGetKey>();

export function jwksFor(url: string): JWTVerifyGetKey {
  let set = jwksCache.get(url);
  if (!set) {
    set = createRemoteJWKSet(new URL(url), { cooldownDuration: 30_000, cacheMaxAge: 600_000, timeoutDuration: 5_000 });
    if (jwksCache.size > 256) jwksCache.clear();
    jwksCache.set(url, set);
  }
  return set;
}

/**
 * Consumers compiled for lookup on the request path: key-auth keys by hash, JWT rules by issuer.
 * Built once per snapshot.
 */
/**
 * Verified tokens, kept until they expire (at most a minute) so a client that sends the same token
 * on every request pays for one signature check, not one per request. Bounded; cleared when full.
 */
export class VerifiedTokenCache<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();

  constructor(
    private readonly maxEntries = 10_000,
    private readonly maxAgeMs = 60_000,
  ) {}

  get(token: string): T | undefined {
    const e = this.entries.get(token);
    if (!e) return undefined;
    if (e.until <= Date.now()) {
      this.entries.delete(token);
      return undefined;
    }
    return e.value;
  }

  set(token: string, value: T, expSeconds: number | undefined): void {
    if (this.entries.size >= this.maxEntries) this.entries.clear();
    const until = Math.min(Date.now() + this.maxAgeMs, expSeconds ? expSeconds * 1000 : Infinity);
    this.entries.set(token, { value, until });
  }
}

export class ConsumerDirectory {
  private readonly verified = new VerifiedTokenCache<string>();
  private readonly byKeyHash = new Map<string, string>();
  private readonly jwtByIssuer = new Map<string, JwtRule[]>();

  constructor(consumers: Iterable<ConsumerSpec>) {
    for (const c of consumers) {
      for (const cred of c.credentials ?? []) {
        if (cred.type === 'key-auth' && cred.key) this.byKeyHash.set(keyHash(cred.key), c.name);
        if (cred.type === 'jwt' && cred.issuer && (cred.secret || cred.jwksUrl)) {
          const rule: JwtRule = {
            consumer: c.name,
            issuer: cred.issuer,
            audience: cred.audience,
            claim: cred.claim ?? 'sub',
            subject: cred.subject,
            // A secret means HS256 only; a JWKS means asymmetric algorithms only (no HS/RS confusion).
            key: cred.secret ? new TextEncoder().encode(cred.secret) : jwksFor(cred.jwksUrl!),
            algorithms: cred.secret ? ['HS256', 'HS384', 'HS512'] : ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'],
          };
          const list = this.jwtByIssuer.get(cred.issuer) ?? [];
          list.push(rule);
          this.jwtByIssuer.set(cred.issuer, list);
        }
      }
    }
  }

  get hasJwt(): boolean {
    return this.jwtByIssuer.size > 0;
  }

  /** The configured JWT consumer whose issuer (and subject rule) verified claims match, if any. */
  consumerForClaims(claims: JWTPayload): string | undefined {
    const rules = typeof claims.iss === 'string' ? this.jwtByIssuer.get(claims.iss) : undefined;
    for (const rule of rules ?? []) {
      if (rule.subject === undefined || String(claims[rule.claim]) === rule.subject) return rule.consumer;
    }
    return undefined;
  }

  /** Finds the consumer a credential belongs to. */
  async identify(credential: string): Promise<IdentifyResult> {
    const byKey = this.byKeyHash.get(keyHash(credential));
    if (byKey) return { consumer: byKey };
    if (!/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(credential)) return { error: 'unknown credential' };
    const known = this.verified.get(credential);
    if (known) return { consumer: known };
    let issuer: string | undefined;
    try {
      decodeProtectedHeader(credential);
      const payload = JSON.parse(Buffer.from(credential.split('.')[1], 'base64url').toString('utf8')) as JWTPayload;
      issuer = typeof payload.iss === 'string' ? payload.iss : undefined;
    } catch {
      return { error: 'malformed token' };
    }
    const rules = issuer ? this.jwtByIssuer.get(issuer) : undefined;
    if (!rules) return { error: 'token from an unknown issuer' };
    let lastError = 'invalid token';
    for (const rule of rules) {
      try {
        const { payload } = await jwtVerify(credential, rule.key as Parameters<typeof jwtVerify>[1], {
          issuer: rule.issuer,
          audience: rule.audience,
          algorithms: rule.algorithms,
          clockTolerance: CLOCK_SKEW_SECONDS,
          requiredClaims: ['exp'],
        });
        if (rule.subject !== undefined && String(payload[rule.claim]) !== rule.subject) {
          lastError = `token claim ${rule.claim} does not match`;
          continue;
        }
        this.verified.set(credential, rule.consumer, payload.exp);
        return { consumer: rule.consumer };
      } catch (err) {
        lastError = `invalid token: ${(err as Error).message}`;
      }
    }
    return { error: lastError };
  }
}

/** Where consumer keys are read from besides Authorization: Bearer (configurable, as Higress key-auth's in_header/in_query). */
export interface KeyLocations {
  header: string;
  query: string;
}

export const DEFAULT_KEY_LOCATIONS: KeyLocations = { header: 'x-api-key', query: 'api_key' };

/** Reads the consumer credential from Authorization: Bearer, the key header, or the key query parameter. */
export function presentedCredential(headers: Record<string, string | string[] | undefined>, query: URLSearchParams, where: KeyLocations = DEFAULT_KEY_LOCATIONS): PresentedCredential | undefined {
  const auth = headers.authorization;
  const a = Array.isArray(auth) ? auth[0] : auth;
  if (a && /^bearer\s+/i.test(a)) return { value: a.replace(/^bearer\s+/i, '').trim(), source: 'authorization' };
  const k = headers[where.header];
  const key = Array.isArray(k) ? k[0] : k;
  if (key) return { value: key.trim(), source: 'x-api-key' };
  const q = query.get(where.query);
  if (q) return { value: q, source: 'query' };
  return undefined;
}
