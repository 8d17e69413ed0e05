import { createHash } from 'node:crypto';
import type { SessionClaims, SessionDirectory } from '../protocol/session.js';
import type { ClusterBus } from './bus.js';
import type { SessionTokens } from './session-token.js';
import type { SessionCap } from './session-cap.js';

/** How long Redis may take to say whether a session was ended before this replica decides alone. */
const TOMBSTONE_CHECK_MS = 500;
/** Clock skew tolerated between replicas for an id's issue time. */
const SKEW_MS = 60_000;
const ENDED_CHANNEL = 'session-ended';

function digest(id: string): string {
  return createHash('sha256').update(id).digest('base64url').slice(0, 22);
}

function within<T>(p: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timed out')), ms);
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (err) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
}

/**
 * Cluster session ids: issued as sealed claims; an ended session leaves a tombstone in Redis (kept
 * as long as an id can be resumed) and a message that makes every replica drop its copy.
 */
export class ClusterDirectory implements SessionDirectory {
  /** Tombstones this replica knows of (digest -> expiry), used when Redis cannot be asked. */
  private readonly tombstones = new Map<string, number>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    readonly instanceId: string,
    private readonly tokens: SessionTokens,
    private readonly bus: ClusterBus,
    /** Longest time after issue that an id can be continued on another replica. */
    private readonly maxAgeMs: number,
    /** The cluster-wide session cap, when one is set. */
    private readonly cap?: SessionCap,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  /** Listens for sessions ended on other replicas; `drop` lets go of the local copy. */
  async start(drop: (id: string) => void): Promise<void> {
    await this.bus.subscribe(ENDED_CHANNEL, (message) => {
      const { id, from } = JSON.parse(message) as { id: string; from: string };
      if (from === this.instanceId || typeof id !== 'string') return;
      this.tombstones.set(digest(id), Date.now() + this.maxAgeMs);
      drop(id);
    });
  }

  issue(claims: SessionClaims): string {
    return this.tokens.seal(claims);
  }

  /** Claims of a live session; an id that is ended, too old, from the future or not ours gives undefined. */
  async recover(id: string): Promise<SessionClaims | undefined> {
    const claims = this.tokens.open(id);
    if (!claims) return undefined;
    const now = Date.now();
    if (now - claims.issuedAt > this.maxAgeMs || claims.issuedAt > now + SKEW_MS) return undefined;
    const key = digest(id);
    if (this.tombstones.has(key)) return undefined;
    try {
      if ((await within(this.bus.redis.exists(this.bus.channel(`ended:${key}`)), TOMBSTONE_CHECK_MS)) > 0) {
        this.tombstones.set(key, now + this.maxAgeMs);
        return undefined;
      }
    } catch {
      // Redis unavailable: sessions stay usable; the tombstones this replica heard of still apply.
    }
    return claims;
  }

  full(): string | undefined {
    return this.cap?.full();
  }

  counted(id: string, event: 'opened' | 'seen' | 'closed'): void {
    if (!this.cap) return;
    const key = digest(id);
    if (event === 'opened') this.cap.opened(key);
    else if (event === 'seen') this.cap.seen(key);
    else this.cap.closed(key);
  }

  ended(id: string): void {
    const key = digest(id);
    this.tombstones.set(key, Date.now() + this.maxAgeMs);
    const redis = this.bus.redis;
    redis.set(this.bus.channel(`ended:${key}`), '1', 'PX', this.maxAgeMs).catch(() => undefined);
    this.bus.publish(ENDED_CHANNEL, JSON.stringify({ id, from: this.instanceId })).catch(() => undefined);
  }

  private sweep(): void {
    const now = Date.now();
    for (const [key, expiry] of this.tombstones) if (expiry < now) this.tombstones.delete(key);
  }

  close(): void {
    clearInterval(this.sweeper);
    this.cap?.close();
  }
}
