import { Agent, Dispatcher, Pool } from 'undici';
import { guardedLookup } from './address-policy.js';

export interface EndpointSpec {
  address: string;
  weight: number;
}

/** How a service spreads requests over its endpoints. */
export type BalancePolicy = 'round-robin' | 'weighted' | 'least-request';

/** Passive health and retry tuning of a service's endpoints. */
export interface BalanceOptions {
  policy?: BalancePolicy;
  /** Consecutive failures (connect errors, 502/503/504) that eject an endpoint. */
  ejectAfter?: number;
  /** First ejection time; doubled on each repeated ejection up to ejectMaxMs. */
  ejectBaseMs?: number;
  ejectMaxMs?: number;
  /** Most other endpoints a request is re-sent to after a retriable failure. */
  maxRetries?: number;
  /** Active checks: GET `path` on every endpoint each interval; 2xx/3xx counts as healthy. */
  healthCheck?: { path: string; intervalMs?: number; timeoutMs?: number; unhealthyThreshold?: number; healthyThreshold?: number };
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

/**
 * Dispatch option a caller sets to say the request may be re-sent to another endpoint after it
 * failed without a response (e.g. an MCP `tools/list`, or a `tools/call` of a server that opted in).
 * Connect failures are always retried: the request never left the gateway.
 */
export const RETRY_SAFE = 'retrySafe';

/** Errors raised before a request reached the backend: always safe to send elsewhere. */
const CONNECT_ERRORS = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL']);
/** Errors after the request may have reached the backend; retried only when the caller marked it safe. */
const RESET_ERRORS = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED']);

function errorCode(err: unknown): string | undefined {
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  return e?.code ?? e?.cause?.code;
}

function replayable(body: unknown): boolean {
  return body === undefined || body === null || typeof body === 'string' || body instanceof Uint8Array;
}

/** One backend address: its undici Pool plus the balancer's and the health checker's state. */
class Endpoint extends Dispatcher {
  readonly pool: Pool;
  weight: number;
  /** Smooth weighted round robin accumulator. */
  current = 0;
  inflight = 0;
  failures = 0;
  ejections = 0;
  ejectedUntil = 0;
  removed = false;
  /** Set by active health checks. */
  down = false;
  checkFails = 0;
  checkOks = 0;

  constructor(
    readonly owner: ServiceEndpoints,
    readonly address: string,
    readonly origin: string,
    weight: number,
    connect: Record<string, unknown> | undefined,
  ) {
    super();
    this.weight = weight;
    this.pool = new Pool(origin, { ...POOL_OPTIONS, connect });
  }

  available(now: number): boolean {
    return this.weight > 0 && now >= this.ejectedUntil && !this.down;
  }

  override dispatch(opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    return this.owner.send(this, opts, handler, new Set([this]));
  }

  override close(): Promise<void>;
  override close(callback: () => void): void;
  override close(callback?: () => void): Promise<void> | void {
    const p = this.pool.close();
    if (callback) void p.then(callback, callback);
    else return p;
  }

  override destroy(): Promise<void>;
  override destroy(err: Error | null): Promise<void>;
  override destroy(callback: () => void): void;
  override destroy(err: Error | null, callback: () => void): void;
  override destroy(a?: unknown, b?: unknown): Promise<void> | void {
    const err = a instanceof Error ? a : null;
    const cb = typeof a === 'function' ? a : typeof b === 'function' ? b : undefined;
    const p = this.pool.destroy(err);
    if (cb) void p.then(cb as () => void, cb as () => void);
    else return p;
  }
}

/** The handler interface `Dispatcher.request()` passes to dispatch (undici's callback style). */
interface LegacyHandler {
  onConnect?(abort: (err?: Error) => void, context?: unknown): void;
  onHeaders?(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean;
  onUpgrade?(status: number, rawHeaders: Buffer[], socket: unknown): void;
  onData?(chunk: Buffer): boolean;
  onComplete?(trailers: unknown): void;
  onError?(err: Error): void;
  onBodySent?(chunk: unknown): void;
  onResponseStarted?(): void;
  onRequestSent?(): void;
}

/** Tracks one attempt: in-flight count, health outcome, and re-sending after a failure without response. */
class Attempt implements LegacyHandler {
  private responded = false;
  private finished = false;

  constructor(
    private readonly inner: LegacyHandler,
    private readonly ep: Endpoint,
    private readonly opts: Dispatcher.DispatchOptions,
    private readonly tried: Set<Endpoint>,
  ) {
    ep.inflight++;
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.ep.inflight--;
  }

  onConnect(abort: (err?: Error) => void, context?: unknown): void {
    this.inner.onConnect?.(abort, context);
  }

  onResponseStarted(): void {
    this.inner.onResponseStarted?.();
  }

  onRequestSent(): void {
    this.inner.onRequestSent?.();
  }

  onBodySent(chunk: unknown): void {
    this.inner.onBodySent?.(chunk);
  }

