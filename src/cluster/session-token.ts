import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { SessionClaims } from '../protocol/session.js';
import { isSupportedVersion } from '../protocol/versions.js';

/** Every cluster session id starts with this; the version names the format. */
const PREFIX = 'c1.';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Binds ciphertexts to this use, so no other AES-GCM value made with the key passes as an id. */
const AAD = Buffer.from('mcp-gateway session id v1');
/** Longest id accepted for opening (a sealed id is a few hundred characters). */
const MAX_ID_LENGTH = 2048;

/** The claims in their compact wire form (short keys keep the header small). */
interface Wire {
  s: string;
  t: 'h' | 's';
  v: string;
  c?: string;
  o: string;
  i: number;
  k?: string;
  u?: string;
  e?: string;
  p?: 1;
}

/**
 * Session ids as sealed claims: AES-256-GCM over the claims, so any replica with the cluster key
 * can continue a session and nobody without it can read or forge one.
 */
export class SessionTokens {
  constructor(private readonly key: Buffer) {
    if (key.length !== 32) throw new Error('a session token key must be 32 bytes');
  }

  seal(claims: SessionClaims): string {
    const wire: Wire = { s: claims.server, t: claims.transport === 'sse' ? 's' : 'h', v: claims.protocolVersion, o: claims.owner, i: claims.issuedAt };
    if (claims.consumer !== undefined) wire.c = claims.consumer;
    if (claims.kind !== undefined) wire.k = claims.kind;
    if (claims.upstreamId !== undefined) wire.u = claims.upstreamId;
    if (claims.endpoint !== undefined) wire.e = claims.endpoint;
    if (claims.ownerOnly) wire.p = 1;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(AAD);
    const body = Buffer.concat([cipher.update(JSON.stringify(wire), 'utf8'), cipher.final()]);
    return PREFIX + Buffer.concat([iv, body, cipher.getAuthTag()]).toString('base64url');
  }

  /** The claims of an id sealed with this key; undefined for anything else (tampered, foreign, garbage). */
  open(id: string): SessionClaims | undefined {
    if (!id.startsWith(PREFIX) || id.length > MAX_ID_LENGTH) return undefined;
    const raw = Buffer.from(id.slice(PREFIX.length), 'base64url');
    if (raw.length < IV_BYTES + TAG_BYTES + 2) return undefined;
    let wire: Wire;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
      decipher.setAAD(AAD);
      decipher.setAuthTag(raw.subarray(raw.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(raw.subarray(IV_BYTES, raw.length - TAG_BYTES)), decipher.final()]);
      wire = JSON.parse(plain.toString('utf8')) as Wire;
    } catch {
      return undefined;
    }
    if (typeof wire.s !== 'string' || typeof wire.o !== 'string' || typeof wire.i !== 'number' || typeof wire.v !== 'string' || !isSupportedVersion(wire.v)) return undefined;
    return {
      server: wire.s,
      transport: wire.t === 's' ? 'sse' : 'streamable-http',
      protocolVersion: wire.v,
      consumer: wire.c,
      owner: wire.o,
      issuedAt: wire.i,
      kind: wire.k,
      upstreamId: wire.u,
      endpoint: wire.e,
      ownerOnly: wire.p === 1 ? true : undefined,
    };
  }
}
