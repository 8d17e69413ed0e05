import type { IncomingHttpHeaders } from 'node:http';
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, defaultTextMapGetter, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, BatchSpanProcessor, ParentBasedSampler, TraceIdRatioBasedSampler, type Sampler } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME, ATTR_SERVICE_VERSION } from '@opentelemetry/semantic-conventions';

type Env = Record<string, string | undefined>;

const propagator = new W3CTraceContextPropagator();
const TRACEPARENT = /^[\da-f]{2}-[\da-f]{32}-[\da-f]{16}-[\da-f]{2}$/;

/** The OTLP/HTTP traces URL the standard variables name, or undefined when none is set. */
export function tracesUrl(env: Env): string | undefined {
  const specific = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (specific) return specific;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (!base) return undefined;
  return `${base.replace(/\/+$/, '')}/v1/traces`;
}

/** The sampler named by OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG (default parentbased_always_on). */
export function samplerFromEnv(env: Env): Sampler {
  const name = (env.OTEL_TRACES_SAMPLER ?? '').trim().toLowerCase() || 'parentbased_always_on';
  const arg = Number(env.OTEL_TRACES_SAMPLER_ARG);
  const ratio = env.OTEL_TRACES_SAMPLER_ARG !== undefined && Number.isFinite(arg) && arg >= 0 && arg <= 1 ? arg : 1;
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    default:
      throw new Error(`OTEL_TRACES_SAMPLER "${name}" is not supported (always_on, always_off, traceidratio, parentbased_always_on, parentbased_always_off, parentbased_traceidratio)`);
  }
}

/** OTEL_RESOURCE_ATTRIBUTES: `key=value,key=value`, values percent-encoded. */
function resourceAttributes(env: Env): Attributes {
  const out: Attributes = {};
  for (const pair of (env.OTEL_RESOURCE_ATTRIBUTES ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    try {
      out[pair.slice(0, eq).trim()] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      // a malformed escape: the attribute is skipped, as the OTel SDKs do
    }
  }
  return out;
}

/** What a gateway request span reports when it ends. */
export interface RequestOutcome {
  outcome: 'ok' | 'error' | 'tool_error' | 'rate_limited';
  /** The JSON-RPC error code or the gateway's error code, when the request failed. */
  error?: string | number;
  status?: number;
}

/** The upstream half of a request: a client span whose context goes to the backend in `traceparent`. */
export class UpstreamTrace {
  constructor(private readonly span: Span) {}

  /** Sets `traceparent` (and `tracestate`) on the backend request's headers. */
  inject(set: (name: string, value: string) => void): void {
    propagator.inject(trace.setSpan(ROOT_CONTEXT, this.span), set, { set: (carrier, key, value) => carrier(key, value) });
  }

  end(status: number | undefined, error?: string): void {
    if (status !== undefined) this.span.setAttribute('http.response.status_code', status);
    if (error !== undefined || (status !== undefined && status >= 500)) this.span.setStatus({ code: SpanStatusCode.ERROR, message: error });
    if (error !== undefined) this.span.setAttribute('error.type', error);
    this.span.end();
  }
}

/** One gateway request (a JSON-RPC request, or a proxied HTTP exchange): the server span. */
export class RequestTrace {
  constructor(
    private readonly tracer: Tracer,
    readonly span: Span,
    private readonly context: Context,
  ) {}

  get traceId(): string {
    return this.span.spanContext().traceId;
  }

  /** Names the span after the MCP method once the body was read (`tools/call get_weather`). */
  describe(method: string, tool: string | undefined, consumer: string | undefined): void {
    this.span.updateName(tool ? `${method} ${tool}` : method);
    this.span.setAttribute('mcp.method.name', method);
    if (tool) this.span.setAttribute('gen_ai.tool.name', tool);
    if (consumer) this.span.setAttribute('mcpgw.consumer', consumer);
  }

  /** Starts the client span of a backend request, child of this request. */
  upstream(method: string, origin: string, path: string): UpstreamTrace {
    const q = path.indexOf('?');
    const span = this.tracer.startSpan(
      method,
      { kind: SpanKind.CLIENT, attributes: { 'http.request.method': method, 'server.address': origin, 'url.path': q < 0 ? path : path.slice(0, q) } },
      this.context,
    );
    return new UpstreamTrace(span);
  }

  end(o: RequestOutcome): void {
    this.span.setAttribute('mcpgw.outcome', o.outcome);
    if (o.status !== undefined) this.span.setAttribute('http.response.status_code', o.status);
    if (o.error !== undefined) this.span.setAttribute('error.type', String(o.error));
    if (o.outcome === 'error') this.span.setStatus({ code: SpanStatusCode.ERROR });
    this.span.end();
  }
}

/**
 * OpenTelemetry tracing of one gateway: spans exported over OTLP/HTTP in batches. Built only when an
 * OTLP endpoint is configured, so with tracing off no span object is ever made.
 */
export class Tracing {
  private readonly provider: BasicTracerProvider;
  private readonly tracer: Tracer;

  constructor(url: string, env: Env, version: string) {
    const exporter = new OTLPTraceExporter({ url });
    this.provider = new BasicTracerProvider({
      resource: resourceFromAttributes({ ...resourceAttributes(env), [ATTR_SERVICE_NAME]: env.OTEL_SERVICE_NAME?.trim() || 'mcp-gateway', [ATTR_SERVICE_VERSION]: version }),
      sampler: samplerFromEnv(env),
      spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: Number(env.OTEL_BSP_SCHEDULE_DELAY) || 1000 })],
    });
    this.tracer = this.provider.getTracer('mcp-gateway', version);
  }

  /** Starts the server span of a request, child of the client's `traceparent` when it sent a valid one. */
  startRequest(headers: IncomingHttpHeaders, server: string, transport: string, method?: string): RequestTrace {
    const parent = headers.traceparent ? propagator.extract(ROOT_CONTEXT, headers, defaultTextMapGetter) : ROOT_CONTEXT;
    const span = this.tracer.startSpan(method ?? `mcp ${server}`, { kind: SpanKind.SERVER, attributes: { 'mcpgw.server': server, 'mcpgw.transport': transport } }, parent);
    return new RequestTrace(this.tracer, span, trace.setSpan(parent, span));
  }

  /** Exports what is buffered (tests, shutdown). */
  flush(): Promise<void> {
    return this.provider.forceFlush();
  }

  shutdown(): Promise<void> {
    return this.provider.shutdown();
  }
}

/** The gateway's tracing from the standard OTel variables; undefined when off. */
export function tracingFromEnv(env: Env, version: string): Tracing | undefined {
  if ((env.OTEL_SDK_DISABLED ?? '').trim().toLowerCase() === 'true') return undefined;
  if ((env.OTEL_TRACES_EXPORTER ?? '').trim().toLowerCase() === 'none') return undefined;
  const url = tracesUrl(env);
  return url ? new Tracing(url, env, version) : undefined;
}

/**
 * Trace headers for a backend request made on behalf of a client request: the gateway's client span
 * when tracing is on; else the client's own `traceparent`/`tracestate`, passed on when well-formed.
 */
export function traceHeadersFor(upstream: UpstreamTrace | undefined, incoming: Record<string, string | string[] | undefined>, set: (name: string, value: string) => void): void {
  if (upstream) return upstream.inject(set);
  const tp = incoming.traceparent;
  if (typeof tp !== 'string' || !TRACEPARENT.test(tp)) return;
  set('traceparent', tp);
  const ts = incoming.tracestate;
  if (typeof ts === 'string' && ts.length <= 512) set('tracestate', ts);
}
