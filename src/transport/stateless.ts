import { errorResponse, isRequest, JSONRPC_INVALID_REQUEST, type JsonRpcMessage, type JsonRpcRequest } from '../protocol/jsonrpc.js';
import {
  headerLookup,
  isRejection,
  methodNotFound,
  REMOVED_IN_MODERN,
  statusForAnswer,
  subscriptionAcknowledged,
  subscriptionClosed,
  subscriptionFilter,
  subscriptionNotification,
  validateModernRequest,
  type ModernRequestInfo,
} from '../protocol/modern.js';
import type { Session } from '../protocol/session.js';
import type { ToolProvider } from '../protocol/dispatch.js';
import { sendJson, SSE_HEADERS, sseEvent } from './http-io.js';
import { handleHostedMessage, rateLimitedAfter } from './hosted-session.js';
import type { RoutedRequest, TransportContext } from './context.js';
import type { Snapshot } from '../snapshot/snapshot.js';

/**
 * A 2026-07-28 request carries everything in itself: this stands in for the session the hosted
 * dispatcher expects, lives for one request and is never registered.
 */
function requestScope(server: string, consumer: string | undefined, info: ModernRequestInfo): Session {
  const now = Date.now();
  return {
    id: '',
    server,
    transport: 'streamable-http',
    protocolVersion: info.version,
    clientInfo: info.clientInfo,
    clientCapabilities: info.clientCapabilities,
    consumer,
    initialized: true,
    createdAt: now,
    lastSeen: now,
  };
}

/** POST of a 2026-07-28 request to a gateway-hosted server: validated, answered, no session. */
export async function statelessPost(ctx: TransportContext, r: RoutedRequest, consumer: string | undefined, msg: JsonRpcMessage): Promise<void> {
  const { req, res, route } = r;
  if (!isRequest(msg)) {
    sendJson(res, 400, errorResponse(null, JSONRPC_INVALID_REQUEST, 'Invalid Request: a 2026-07-28 POST carries a request, never a response', { code: 'INVALID_REQUEST' }));
    return;
  }
  // The revision defines no client notifications over HTTP (closing a stream cancels); accept and drop.
  if (!('id' in msg)) return void res.writeHead(202).end();
  const checked = validateModernRequest(headerLookup(req.headers), msg);
  if (isRejection(checked)) return sendJson(res, checked.status, checked.response);
  if (REMOVED_IN_MODERN.has(msg.method)) {
    const refusal = methodNotFound(msg.id ?? null, msg.method);
    return sendJson(res, refusal.status, refusal.response);
  }
  if (msg.method === 'subscriptions/listen') return listen(ctx, r, consumer, msg);
  const session = requestScope(route.name, consumer, checked);
  const answer = await handleHostedMessage(route.provider!, session, msg, req, {
    response: res,
    allowedTools: route.toolAcl?.get(consumer ?? ''),
    metrics: ctx.metrics,
    limiter: ctx.limiter,
    route,
    accessLog: ctx.accessLog,
  });
  if (res.destroyed || res.writableEnded) return;
  if (!answer) return void res.writeHead(202).end();
  const retryAfter = rateLimitedAfter(answer);
  if (retryAfter !== undefined) return sendJson(res, 429, answer, { 'retry-after': String(retryAfter) });
  sendJson(res, statusForAnswer(answer), answer);
}

/**
 * Tool-list fingerprints per snapshot, provider and allow-list, so many listen streams share one
 * computation per change (tool sets and the router list other servers' tools, hence the snapshot key).
 */
const fingerprints = new WeakMap<Snapshot, WeakMap<ToolProvider, WeakMap<object, string>>>();
const ALL_TOOLS = {};

/** What a listen stream last told its client, to tell real changes from snapshot rebuilds. */
function toolsFingerprint(snapshot: Snapshot, provider: ToolProvider | undefined, session: Session, allowed: ReadonlySet<string> | undefined): string {
  if (!provider) return '';
  let byProvider = fingerprints.get(snapshot);
  if (!byProvider) fingerprints.set(snapshot, (byProvider = new WeakMap()));
  let byAcl = byProvider.get(provider);
  if (!byAcl) byProvider.set(provider, (byAcl = new WeakMap()));
  const cached = byAcl.get(allowed ?? ALL_TOOLS);
  if (cached !== undefined) return cached;
  const tools = provider.listTools({ session, consumer: session.consumer, headers: {}, protocolVersion: session.protocolVersion, allowedTools: allowed });
  const visible = allowed ? tools.filter((t) => allowed.has(t.name as string)) : tools;
  const fingerprint = JSON.stringify(visible);
  byAcl.set(allowed ?? ALL_TOOLS, fingerprint);
  return fingerprint;
}

/** How often open listen streams look for a configuration change. */
const WATCH_MS = 250;

/**
 * subscriptions/listen on a hosted server: what it can offer is tools/list_changed when its
 * configuration changes; the stream ends with a graceful result when the server goes away.
 */
function listen(ctx: TransportContext, r: RoutedRequest, consumer: string | undefined, msg: JsonRpcRequest): void {
  const { res, route } = r;
  const id = msg.id ?? null;
  const requested = subscriptionFilter(msg.params);
  const agreed = requested.toolsListChanged ? { toolsListChanged: true } : {};
  const info = validateModernRequest(headerLookup(r.req.headers), msg) as ModernRequestInfo;
  const session = requestScope(route.name, consumer, info);
  res.writeHead(200, SSE_HEADERS);
  res.flushHeaders();
  const send = (m: unknown) => res.write(sseEvent(undefined, JSON.stringify(m)));
  send(subscriptionAcknowledged(id, agreed));
  let snapshot = ctx.snapshot();
  let fingerprint = agreed.toolsListChanged ? toolsFingerprint(snapshot, route.provider, session, route.toolAcl?.get(consumer ?? '')) : '';
  let sinceKeepAlive = 0;
  const timer = setInterval(() => {
    sinceKeepAlive += WATCH_MS;
    if (sinceKeepAlive >= ctx.keepAliveMs) {
      sinceKeepAlive = 0;
      res.write(':\n\n');
    }
    const now = ctx.snapshot();
    if (now === snapshot) return;
    snapshot = now;
    const current = now.servers.get(route.name);
    if (!current || !current.enabled || !current.provider) {
      send(subscriptionClosed(id));
      stop();
      res.end();
      return;
    }
    if (!agreed.toolsListChanged) return;
    const next = toolsFingerprint(now, current.provider, session, current.toolAcl?.get(consumer ?? ''));
    if (next !== fingerprint) {
      fingerprint = next;
      send(subscriptionNotification(id, 'notifications/tools/list_changed'));
    }
  }, WATCH_MS);
  timer.unref();
  const stop = () => clearInterval(timer);
  res.once('close', stop);
}
