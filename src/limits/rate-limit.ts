import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RateLimitRule } from '../config/resources.js';

/** The outcome of asking for one call. */
export type Admission = { ok: true; release: () => void } | { ok: false; retryAfterSeconds: number; rule: string };

/** Where window counters and concurrency slots live: this process, or Redis shared by every replica. */
export interface CounterStore {
  /** Adds one to the counter of a window and returns the new value. */
  increment(key: string, windowMs: number): Promise<number>;
  /** Takes one of `limit` concurrency slots; returns a release token, or undefined when all are taken. */
  acquire(key: string, limit: number): Promise<string | undefined>;
  /** Gives a slot back (fire and forget). */
  release(key: string, token: string): void;
}

/** A slot held by a replica that died is freed after this long (longer than any call's timeout). */
export const SLOT_LEASE_MS = 10 * 60_000;

/** Fixed-window counters in memory; old windows are dropped as time passes. */
export class MemoryCounters implements CounterStore {
  private readonly windows = new Map<string, { count: number; expires: number }>();
  private readonly inFlight = new Map<string, number>();
  private lastSweep = Date.now();

  async increment(key: string, windowMs: number): Promise<number> {
    const now = Date.now();
    if (now - this.lastSweep > 10_000) this.sweep(now);
    const w = this.windows.get(key);
    if (w && w.expires > now) return ++w.count;
    this.windows.set(key, { count: 1, expires: now + windowMs });
    return 1;
  }

  async acquire(key: string, limit: number): Promise<string | undefined> {
    const n = this.inFlight.get(key) ?? 0;
    if (n >= limit) return undefined;
    this.inFlight.set(key, n + 1);
    return '1';
  }

  release(key: string): void {
    const n = (this.inFlight.get(key) ?? 1) - 1;
    if (n <= 0) this.inFlight.delete(key);
    else this.inFlight.set(key, n);
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (w.expires <= now) this.windows.delete(k);
  }
}

/** Frees expired leases, then takes a slot when fewer than the limit are held (atomic in Redis). */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

/**
 * Fixed-window counters in Redis (INCR + PEXPIRE in one MULTI), so replicas share one limit;
 * concurrency slots are leased members of a sorted set, so a dead replica's slots expire.
 */
export class RedisCounters implements CounterStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'mcpgw:rl:',
  ) {}

  async acquire(key: string, limit: number): Promise<string | undefined> {
    const now = Date.now();
    const token = randomBytes(9).toString('base64url');
    const ok = await this.redis.eval(ACQUIRE, 1, `${this.prefix}c:${key}`, now, now + SLOT_LEASE_MS, limit, token, SLOT_LEASE_MS);
    return ok === 1 ? token : undefined;
  }

  release(key: string, token: string): void {
    this.redis.zrem(`${this.prefix}c:${key}`, token).catch(() => undefined);
  }

  async increment(key: string, windowMs: number): Promise<number> {
    const result = await this.redis.multi().incr(this.prefix + key).pexpire(this.prefix + key, windowMs, 'NX').exec();
    const incr = result?.[0];
    if (!incr || incr[0]) throw incr?.[0] ?? new Error('rate-limit counter failed');
    return Number(incr[1]);
  }
}

interface Call {
  server: string;
  consumer?: string;
  tool?: string;
}

function scopeOf(rule: RateLimitRule): string {
  const scope = [rule.consumer ? `consumer ${rule.consumer}` : '', rule.tool ? `tool ${rule.tool}` : ''].filter(Boolean).join(', ');
  return scope ? ` (${scope})` : '';
}

function describe(rule: RateLimitRule): string {
  return `${rule.requests} per ${rule.windowSeconds}s${scopeOf(rule)}`;
}

/**
 * Applies an MCP server's `rateLimits` to tools/call: each rule that matches the call (its consumer
 * and tool, when the rule names them) counts it in a fixed window; `concurrent` caps calls in flight.
 * Windows are aligned to the clock, so replicas sharing Redis count the same window.
 */
export class RateLimiter {
  constructor(private readonly counters: CounterStore) {}

  async admit(rules: readonly RateLimitRule[] | undefined, call: Call): Promise<Admission> {
    if (!rules || rules.length === 0) return { ok: true, release: () => undefined };
    const now = Date.now();
    const taken: Array<[string, string]> = [];
    const release = () => {
      for (const [key, token] of taken.splice(0)) this.counters.release(key, token);
    };
    try {
      for (let i = 0; i < rules.length; i++) {
        const rule = rules[i];
        if (rule.consumer && rule.consumer !== call.consumer) continue;
        if (rule.tool && rule.tool !== call.tool) continue;
        const subject = `${call.server}|${i}|${rule.consumer ?? '*'}|${rule.tool ?? '*'}`;
        if (rule.concurrent !== undefined) {
          const token = await this.counters.acquire(subject, rule.concurrent);
          if (token === undefined) {
            release();
            return { ok: false, retryAfterSeconds: 1, rule: `${rule.concurrent} concurrent calls${scopeOf(rule)}` };
          }
          taken.push([subject, token]);
        }
        const windowMs = rule.windowSeconds * 1000;
        const windowIndex = Math.floor(now / windowMs);
        const count = await this.counters.increment(`${subject}|${windowIndex}`, windowMs);
        if (count > rule.requests) {
          release();
          return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((windowIndex + 1) * windowMs - now) / 1000)), rule: describe(rule) };
        }
      }
    } catch (err) {
      release();
      throw err;
    }
    return { ok: true, release };
  }
}
