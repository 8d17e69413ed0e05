import type { Redis } from 'ioredis';
import type { Logger } from '../observe/logger.js';

type Handler = (message: string) => void;

/**
 * Redis pub/sub between replicas: one subscriber connection (ioredis re-subscribes after a
 * reconnect), channels named under the cluster's key prefix.
 */
export class ClusterBus {
  private readonly sub: Redis;
  private readonly handlers = new Map<string, Handler>();

  constructor(
    readonly redis: Redis,
    readonly prefix: string,
    private readonly log: Logger,
  ) {
    this.sub = redis.duplicate();
    this.sub.on('error', (err: Error) => this.log.warn({ err: err.message }, 'redis subscriber error'));
    this.sub.on('message', (channel: string, message: string) => {
      const handler = this.handlers.get(channel);
      if (!handler) return;
      try {
        handler(message);
      } catch (err) {
        this.log.warn({ err: (err as Error).message, channel }, 'cluster message handling failed');
      }
    });
  }

  channel(name: string): string {
    return `${this.prefix}${name}`;
  }

  async subscribe(name: string, handler: Handler): Promise<void> {
    const channel = this.channel(name);
    this.handlers.set(channel, handler);
    await this.sub.subscribe(channel);
  }

  /** Resolves with how many replicas received it (0: nobody listens on that channel). */
  async publish(name: string, message: string): Promise<number> {
    return this.redis.publish(this.channel(name), message);
  }

  /** How many subscribers a channel has: 0 means the replica behind it is gone. */
  async listeners(name: string): Promise<number> {
    const reply = (await this.redis.call('PUBSUB', 'NUMSUB', this.channel(name))) as [string, number | string];
    return Number(reply[1]);
  }

  /** True while both connections are up. */
  get connected(): boolean {
    return this.redis.status === 'ready' && this.sub.status === 'ready';
  }

  close(): void {
    this.handlers.clear();
    this.sub.disconnect();
  }
}
