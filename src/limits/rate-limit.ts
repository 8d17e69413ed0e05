import type { Redis } from 'ioredis';
import type { RateLimitRule } from '../config/resources.js';

/** The outcome of asking for one call. */
export type Admission = { ok: true; release: () => void } | { ok: false; retryAfterSeconds: number; rule: string };

/** Where window counters live: this process, or Redis shared by every replica. */
export interface CounterStore {
  /** Adds one to the counter of a window and returns the new value. */
  increment(key: string, windowMs: number): Promise<number>;
}

/** Fixed-window counters in memory; old windows are dropped as time passes. */
export class MemoryCounters implements CounterStore {
  private readonly windows = new Map<string, { count: number; expires: number }>();
  private lastSweep = Date.now();

  async increment(key: string, windowMs: number): Promise<number> {
    const now = Date.now();
    if (now - this.lastSweep > 10_000) this.sweep(now);
    const w = this.windows.get(key);
    if (w && w.expires > now) return ++w.count;
    this.windows.set(key, { count: 1, expires: now + windowMs });
    return 1;
  }

  private sweep(now: number): void {
    this.lastSweep = now;
    for (const [k, w] of this.windows) if (w.expires <= now) this.windows.delete(k);
  }
}

/** Fixed-window counters in Redis (INCR + PEXPIRE in one MULTI), so replicas share one limit. */
export class RedisCounters implements CounterStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'mcpgw:rl:',
  ) {}

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

function describe(rule: RateLimitRule): string {
  const scope = [rule.consumer ? `consumer ${rule.consumer}` : '', rule.tool ? `tool ${rule.tool}` : ''].filter(Boolean).join(', ');
  return `${rule.requests} per ${rule.windowSeconds}s${scope ? ` (${scope})` : ''}`;
}

/**
 * Applies an MCP server's `rateLimits` to tools/call: each rule that matches the call (its consumer
 * and tool, when the rule names them) counts it in a fixed window; `concurrent` caps calls in flight.
 * Windows are aligned to the clock, so replicas sharing Redis count the same window.
 */
export class RateLimiter {
  private readonly inFlight = new Map<string, number>();

  constructor(private readonly counters: CounterStore) {}

  async admit(rules: readonly RateLimitRule[] | undefined, call: Call): Promise<Admission> {
    if (!rules || rules.length === 0) return { ok: true, release: () => undefined };
    const now = Date.now();
    const taken: string[] = [];
    const release = () => {
      for (const k of taken.splice(0)) {
        const n = (this.inFlight.get(k) ?? 1) - 1;
        if (n <= 0) this.inFlight.delete(k);
        else this.inFlight.set(k, n);
      }
    };
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule.consumer && rule.consumer !== call.consumer) continue;
      if (rule.tool && rule.tool !== call.tool) continue;
      const subject = `${call.server}|${i}|${rule.consumer ?? '*'}|${rule.tool ?? '*'}`;
      if (rule.concurrent !== undefined) {
        const n = this.inFlight.get(subject) ?? 0;
        if (n >= rule.concurrent) {
          release();
          return { ok: false, retryAfterSeconds: 1, rule: `${rule.concurrent} concurrent calls` };
        }
        this.inFlight.set(subject, n + 1);
        taken.push(subject);
      }
      const windowMs = rule.windowSeconds * 1000;
      const windowIndex = Math.floor(now / windowMs);
      const count = await this.counters.increment(`${subject}|${windowIndex}`, windowMs);
      if (count > rule.requests) {
        release();
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((windowIndex + 1) * windowMs - now) / 1000)), rule: describe(rule) };
      }
    }
    return { ok: true, release };
  }
}
