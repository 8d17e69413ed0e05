import type { ServerResponse } from 'node:http';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Folds unbounded label values (unknown tools, consumers) so label cardinality stays bounded. */
export function boundedLabel(value: string | undefined, known: (v: string) => boolean): string {
  if (!value) return 'none';
  return known(value) ? value : 'other';
}

/** The gateway's Prometheus metrics, in a registry of its own (one per gateway instance). */
export class GatewayMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'mcpgw_requests_total',
    help: 'JSON-RPC requests answered, by server, method, transport and outcome (ok | error)',
    labelNames: ['server', 'method', 'transport', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly toolCalls = new Counter({
    name: 'mcpgw_tool_calls_total',
    help: 'tools/call results by server, tool, consumer and outcome (ok | tool_error | rpc_error)',
    labelNames: ['server', 'tool', 'consumer', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly duration = new Histogram({
    name: 'mcpgw_request_duration_seconds',
    help: 'Time to answer a JSON-RPC request on the gateway, by server and method',
    labelNames: ['server', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  readonly upstreamDuration = new Histogram({
    name: 'mcpgw_upstream_duration_seconds',
    help: 'Time from sending a request to a backend (direct proxy, or an HTTP-to-MCP tool call) to its response headers, by server and method',
    labelNames: ['server', 'method'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  /** Client-facing event streams held open now (GET streams of both transports), counted at scrape time. */
  readonly streams = new Gauge({
    name: 'mcpgw_sse_streams',
    help: 'Client event streams open now (Streamable HTTP GET streams and HTTP+SSE streams), by server and transport',
    labelNames: ['server', 'transport'] as const,
    registers: [this.registry],
    collect: () => this.countStreams(),
  });
  /** Balanced upstream endpoints: 1 while one takes traffic, 0 while ejected or failing its health check. */
  readonly endpointHealth = new Gauge({
    name: 'mcpgw_upstream_endpoint_healthy',
    help: 'Upstream service endpoints: 1 healthy, 0 ejected (passive) or down (active health check), by service and endpoint address',
    labelNames: ['service', 'endpoint'] as const,
    registers: [this.registry],
  });
  /** Per-server calls, errors and latency over the last minutes, for the console's chart. */
  readonly timeline = new ServerTimeline();
  private readonly proxyTools = new Map<string, Set<string>>();
  private readonly openStreams = new Map<ServerResponse, { server: string; transport: string }>();
  readonly rateLimited = new Counter({
    name: 'mcpgw_rate_limited_total',
    help: 'Calls refused by a rate limit, by server and the refusing rule\'s scope (server | consumer | tool | consumer_tool)',
    labelNames: ['server', 'scope'] as const,
    registers: [this.registry],
  });
  readonly sessions = new Gauge({ name: 'mcpgw_sessions', help: 'Client sessions held now', registers: [this.registry] });
  readonly snapshotRevision = new Gauge({ name: 'mcpgw_snapshot_revision', help: 'Store revision of the served snapshot', registers: [this.registry] });
  readonly reloads = new Counter({ name: 'mcpgw_snapshot_reloads_total', help: 'Snapshots built since start', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mcpgw_process_' });
  }

  /**
   * A direct-proxy tool name as a label: the gateway does not know a backend's tools, so the first
   * 64 well-formed names seen per server are labels and the rest fold into `other`.
   */
  toolLabel(server: string, name: string | undefined): string {
    if (!name) return 'none';
    let seen = this.proxyTools.get(server);
    if (!seen) this.proxyTools.set(server, (seen = new Set()));
    if (seen.has(name)) return name;
    if (seen.size >= 64 || !/^[A-Za-z0-9_.\-/]{1,64}$/.test(name)) return 'other';
    seen.add(name);
    return name;
  }

  /** Follows a client GET until it closes; it counts as a stream once answered 200 and until it ends. */
  trackStream(res: ServerResponse, server: string, transport: string): void {
    this.openStreams.set(res, { server, transport });
    res.once('close', () => this.openStreams.delete(res));
  }

  /** Replaces the endpoint gauge with the served services' endpoints (removed ones disappear). */
  recordEndpoints(endpoints: Iterable<{ service: string; address: string; healthy: boolean }>): void {
    this.endpointHealth.reset();
    for (const e of endpoints) this.endpointHealth.set({ service: e.service, endpoint: e.address }, e.healthy ? 1 : 0);
  }

  private countStreams(): void {
    this.streams.reset();
    for (const [res, labels] of this.openStreams) {
      // a GET on an MCP endpoint answered 200 and still being written is an event stream
      if (res.headersSent && res.statusCode === 200 && !res.writableEnded) this.streams.inc(labels);
    }
  }
}

/** One time bucket of a server's traffic. */
export interface TimelineBucket {
  /** Bucket start, ms since the epoch. */
  start: number;
  calls: number;
  errors: number;
  /** Mean and largest gateway latency of the bucket's requests, in ms (0 when there were none). */
  meanMs: number;
  maxMs: number;
}

/**
 * Recent traffic per server in a fixed ring of time buckets (memory bounded by servers x buckets);
 * what the console charts. Each replica keeps its own.
 */
export class ServerTimeline {
  private readonly rings = new Map<string, { index: Float64Array; calls: Uint32Array; errors: Uint32Array; sumMs: Float64Array; maxMs: Float64Array }>();

  constructor(
    readonly bucketMs = 10_000,
    readonly size = 90,
  ) {}

  record(server: string, error: boolean, ms: number, now = Date.now()): void {
    let ring = this.rings.get(server);
    if (!ring) {
      ring = { index: new Float64Array(this.size).fill(-1), calls: new Uint32Array(this.size), errors: new Uint32Array(this.size), sumMs: new Float64Array(this.size), maxMs: new Float64Array(this.size) };
      this.rings.set(server, ring);
    }
    const index = Math.floor(now / this.bucketMs);
    const slot = index % this.size;
    if (ring.index[slot] !== index) {
      ring.index[slot] = index;
      ring.calls[slot] = 0;
      ring.errors[slot] = 0;
      ring.sumMs[slot] = 0;
      ring.maxMs[slot] = 0;
    }
    ring.calls[slot]++;
    if (error) ring.errors[slot]++;
    ring.sumMs[slot] += ms;
    if (ms > ring.maxMs[slot]) ring.maxMs[slot] = ms;
  }

  /** The last `count` buckets of a server, oldest first, empty ones included. */
  buckets(server: string, count = this.size, now = Date.now()): TimelineBucket[] {
    const n = Math.min(Math.max(1, Math.floor(count)), this.size);
    const ring = this.rings.get(server);
    const last = Math.floor(now / this.bucketMs);
    const out: TimelineBucket[] = [];
    for (let index = last - n + 1; index <= last; index++) {
      const slot = index % this.size;
      const live = ring && ring.index[slot] === index;
      const calls = live ? ring.calls[slot] : 0;
      out.push({
        start: index * this.bucketMs,
        calls,
        errors: live ? ring.errors[slot] : 0,
        meanMs: calls ? Math.round((ring!.sumMs[slot] / calls) * 1000) / 1000 : 0,
        maxMs: live ? Math.round(ring.maxMs[slot] * 1000) / 1000 : 0,
      });
    }
    return out;
  }

  /** Servers that had traffic since start. */
  servers(): string[] {
    return [...this.rings.keys()];
  }
}

const KNOWN_METHODS = new Set(['initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'resources/read', 'prompts/list', 'prompts/get', 'completion/complete', 'logging/setLevel']);

/** JSON-RPC method names as a bounded label. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'other';
}
