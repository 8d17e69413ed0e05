import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { RateLimitRule } from '../config/resources.js';

/** The outcome of asking for one call. */
export type Admission = { ok: true; release: () => void } | { ok: false; retryAfterSeconds: number; rule: string; scope: LimitScope };

/** What a refusing rule applies to (a bounded metric label). */
export type LimitScope = 'server' | 'consumer' | 'tool' | 'consumer_tool';

/** Where token buckets and concurrency slots live: this process, or Redis shared by every replica. */
export interface CounterStore {
  /**
   * Takes one token from a bucket holding at most `capacity`, refilled at `capacity` per `windowMs`;
   * returns 0 when taken, else the milliseconds until a token is back.
   */
  take(key: string, capacity: number, windowMs: number): Promise<number>;
  /** Takes one of `limit` concurrency slots; returns a release token, or undefined when all are taken. */
  acquire(key: string, limit: number): Promise<string | undefined>;
  /** Gives a slot back (fire and forget). */
  release(key: string, token: string): void;
}

/** A slot held by a replica that died is freed after this long (longer than any call's timeout). */
export const SLOT_LEASE_MS = 10 * 60_000;

/** Tokens in a bucket after refilling from `at` to `now`, capped at the capacity. */
function refilled(tokens: number, at: number, now: number, capacity: number, windowMs: number): number {
  return Math.min(capacity, tokens + (Math.max(0, now - at) * capacity) / windowMs);
}

/** Token buckets in memory; buckets that have refilled completely are dropped as time passes. */
export class MemoryCounters implements CounterStore {
  private readonly buckets = new Map<string, { tokens: number; at: number; full: number }>();
  private readonly inFlight = new Map<string, number>();
  private lastSweep = Date.now();

  async take(key: string, capacity: number, windowMs: number): Promise<number> {
    const now = Date.now();
    if (now - this.lastSweep > 10_000) this.sweep(now);
    const b = this.buckets.get(key);
    const tokens = b ? refilled(b.tokens, b.at, now, capacity, windowMs) : capacity;
    if (tokens < 1) {
      if (b) Object.assign(b, { tokens, at: now });
      return Math.ceil(((1 - tokens) * windowMs) / capacity);
    }
    // A bucket absent after `full` is the same as a full one, so it can be swept then.
    const left = tokens - 1;
    this.buckets.set(key, { tokens: left, at: now, full: now + ((capacity - left) * windowMs) / capacity });
    return 0;
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
    for (const [k, b] of this.buckets) if (b.full <= now) this.buckets.delete(k);
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
 * Refills a bucket (hash of tokens and time, on the Redis clock so replicas agree) and takes a token;
 * returns 0, or the ms until a token. The key expires once the bucket would be full again.
 */
const TAKE = `
local capacity = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local b = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = capacity
if b[1] then tokens = math.min(capacity, tonumber(b[1]) + math.max(0, now - tonumber(b[2])) * capacity / window) end
local wait = 0
if tokens < 1 then wait = math.ceil((1 - tokens) * window / capacity) else tokens = tokens - 1 end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', now)
redis.call('PEXPIRE', KEYS[1], math.ceil((capacity - tokens) * window / capacity) + 1)
return wait`;

/**
 * Token buckets in Redis (one Lua script per take), so replicas share one limit;
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

  async take(key: string, capacity: number, windowMs: number): Promise<number> {
    return Number(await this.redis.eval(TAKE, 1, `${this.prefix}b:${key}`, capacity, windowMs));
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

function limitScope(rule: RateLimitRule): LimitScope {
  if (rule.consumer) return rule.tool ? 'consumer_tool' : 'consumer';
  return rule.tool ? 'tool' : 'server';
}

function describe(rule: RateLimitRule): string {
  return `${rule.requests} per ${rule.windowSeconds}s${scopeOf(rule)}`;
}

/**
 * Applies an MCP server's `rateLimits` to tools/call: each rule that matches the call (its consumer
 * and tool, when the rule names them) takes a token from its bucket (`requests` tokens, refilled at
 * `requests` per `windowSeconds`); `concurrent` caps calls in flight.
 */
export class RateLimiter {
  constructor(private readonly counters: CounterStore) {}

  async admit(rules: readonly RateLimitRule[] | undefined, call: Call): Promise<Admission> {
    if (!rules || rules.length === 0) return { ok: true, release: () => undefined };
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
            return { ok: false, retryAfterSeconds: 1, rule: `${rule.concurrent} concurrent calls${scopeOf(rule)}`, scope: limitScope(rule) };
          }
          taken.push([subject, token]);
        }
        // The size is in the key so a changed rule starts from a full bucket of its own.
        const waitMs = await this.counters.take(`${subject}|${rule.requests}/${rule.windowSeconds}`, rule.requests, rule.windowSeconds * 1000);
        if (waitMs > 0) {
          release();
          return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)), rule: describe(rule), scope: limitScope(rule) };
        }
      }
    } catch (err) {
      release();
      throw err;
    }
    return { ok: true, release };
  }
}
