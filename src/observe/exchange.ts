import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from './logger.js';
import { methodLabel, type GatewayMetrics } from './metrics.js';
import type { RequestTrace, Tracing } from './tracing.js';

/** What observes the gateway's traffic; each part may be off. */
export interface Observers {
  metrics?: GatewayMetrics;
  accessLog?: Logger;
  tracing?: Tracing;
}

/** Told about each backend request; returns what to call when its response headers (or a failure) arrive. */
export interface UpstreamObserver {
  upstreamStarted(method: string, origin: string, path: string, headers: Record<string, string>): (status: number | undefined, error?: string) => void;
}

type Msg = Record<string, unknown>;

/**
 * One proxied HTTP exchange (a POST of JSON-RPC messages, a GET stream, a DELETE): the gateway's
 * server span, the backend requests it made, and one set of metrics and one access line when it ends.
 */
export class ProxyExchange implements UpstreamObserver {
  private readonly started = process.hrtime.bigint();
  private readonly trace?: RequestTrace;
  /** Methods of the JSON-RPC requests (not notifications) in the client's body. */
  private methods: string[] = [];
  private tools: Array<string | undefined> = [];
  private firstMethod?: string;
  private requestId?: unknown;
  private consumer?: string;
  private requestBytes?: number;
  private upstreamMs?: number;
  private upstreamError?: string;

  constructor(
    private readonly observers: Observers,
    private readonly server: string,
    private transport: string,
    private readonly req: IncomingMessage,
  ) {
    this.trace = observers.tracing?.startRequest(req.headers, server, transport);
  }

  /** Corrects the client transport when only the handler knows it (a backend's own SSE path). */
  clientTransport(transport: string): void {
    this.transport = transport;
    this.trace?.span.setAttribute('mcpgw.transport', transport);
  }

  /** Notes the JSON-RPC messages of a client body (methods, tool names, id) and who sent them. */
  envelope(parsed: unknown, consumer: string | undefined, bytes?: number): void {
    this.consumer = consumer;
    this.requestBytes = bytes;
    const list = Array.isArray(parsed) ? parsed : [parsed];
    for (const m of list) {
      if (!m || typeof m !== 'object' || typeof (m as Msg).method !== 'string') continue;
      const method = (m as Msg).method as string;
      this.firstMethod ??= method;
      if (!('id' in (m as Msg)) || (m as Msg).id === null) continue;
      const name = method === 'tools/call' ? ((m as Msg).params as Msg | undefined)?.name : undefined;
      this.methods.push(method);
      this.tools.push(typeof name === 'string' ? name : undefined);
      this.requestId ??= (m as Msg).id;
    }
    if (this.trace && this.firstMethod) this.trace.describe(this.firstMethod, this.tools[0], consumer);
  }

  upstreamStarted(method: string, origin: string, path: string, headers: Record<string, string>): (status: number | undefined, error?: string) => void {
    const t0 = process.hrtime.bigint();
    const span = this.trace?.upstream(method, origin, path);
    span?.inject((name, value) => {
      headers[name] = value;
    });
    return (status, error) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      this.upstreamMs = (this.upstreamMs ?? 0) + ms;
      if (error !== undefined) this.upstreamError = error;
      span?.end(status, error);
      this.observers.metrics?.upstreamDuration.observe({ server: this.server, method: methodLabel(this.methods[0] ?? this.firstMethod ?? method) }, ms / 1000);
    };
  }

  /** Records the exchange once the gateway's answer (or stream) ended. */
  finish(res: ServerResponse): void {
    const ms = Number(process.hrtime.bigint() - this.started) / 1e6;
    const status = res.headersSent ? res.statusCode : 0;
    const failed = status === 0 || status >= 400 || this.upstreamError !== undefined;
    const outcome = failed ? 'error' : 'ok';
    const { metrics, accessLog } = this.observers;
    if (metrics) {
      for (let i = 0; i < this.methods.length; i++) {
        const method = methodLabel(this.methods[i]);
        metrics.requests.inc({ server: this.server, method, transport: this.transport, outcome });
        metrics.duration.observe({ server: this.server, method }, ms / 1000);
        metrics.timeline.record(this.server, failed, ms);
        if (this.methods[i] === 'tools/call') {
          metrics.toolCalls.inc({ server: this.server, tool: metrics.toolLabel(this.server, this.tools[i]), consumer: this.consumer ?? 'none', outcome: failed ? 'rpc_error' : 'ok' });
        }
      }
    }
    if (accessLog && (this.methods.length > 0 || this.req.method !== 'POST')) {
      const id = this.requestId;
      const sid = this.req.headers['mcp-session-id'];
      accessLog.info({
        type: 'access',
        server: this.server,
        session: typeof sid === 'string' ? sid.slice(0, 8) : undefined,
        transport: this.transport,
        method: this.methods.length > 1 ? 'batch' : (this.methods[0] ?? this.req.method),
        tool: this.tools[0]?.slice(0, 128),
        id: typeof id === 'string' ? id.slice(0, 64) : typeof id === 'number' ? id : undefined,
        requests: this.methods.length > 1 ? this.methods.length : undefined,
        consumer: this.consumer,
        status,
        outcome,
        errorCode: this.upstreamError,
        requestBytes: this.requestBytes,
        durationMs: ms,
        upstreamMs: this.upstreamMs,
        traceId: this.trace?.traceId,
      });
    }
    this.trace?.end({ outcome, status, error: this.upstreamError });
  }
}