  onUpgrade(status: number, rawHeaders: Buffer[], socket: unknown): void {
    this.responded = true;
    this.ep.owner.report(this.ep, true);
    this.finish();
    this.inner.onUpgrade?.(status, rawHeaders, socket);
  }

  onHeaders(status: number, rawHeaders: Buffer[], resume: () => void, statusText: string): boolean {
    // 1xx interim answers are not the response.
    if (status >= 200) {
      this.responded = true;
      this.ep.owner.report(this.ep, status < 502 || status > 504);
    }
    return this.inner.onHeaders ? this.inner.onHeaders(status, rawHeaders, resume, statusText) : true;
  }

  onData(chunk: Buffer): boolean {
    return this.inner.onData ? this.inner.onData(chunk) : true;
  }

  onComplete(trailers: unknown): void {
    this.finish();
    this.inner.onComplete?.(trailers);
  }

  onError(err: Error): void {
    this.finish();
    if (!this.responded) {
      const code = errorCode(err);
      const connectFailure = code !== undefined && CONNECT_ERRORS.has(code);
      if (connectFailure) this.ep.owner.report(this.ep, false);
      const safe = connectFailure || (code !== undefined && RESET_ERRORS.has(code) && (this.opts as unknown as Record<string, unknown>)[RETRY_SAFE] === true);
      if (safe && replayable(this.opts.body) && this.ep.owner.retryAllowed(this.tried)) {
        const next = this.ep.owner.pickExcluding(this.tried);
        if (next) {
          this.tried.add(next);
          // The failed attempt never produced a response; the caller's handler sees only the retry.
          this.ep.owner.send(next, { ...this.opts, origin: next.origin }, this.inner as Dispatcher.DispatchHandler, this.tried);
          return;
        }
      }
    }
    if (this.inner.onError) this.inner.onError(err);
    else throw err;
  }
}

/**
 * A service's endpoints, one undici Pool each. Picks by round robin, smooth weighted round robin or
 * least outstanding requests; ejects an endpoint after consecutive failures and lets it back after
 * an exponential back-off; re-sends requests that failed before reaching a backend. The endpoint
 * list can be replaced in place (`update`) by service discovery, keeping pools of unchanged addresses.
 */
export class ServiceEndpoints {
  private endpoints: Endpoint[] = [];
  private readonly byAddress = new Map<string, Endpoint>();
  private rr = 0;
  readonly policy: BalancePolicy;
  private readonly ejectAfter: number;
  private readonly ejectBaseMs: number;
  private readonly ejectMaxMs: number;
  private readonly maxRetries: number;
  private readonly connect: Record<string, unknown> | undefined;
  private checkTimer?: NodeJS.Timeout;
  /** HTTP-to-MCP calls in flight to this service, against MCPGW_MAX_UPSTREAM_CONCURRENCY. */
  callsInFlight = 0;

  constructor(
    readonly service: string,
    private readonly scheme: 'http' | 'https',
    endpoints: EndpointSpec[],
    tls: { insecureSkipVerify?: boolean; serverName?: string } = {},
    options: BalanceOptions = {},
  ) {
    this.policy = options.policy ?? 'weighted';
    this.ejectAfter = options.ejectAfter ?? 3;
    this.ejectBaseMs = options.ejectBaseMs ?? 5_000;
    this.ejectMaxMs = options.ejectMaxMs ?? 60_000;
    this.maxRetries = options.maxRetries ?? 2;
    this.connect = scheme === 'https' ? { rejectUnauthorized: !tls.insecureSkipVerify, servername: tls.serverName } : undefined;
    this.update(endpoints);
    if (options.healthCheck) this.startChecks(options.healthCheck);
  }

  private startChecks(hc: NonNullable<BalanceOptions['healthCheck']>): void {
    const interval = hc.intervalMs ?? 10_000;
    const timeout = hc.timeoutMs ?? 2_000;
    const downAfter = hc.unhealthyThreshold ?? 2;
    const upAfter = hc.healthyThreshold ?? 1;
    const checkOne = async (ep: Endpoint): Promise<void> => {
      let ok = false;
      try {
        const res = await ep.pool.request({ path: hc.path, method: 'GET', headersTimeout: timeout, bodyTimeout: timeout, headers: { 'user-agent': 'mcp-gateway-health-check' } });
        await res.body.dump();
        ok = res.statusCode >= 200 && res.statusCode < 400;
      } catch {
        ok = false;
      }
      if (ok) {
        ep.checkFails = 0;
        if (ep.down && ++ep.checkOks >= upAfter) ep.down = false;
      } else {
        ep.checkOks = 0;
        if (!ep.down && ++ep.checkFails >= downAfter) ep.down = true;
      }
    };
    let running = false;
    this.checkTimer = setInterval(() => {
      // A slow round is not overlapped by the next one.
      if (running) return;
      running = true;
      void Promise.allSettled(this.endpoints.map(checkOne)).finally(() => (running = false));
    }, interval);
    this.checkTimer.unref();
  }

  get size(): number {
    return this.endpoints.length;
  }

