import { Agent, Pool, type Dispatcher } from 'undici';
import { guardedLookup } from './address-policy.js';

export interface EndpointSpec {
  address: string;
  weight: number;
}

/** Keep-alive and connection settings shared by every upstream dispatcher. */
const POOL_OPTIONS = {
  connections: 256,
  pipelining: 1,
  keepAliveTimeout: 30_000,
  keepAliveMaxTimeout: 600_000,
  headersTimeout: 0,
  bodyTimeout: 0,
};

/** A service's endpoints with one undici Pool each, picked by smooth weighted round robin. */
export class ServiceEndpoints {
  private readonly pools: Array<{ origin: string; pool: Pool; weight: number; current: number }>;

  constructor(
    readonly service: string,
    scheme: 'http' | 'https',
    endpoints: EndpointSpec[],
    tls: { insecureSkipVerify?: boolean; serverName?: string } = {},
  ) {
    this.pools = endpoints.map((e) => {
      const origin = `${scheme}://${e.address}`;
      const connect = scheme === 'https' ? { rejectUnauthorized: !tls.insecureSkipVerify, servername: tls.serverName } : undefined;
      return { origin, pool: new Pool(origin, { ...POOL_OPTIONS, connect }), weight: Math.max(0, e.weight), current: 0 };
    });
  }

  get size(): number {
    return this.pools.length;
  }

  /** Picks the next endpoint (smooth weighted round robin; equal weights give plain round robin). */
  pick(): { origin: string; dispatcher: Dispatcher } | undefined {
    if (this.pools.length === 1) return { origin: this.pools[0].origin, dispatcher: this.pools[0].pool };
    let total = 0;
    let best: (typeof this.pools)[number] | undefined;
    for (const p of this.pools) {
      if (p.weight === 0) continue;
      p.current += p.weight;
      total += p.weight;
      if (!best || p.current > best.current) best = p;
    }
    if (!best) return undefined;
    best.current -= total;
    return { origin: best.origin, dispatcher: best.pool };
  }

  async close(): Promise<void> {
    await Promise.all(this.pools.map((p) => p.pool.close().catch(() => undefined)));
  }
}

/** Dispatchers for absolute tool URLs: one that refuses private addresses, one that allows them. */
export class ExternalAgents {
  readonly guarded: Agent = new Agent({ ...POOL_OPTIONS, connections: 64, connect: { lookup: guardedLookup(false) } });
  readonly open: Agent = new Agent({ ...POOL_OPTIONS, connections: 64, connect: { lookup: guardedLookup(true) } });

  async close(): Promise<void> {
    await Promise.all([this.guarded.close(), this.open.close()].map((p) => p.catch(() => undefined)));
  }
}
