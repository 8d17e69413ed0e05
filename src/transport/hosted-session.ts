import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerRoute } from '../snapshot/snapshot.js';
import { sendRpcError } from './http-io.js';
import { boundedLabel, methodLabel, type GatewayMetrics } from '../observe/metrics.js';
import type { Admission, RateLimiter } from '../limits/rate-limit.js';
import type { Logger } from '../observe/logger.js';
import type { RequestOutcome, RequestTrace, Tracing } from '../observe/tracing.js';
import {
  errorResponse,
  isRequest,
  GW_FORBIDDEN,
  GW_RATE_LIMITED,
  JSONRPC_INVALID_REQUEST,
  resultResponse,
  type JsonRpcMessage,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from '../protocol/jsonrpc.js';
import { dispatchRequest, initializeResult, type ToolProvider } from '../protocol/dispatch.js';
import type { Session } from '../protocol/session.js';

export interface HostedCallOptions {
  /** Aborts the request when the client goes away (its stream closed). */
  gone?: AbortSignal;
  /** Aborts the request when this response closes before it was answered. */
  response?: ServerResponse;
  allowedTools?: ReadonlySet<string>;
  metrics?: GatewayMetrics;
  limiter?: RateLimiter;
  route?: ServerRoute;
  /** One JSON line per request: who, what, outcome, duration; never arguments or credentials. */
  accessLog?: Logger;
  /** OpenTelemetry spans, when an OTLP endpoint is configured. */
  tracing?: Tracing;
}

/** The retry delay of a rate-limited answer, when it is one. */
export function rateLimitedAfter(r: JsonRpcResponse | undefined): number | undefined {
  const data = r?.error?.data as { code?: string; retryAfterSeconds?: number } | undefined;
  return data?.code === 'RATE_LIMITED' ? data.retryAfterSeconds : undefined;
}

/** In-flight requests of a session by JSON-RPC id, so notifications/cancelled can abort them. */
const inFlight = new WeakMap<Session, Map<string, AbortController>>();

function requestKey(id: unknown): string {
  return `${typeof id}:${String(id)}`;
}

/**
 * Handles one client message on a session of a gateway-hosted server (HTTP-to-MCP, tool set,
 * router). Returns the response for requests, undefined for notifications and responses.
 */
export async function handleHostedMessage(
  provider: ToolProvider,
  session: Session,
  msg: JsonRpcMessage,
  req: IncomingMessage,
  opts: HostedCallOptions = {},
): Promise<JsonRpcResponse | undefined> {
  const { gone, allowedTools, metrics } = opts;
  if (!isRequest(msg)) return undefined;
  if (!('id' in msg)) {
    handleNotification(session, msg);
    return undefined;
  }
  if (msg.method === 'initialize') {
    const params = (msg.params ?? {}) as Record<string, unknown>;
    const { result, version } = initializeResult(provider, params.protocolVersion);
    session.protocolVersion = version;
    session.clientInfo = params.clientInfo;
    session.clientCapabilities = params.capabilities as Record<string, unknown> | undefined;
    return resultResponse(msg.id ?? null, result);
  }
  const started = metrics || opts.accessLog ? process.hrtime.bigint() : 0n;
  const controller = new AbortController();
  let map = inFlight.get(session);
  if (!map) inFlight.set(session, (map = new Map()));
  const key = requestKey(msg.id);
  map.set(key, controller);
  const onGone = () => controller.abort();
  gone?.addEventListener('abort', onGone, { once: true });
  const response = opts.response;
  const onResponseClose = () => {
    if (!response!.writableFinished) controller.abort();
  };
  response?.once('close', onResponseClose);
  let answer: JsonRpcResponse | undefined;
  let admission: Admission | undefined;
  const span = opts.tracing ? startSpan(opts.tracing, session, msg as JsonRpcRequest, req) : undefined;
  try {
    if (opts.limiter && msg.method === 'tools/call' && opts.route?.spec.rateLimits?.length) {
      const name = (msg.params as Record<string, unknown> | undefined)?.name;
      admission = await opts.limiter.admit(opts.route.spec.rateLimits, { server: session.server, consumer: session.consumer, tool: typeof name === 'string' ? name : undefined });
      if (!admission.ok) {
        opts.metrics?.rateLimited.inc({ server: session.server, scope: admission.scope });
        answer = errorResponse(msg.id ?? null, GW_RATE_LIMITED, `Rate limit exceeded: ${admission.rule}; retry after ${admission.retryAfterSeconds}s`, { code: 'RATE_LIMITED', retryAfterSeconds: admission.retryAfterSeconds });
        return answer;
      }
    }
    answer = await dispatchRequest(provider, msg as JsonRpcRequest, {
      session,
      consumer: session.consumer,
      headers: req.headers,
      remoteAddress: req.socket.remoteAddress,
      signal: controller.signal,
      cancel: (reason) => controller.abort(reason),
      protocolVersion: session.protocolVersion,
      allowedTools,
      trace: span,
      upstreamTimed: metrics && ((seconds) => metrics.upstreamDuration.observe({ server: session.server, method: 'tools/call' }, seconds)),
    });
    return answer;
  } finally {
    if (admission?.ok) admission.release();
    if (metrics) record(metrics, provider, session, msg as JsonRpcRequest, answer, started);
    if (opts.accessLog) logAccess(opts.accessLog, session, msg as JsonRpcRequest, answer, started, span?.traceId);
    span?.end(spanOutcome(answer));
    gone?.removeEventListener('abort', onGone);
    response?.off('close', onResponseClose);
    map.delete(key);
  }
}

function handleNotification(session: Session, msg: JsonRpcRequest): void {
  if (msg.method === 'notifications/initialized') {
    session.initialized = true;
  } else if (msg.method === 'notifications/cancelled') {
    const requestId = (msg.params as Record<string, unknown> | undefined)?.requestId;
    inFlight.get(session)?.get(requestKey(requestId))?.abort();
  }
}

export function invalidBatchItem(id: JsonRpcResponse['id'], reason: string): JsonRpcResponse {
  return errorResponse(id, JSONRPC_INVALID_REQUEST, `Invalid Request: ${reason}`);
}

/** True when the server checks who calls (consumer auth or OAuth). */
export function requiresAuth(route: ServerRoute): boolean {
  return !!route.spec.consumerAuth?.enabled || (!!route.spec.oauth && route.spec.oauth.enabled !== false);
}

/** With auth on, a session may only be used by the consumer that opened it; answers the refusal itself. */
export function sameCaller(route: ServerRoute, session: Session, consumer: string | undefined, res: ServerResponse): boolean {
  if (!requiresAuth(route) || consumer === session.consumer) return true;
  sendRpcError(res, 403, GW_FORBIDDEN, 'SESSION_CONSUMER_MISMATCH', 'Forbidden: this session belongs to another consumer');
  return false;
}

function record(metrics: GatewayMetrics, provider: ToolProvider, session: Session, msg: JsonRpcRequest, response: JsonRpcResponse | undefined, started: bigint): void {
  const method = methodLabel(msg.method);
  const outcome = !response || response.error ? 'error' : 'ok';
  metrics.requests.inc({ server: session.server, method, transport: session.transport, outcome });
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  metrics.duration.observe({ server: session.server, method }, seconds);
  metrics.timeline.record(session.server, outcome === 'error', seconds * 1000);
  if (msg.method === 'tools/call') {
    const name = (msg.params as Record<string, unknown> | undefined)?.name;
    const tool = boundedLabel(typeof name === 'string' ? name : undefined, (n) => provider.hasTool?.(n) ?? false);
    const result = response?.result as { isError?: boolean } | undefined;
    const toolOutcome = response?.error ? 'rpc_error' : result?.isError ? 'tool_error' : 'ok';
    metrics.toolCalls.inc({ server: session.server, tool, consumer: session.consumer ?? 'none', outcome: toolOutcome });
  }
}

function startSpan(tracing: Tracing, session: Session, msg: JsonRpcRequest, req: IncomingMessage): RequestTrace {
  const span = tracing.startRequest(req.headers, session.server, session.transport, msg.method);
  const name = msg.method === 'tools/call' ? (msg.params as Record<string, unknown> | undefined)?.name : undefined;
  span.describe(msg.method, typeof name === 'string' ? name.slice(0, 128) : undefined, session.consumer);
  return span;
}

function spanOutcome(response: JsonRpcResponse | undefined): RequestOutcome {
  if (!response) return { outcome: 'error' };
  if (response.error) return { outcome: rateLimitedAfter(response) !== undefined ? 'rate_limited' : 'error', error: response.error.code };
  return { outcome: (response.result as { isError?: boolean } | undefined)?.isError ? 'tool_error' : 'ok' };
}

function logAccess(log: Logger, session: Session, msg: JsonRpcRequest, response: JsonRpcResponse | undefined, started: bigint, traceId: string | undefined): void {
  const name = msg.method === 'tools/call' ? (msg.params as Record<string, unknown> | undefined)?.name : undefined;
  const result = response?.result as { isError?: boolean } | undefined;
  log.info({
    type: 'access',
    server: session.server,
    session: session.id.slice(0, 8),
    transport: session.transport,
    method: msg.method,
    tool: typeof name === 'string' ? name.slice(0, 128) : undefined,
    consumer: session.consumer,
    outcome: response?.error ? 'error' : result?.isError ? 'tool_error' : 'ok',
    errorCode: response?.error?.code,
    durationMs: Number(process.hrtime.bigint() - started) / 1e6,
    traceId,
  });
}
