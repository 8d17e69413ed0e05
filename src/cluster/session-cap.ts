import type { Redis } from 'ioredis';

/** How often the cluster-wide count is re-read from Redis. */
const REFRESH_MS = 1000;

/**
 * The cluster-wide session cap: a Redis sorted set of session digests scored by last use, so
 * sessions a client abandoned fall out after the idle TTL. create() stays synchronous: it checks
 * the count read at most a second ago plus the sessions this replica opened since.
 */
export class SessionCap {
  private count = 0;
  private openedSinceRefresh = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly redis: Redis,
    private readonly key: string,
    readonly max: number,
    private readonly idleMs: number,
  ) {
    this.timer = setInterval(() => void this.refresh(), REFRESH_MS);
    this.timer.unref();
  }

  async refresh(): Promise<void> {
    try {
      const result = await this.redis.multi().zremrangebyscore(this.key, '-inf', Date.now() - this.idleMs).zcard(this.key).exec();
      const card = result?.[1];
      if (card && !card[0]) {
        this.count = Number(card[1]);
        this.openedSinceRefresh = 0;
      }
    } catch {
      // Redis unavailable: the last count stands until it is back
    }
  }

  /** The refusal when the cluster holds its maximum, else undefined. */
  full(): string | undefined {
    if (this.count + this.openedSinceRefresh < this.max) return undefined;
    return `the cluster holds its maximum of ${this.max} sessions`;
  }

  opened(digest: string): void {
    this.openedSinceRefresh++;
    this.redis.zadd(this.key, Date.now(), digest).catch(() => undefined);
  }

  seen(digest: string): void {
    this.redis.zadd(this.key, Date.now(), digest).catch(() => undefined);
  }

  closed(digest: string): void {
    this.redis.zrem(this.key, digest).catch(() => undefined);
  }

  close(): void {
    clearInterval(this.timer);
  }
}
