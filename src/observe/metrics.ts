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
  readonly rateLimited = new Counter({ name: 'mcpgw_rate_limited_total', help: 'Calls refused by a rate limit, by server', labelNames: ['server'] as const, registers: [this.registry] });
  readonly sessions = new Gauge({ name: 'mcpgw_sessions', help: 'Client sessions held now', registers: [this.registry] });
  readonly snapshotRevision = new Gauge({ name: 'mcpgw_snapshot_revision', help: 'Store revision of the served snapshot', registers: [this.registry] });
  readonly reloads = new Counter({ name: 'mcpgw_snapshot_reloads_total', help: 'Snapshots built since start', registers: [this.registry] });

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'mcpgw_process_' });
  }
}

const KNOWN_METHODS = new Set(['initialize', 'ping', 'tools/list', 'tools/call', 'resources/list', 'resources/read', 'prompts/list', 'prompts/get', 'completion/complete', 'logging/setLevel']);

/** JSON-RPC method names as a bounded label. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'other';
}