  /** The current addresses with their weights and health (for the admin API and tests). */
  describe(): Array<{ address: string; weight: number; inflight: number; ejected: boolean; down: boolean }> {
    const now = Date.now();
    return this.endpoints.map((e) => ({ address: e.address, weight: e.weight, inflight: e.inflight, ejected: now < e.ejectedUntil, down: e.down }));
  }

  /**
   * Replaces the endpoint list: unchanged addresses keep their pool and health state, new ones get
   * a pool, removed ones are closed once their in-flight requests and streams end.
   */
  update(list: EndpointSpec[]): void {
    const next: Endpoint[] = [];
    const seen = new Set<string>();
    for (const spec of list) {
      if (seen.has(spec.address)) continue;
      seen.add(spec.address);
      let ep = this.byAddress.get(spec.address);
      if (!ep) {
        ep = new Endpoint(this, spec.address, `${this.scheme}://${spec.address}`, Math.max(0, spec.weight), this.connect);
        this.byAddress.set(spec.address, ep);
      } else {
        ep.weight = Math.max(0, spec.weight);
      }
      next.push(ep);
    }
    for (const [address, ep] of this.byAddress) {
      if (seen.has(address)) continue;
      this.byAddress.delete(address);
      ep.removed = true;
      void ep.pool.close().catch(() => undefined);
    }
    for (const ep of next) ep.current = 0;
    this.endpoints = next;
  }

  /** Picks the endpoint for a new request or session; undefined when the service has none. */
  pick(): { origin: string; dispatcher: Dispatcher } | undefined {
    const ep = this.choose(undefined);
    return ep ? { origin: ep.origin, dispatcher: ep } : undefined;
  }

  /** The endpoint with this origin, if it is still part of the service (session affinity). */
  byOrigin(origin: string): { origin: string; dispatcher: Dispatcher } | undefined {
    const ep = this.endpoints.find((e) => e.origin === origin);
    return ep ? { origin: ep.origin, dispatcher: ep } : undefined;
  }

  /** @internal */
  pickExcluding(tried: Set<Endpoint>): Endpoint | undefined {
    return this.choose(tried);
  }

  /** @internal */
  retryAllowed(tried: Set<Endpoint>): boolean {
    return tried.size <= this.maxRetries;
  }

  /** @internal Sends on one endpoint with bookkeeping. */
  send(ep: Endpoint, opts: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler, tried: Set<Endpoint>): boolean {
    // Handlers in undici's newer controller style are passed through untracked (request() uses the callback style).
    if ((handler as { onRequestStart?: unknown }).onRequestStart) return ep.pool.dispatch(opts, handler);
    return ep.pool.dispatch(opts, new Attempt(handler as LegacyHandler, ep, opts, tried) as unknown as Dispatcher.DispatchHandler);
  }

  /** @internal Records an outcome for passive health. */
  report(ep: Endpoint, ok: boolean): void {
    if (ok) {
      ep.failures = 0;
      ep.ejections = 0;
      return;
    }
    ep.failures++;
    if (ep.failures >= this.ejectAfter && Date.now() >= ep.ejectedUntil) {
      const backoff = Math.min(this.ejectBaseMs * 2 ** ep.ejections, this.ejectMaxMs);
      ep.ejectedUntil = Date.now() + backoff;
      ep.ejections++;
      // Back from ejection, one more failure ejects it again (with a longer back-off).
      ep.failures = this.ejectAfter - 1;
    }
  }

  private choose(exclude: Set<Endpoint> | undefined): Endpoint | undefined {
    const all = this.endpoints;
    if (all.length === 0) return undefined;
    if (all.length === 1 && !exclude) return all[0].weight > 0 ? all[0] : undefined;
    const now = Date.now();
    let candidates = all.filter((e) => e.available(now) && !exclude?.has(e));
    if (candidates.length === 0) {
      // Every endpoint is ejected: trying one beats refusing all (Envoy's panic threshold does the same).
      candidates = all.filter((e) => e.weight > 0 && !exclude?.has(e));
      if (candidates.length === 0) return undefined;
    }
    if (candidates.length === 1) return candidates[0];
    switch (this.policy) {
      case 'round-robin':
        return candidates[this.rr++ % candidates.length];
      case 'least-request': {
        // Fewest outstanding requests per unit of weight; ties go round robin.
        const start = this.rr++ % candidates.length;
        let best = candidates[start];
        for (let i = 1; i < candidates.length; i++) {
          const c = candidates[(start + i) % candidates.length];
          if (c.inflight * best.weight < best.inflight * c.weight) best = c;
        }
        return best;
      }
      default: {
        let total = 0;
        let best: Endpoint | undefined;
        for (const c of candidates) {
          c.current += c.weight;
          total += c.weight;
          if (!best || c.current > best.current) best = c;
        }
        best!.current -= total;
        return best;
      }
    }
  }

  async close(): Promise<void> {
    clearInterval(this.checkTimer);
    await Promise.all(this.endpoints.map((e) => e.pool.close().catch(() => undefined)));
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
