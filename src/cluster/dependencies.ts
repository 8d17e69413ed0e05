import type { Redis } from 'ioredis';
import type { Store } from '../store/types.js';

/** How often the store is probed, and how long a probe may take before it counts as a failure. */
const PROBE_INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 1000;

/**
 * Whether the services replicas share can be reached: the store (a cheap revision read) and Redis
 * (its connection state). The data plane keeps serving its snapshot either way; readiness says so.
 */
export class DependencyProbe {
  private storeOk = true;
  private readonly timer: NodeJS.Timeout;
  private probing = false;

  constructor(
    private readonly store: Store,
    private readonly redis: Redis | undefined,
  ) {
    this.timer = setInterval(() => void this.probe(), PROBE_INTERVAL_MS);
    this.timer.unref();
  }

  private async probe(): Promise<void> {
    if (this.probing) return;
    this.probing = true;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([this.store.revision(), new Promise((_, reject) => (timer = setTimeout(() => reject(new Error('timeout')), PROBE_TIMEOUT_MS)))]);
      this.storeOk = true;
    } catch {
      this.storeOk = false;
    } finally {
      clearTimeout(timer);
      this.probing = false;
    }
  }

  status(): { ok: boolean; checks: Record<string, string> } {
    const checks: Record<string, string> = { store: this.storeOk ? 'ok' : 'unavailable' };
    let ok = this.storeOk;
    if (this.redis) {
      const redisOk = this.redis.status === 'ready';
      checks.redis = redisOk ? 'ok' : 'unavailable';
      ok &&= redisOk;
    }
    return { ok, checks };
  }

  close(): void {
    clearInterval(this.timer);
  }
}
