import type { Redis } from 'ioredis';
import type { Logger } from '../observe/logger.js';
import type { SessionRegistry } from '../protocol/session.js';
import { ClusterBus } from './bus.js';
import { ClusterDirectory } from './directory.js';
import { OwnerRelay } from './relay.js';
import { SessionTokens } from './session-token.js';
import { SessionCap } from './session-cap.js';

export { RELAYED_HEADER } from './relay.js';

/** Longest time after issue that a session id can be continued on another replica. */
export const SESSION_RESUME_MAX_AGE_MS = 24 * 60 * 60 * 1000;

export interface ClusterOptions {
  redis: Redis;
  /** Key and channel prefix in Redis, so several gateways (or test runs) can share one server. */
  prefix: string;
  instanceId: string;
  /** 32 bytes every replica derives alike (from MCPGW_SECRET_KEY). */
  key: Buffer;
  sessions: SessionRegistry;
  /** Most sessions open across all replicas (0: no cluster-wide cap), and the idle time after which one stops counting. */
  maxSessions: number;
  sessionTtlMs: number;
  selfUrl: () => string | undefined;
  log: Logger;
}

/**
 * Cluster mode (MCPGW_REDIS_URL): session ids any replica can continue, sessions ended
 * everywhere at once, and requests for streams held by one replica relayed to it.
 */
export class Cluster {
  readonly bus: ClusterBus;
  readonly directory: ClusterDirectory;
  readonly relay: OwnerRelay;
  private readonly cap?: SessionCap;

  constructor(private readonly opts: ClusterOptions) {
    const tokens = new SessionTokens(opts.key);
    this.bus = new ClusterBus(opts.redis, opts.prefix, opts.log);
    this.cap = opts.maxSessions > 0 ? new SessionCap(opts.redis, `${opts.prefix}sessions`, opts.maxSessions, opts.sessionTtlMs) : undefined;
    this.directory = new ClusterDirectory(opts.instanceId, tokens, this.bus, SESSION_RESUME_MAX_AGE_MS, this.cap);
    this.relay = new OwnerRelay(opts.instanceId, tokens, this.bus, opts.selfUrl, opts.log);
  }

  /** Subscribes; with Redis down it does not wait (ioredis subscribes once it connects). */
  async start(): Promise<void> {
    const subscribed = Promise.all([this.directory.start((id) => this.opts.sessions.end(id, 'dropped')), this.relay.start()]);
    subscribed.catch((err: Error) => this.opts.log.warn({ err: err.message }, 'cluster subscription failed'));
    await Promise.race([subscribed.catch(() => undefined), new Promise((r) => setTimeout(r, 2000).unref())]);
    await this.cap?.refresh();
    this.opts.sessions.useDirectory(this.directory);
  }

  get connected(): boolean {
    return this.bus.connected;
  }

  close(): void {
    this.relay.close();
    this.directory.close();
    this.bus.close();
  }
}
