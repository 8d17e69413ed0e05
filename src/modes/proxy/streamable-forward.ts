import type { ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import type { Dispatcher } from 'undici';
import { GW_UPSTREAM_ERROR, JSONRPC_INVALID_REQUEST, type JsonRpcId } from '../../protocol/jsonrpc.js';
import { SessionLimitError, type Session } from '../../protocol/session.js';
import { DEFAULT_HTTP_VERSION, isSupportedVersion } from '../../protocol/versions.js';
import type { RoutedRequest, TransportContext } from '../../transport/context.js';
import { readBodyOrRefuse, sendRpcError } from '../../transport/http-io.js';
import { requestHeadersForUpstream, responseHeadersForClient, upstreamQuery } from '../../transport/upstream/forward-headers.js';
import { firstHeader, type McpUpstream, readUpstreamText, toUpstreamError, type UpstreamEndpoint, UpstreamError } from '../../transport/upstream/streamable-client.js';
import { ClientStream, filterToolLists, toolAclFor, messageEvent, upstreamErrorJson } from './client-stream.js';
import { findInitialize, idKey, requestIds, responseIds, tryParse } from './envelope.js';
import { attachUpstream, findSession, type UpstreamSession } from './proxy-session.js';
import { pumpSse } from './pump.js';
import { admitToolCalls, sendRefusal } from './policy.js';
import { sameCaller } from '../../transport/hosted-session.js';

const SESSION = 'mcp-session-id';
/** Upstream bodies up to this size with a Content-Length are relayed in one piece. */
const SMALL_BODY = 64 * 1024;

/** A gateway session forwarded to a Streamable HTTP backend session. */
interface ForwardedSession extends UpstreamSession {
  kind: 'streamable';
  upstreamId: string;
  /** Set once DELETE went upstream, so closing does not send it twice. */
  deleted: boolean;
  /** Cancels in-flight upstream exchanges when the session ends. */
  inflight: Set<{ abort(): void }>;
}

function sessionGone(res: ServerResponse): void {
  sendRpcError(res, 404, -32001, 'SESSION_NOT_FOUND', 'Session not found: it expired or was ended; initialize a new one');
}

export function sendUpstreamError(res: ServerResponse, err: UpstreamError, id: JsonRpcId = null): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  sendRpcError(res, err.status === 499 ? 502 : err.status, GW_UPSTREAM_ERROR, err.code, err.message, id);
}

/** Fire-and-forget DELETE of a backend session (TTL expiry, server removed, gateway stopping). */
function deleteUpstream(up: McpUpstream, ep: UpstreamEndpoint, upstreamId: string, version: string | undefined): void {
  const headers: Record<string, string> = { [SESSION]: upstreamId, ...up.credential.headers };
  if (version) headers['mcp-protocol-version'] = version;
  up.send(ep, { method: 'DELETE', path: up.path + upstreamQuery(new URLSearchParams(), up.credential), headers })
    .then((r) => r.body.dump())
    .catch(() => undefined);
}

/**
 * Client Streamable HTTP to a Streamable HTTP backend, at `/mcp-servers/{name}` and at
 * `/mcp-servers/{name}{path}`: requests and streams pass through; the session id is mapped.
 */
export class StreamableForward {
  constructor(
    private readonly up: McpUpstream,
    private readonly server: string,
  ) {}

  private headersFor(r: RoutedRequest, state: ForwardedSession | undefined): Record<string, string> {
    const h = requestHeadersForUpstream(r.req.headers, this.up.credential, r.req.socket.remoteAddress);
    if (state) h[SESSION] = state.upstreamId;
    return h;
  }

  private newSession(ctx: TransportContext, r: RoutedRequest, ep: UpstreamEndpoint, upstreamId: string, consumer: string | undefined, requested: unknown): Session {
    const session = ctx.sessions.create(
      {
        server: this.server,
        transport: 'streamable-http',
        protocolVersion: typeof requested === 'string' && isSupportedVersion(requested) ? requested : DEFAULT_HTTP_VERSION,
        consumer,
      },
      { kind: 'streamable', upstreamId, endpoint: ep.origin },
    );
    attachUpstream(session, this.forwarded(ep, upstreamId, firstHeader(r.req.headers['mcp-protocol-version'])));
    return session;
  }

  /** A session another replica issued: its backend session and endpoint come from the id's claims. */
  private rebuild(session: Session): ForwardedSession | undefined {
    const claims = session.claims;
    const ep = claims?.endpoint ? this.up.endpoint(claims.endpoint) : undefined;
    if (!ep || !claims?.upstreamId) return undefined;
    return this.forwarded(ep, claims.upstreamId, session.protocolVersion);
  }

  private forwarded(ep: UpstreamEndpoint, upstreamId: string, version: string | undefined): ForwardedSession {
    const up = this.up;
    const state: ForwardedSession = {
      kind: 'streamable',
      upstream: up,
      endpoint: ep,
      upstreamId,
      deleted: false,
      inflight: new Set(),
      close(how) {
        for (const c of state.inflight) c.abort();
        // A copy dropped by one replica (idle, shutdown) may still be in use on another.
        if (!state.deleted && how !== 'dropped') {
          state.deleted = true;
          deleteUpstream(up, ep, upstreamId, version);
        }
      },
    };
    return state;
  }

  async post(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { req, res } = r;
    // Who calls is settled before the body is read or any session is looked at (as the hosted transports do).
    const auth = await ctx.authenticate(r.route, req, res);
    if (!auth.ok) return;
    const consumer = auth.consumer;
    const sid = firstHeader(req.headers[SESSION]);
    let found: { session: Session; state: ForwardedSession } | undefined;
    if (sid) {
      found = await findSession<ForwardedSession>(ctx, this.server, sid, 'streamable', (s) => this.rebuild(s));
      if (!found) return sessionGone(res);
      if (!sameCaller(r.route, found.session, consumer, res)) return;
    }
    const text = await readBodyOrRefuse(req, res, ctx.maxBodyBytes);
    if (text === undefined) return;
    const parsed = tryParse(text);
    r.exchange?.envelope(parsed, consumer, Buffer.byteLength(text));
    const ids = requestIds(parsed);
    const singleId = ids.length === 1 ? ids[0] : null;
    const admission = await admitToolCalls(ctx, r.route, consumer, parsed);
    if (admission.refusal) return sendRefusal(res, admission.refusal, singleId, found ? { [SESSION]: found.session.id } : {});
    try {
      await this.forwardPost(ctx, r, found, text, parsed, ids, consumer);
    } finally {
      admission.release();
    }
  }

  private async forwardPost(ctx: TransportContext, r: RoutedRequest, found: { session: Session; state: ForwardedSession } | undefined, text: string, parsed: unknown, ids: JsonRpcId[], consumer: string | undefined): Promise<void> {
    const { res } = r;
    const singleId = ids.length === 1 ? ids[0] : null;
    let ep: UpstreamEndpoint;
    try {
      ep = found ? found.state.endpoint : this.up.pick();
    } catch (err) {
      return sendUpstreamError(res, err as UpstreamError, singleId);
    }
    let upstream: Dispatcher.ResponseData;
    try {
      // No abort signal before the answer: a vanished client's request is bounded by the headers timeout.
      upstream = await this.up.send(ep, { method: 'POST', path: this.up.path + upstreamQuery(r.query, this.up.credential), headers: this.headersFor(r, found?.state), body: text, observer: r.exchange });
    } catch (err) {
      if (found && (err as UpstreamError).code === 'UPSTREAM_GONE') return this.endGone(ctx, found.session, found.state, res);
      return sendUpstreamError(res, err as UpstreamError, singleId);
    }
    const cancel = { abort: () => upstream.body.destroy() };
    const onClose = () => {
      if (!res.writableFinished) cancel.abort();
    };
    res.once('close', onClose);
    found?.state.inflight.add(cancel);
    try {
      if (upstream.statusCode === 404 && found) {
        await upstream.body.dump();
        found.state.deleted = true;
        ctx.sessions.endEverywhere(found.session.id);
        return sessionGone(res);
      }
      let session = found?.session;
      const upstreamSid = firstHeader(upstream.headers[SESSION]);
      if (!found && upstreamSid && upstream.statusCode < 300) {
        const init = findInitialize(parsed);
        try {
          session = this.newSession(ctx, r, ep, upstreamSid, consumer, (init?.params as Record<string, unknown> | undefined)?.protocolVersion);
        } catch (err) {
          await upstream.body.dump();
          deleteUpstream(this.up, ep, upstreamSid, undefined);
          if (err instanceof SessionLimitError) return sendRpcError(res, 503, -32000, 'SESSION_LIMIT', err.message, singleId, { 'retry-after': '5' });
          throw err;
        }
        session.initialized = true;
      }
      const headers = responseHeadersForClient(upstream.headers);
      if (session) headers[SESSION] = session.id;
      await relayBody(upstream, res, headers, ids, this.up, ctx.keepAliveMs, toolAclFor(r.route, consumer));
    } finally {
      found?.state.inflight.delete(cancel);
      res.off('close', onClose);
    }
  }

  /** The service's pool was replaced (its endpoints changed): the session cannot continue, the client starts a new one. */
  private endGone(ctx: TransportContext, session: Session, state: ForwardedSession, res: ServerResponse): void {
    state.deleted = true;
    ctx.sessions.endEverywhere(session.id);
    sessionGone(res);
  }

  async get(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { req, res } = r;
    const auth = await ctx.authenticate(r.route, req, res);
    if (!auth.ok) return;
    const found = await findSession<ForwardedSession>(ctx, this.server, firstHeader(req.headers[SESSION]), 'streamable', (s) => this.rebuild(s));
    if (!found) {
      if (!req.headers[SESSION]) return sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'SESSION_REQUIRED', 'Bad Request: the Mcp-Session-Id header is required (send initialize first)');
      return sessionGone(res);
    }
    if (!sameCaller(r.route, found.session, auth.consumer, res)) return;
    const { session, state } = found;
    const controller = new AbortController();
    res.once('close', () => controller.abort());
    state.inflight.add(controller);
    let upstream: Dispatcher.ResponseData;
    try {
      upstream = await this.up.send(state.endpoint, { method: 'GET', path: this.up.path + upstreamQuery(r.query, this.up.credential), headers: this.headersFor(r, state), longLived: true, signal: controller.signal, observer: r.exchange });
    } catch (err) {
      state.inflight.delete(controller);
      if ((err as UpstreamError).code === 'UPSTREAM_GONE') return this.endGone(ctx, session, state, res);
      return sendUpstreamError(res, err as UpstreamError);
    }
    session.pinned = true;
    try {
      if (upstream.statusCode === 404) {
        await upstream.body.dump();
        state.deleted = true;
        ctx.sessions.endEverywhere(session.id);
        return sessionGone(res);
      }
      const headers = responseHeadersForClient(upstream.headers);
      headers[SESSION] = session.id;
      await relayBody(upstream, res, headers, [], this.up, ctx.keepAliveMs);
    } finally {
      state.inflight.delete(controller);
      session.pinned = false;
      session.lastSeen = Date.now();
    }
  }

  async delete(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { req, res } = r;
    const auth = await ctx.authenticate(r.route, req, res);
    if (!auth.ok) return;
    const found = await findSession<ForwardedSession>(ctx, this.server, firstHeader(req.headers[SESSION]), 'streamable', (s) => this.rebuild(s));
    if (!found) {
      if (!req.headers[SESSION]) return sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'SESSION_REQUIRED', 'Bad Request: the Mcp-Session-Id header is required');
      return sessionGone(res);
    }
    if (!sameCaller(r.route, found.session, auth.consumer, res)) return;
    const { session, state } = found;
    let upstream: Dispatcher.ResponseData;
    try {
      upstream = await this.up.send(state.endpoint, { method: 'DELETE', path: this.up.path + upstreamQuery(r.query, this.up.credential), headers: this.headersFor(r, state), observer: r.exchange });
    } catch (err) {
      // The backend cannot be told; the gateway's session ends anyway.
      state.deleted = true;
      ctx.sessions.endEverywhere(session.id);
      return sendUpstreamError(res, err as UpstreamError);
    }
    if (upstream.statusCode !== 405) {
      state.deleted = true;
      ctx.sessions.endEverywhere(session.id);
    }
    const headers = responseHeadersForClient(upstream.headers);
    await relayBody(upstream, res, headers, [], this.up, 0);
  }
}

/**
 * Relays an upstream response. JSON and other bodies stream through byte for byte; an event
 * stream is re-framed event by event (data unchanged) so a broken or garbage stream ends with a
 * JSON-RPC error for each request that got no answer.
 */
export async function relayBody(upstream: Dispatcher.ResponseData, res: ServerResponse, headers: Record<string, string | string[]>, ids: JsonRpcId[], up: McpUpstream, keepAliveMs: number, toolAcl?: ReadonlySet<string>): Promise<void> {
  const type = firstHeader(upstream.headers['content-type']) ?? '';
  if (toolAcl && type.startsWith('application/json')) {
    // The consumer has a tool allow-list: a tools/list answer is cut down to it before it is sent.
    let text: string;
    try {
      text = await readUpstreamText(upstream.body, up.maxMessageBytes, up.serviceName);
    } catch (err) {
      return sendUpstreamError(res, toUpstreamError(err, up.serviceName), ids.length === 1 ? ids[0] : null);
    }
    const body = Buffer.from(filterToolLists(tryParse(text), toolAcl) ?? text);
    headers['content-length'] = String(body.length);
    res.writeHead(upstream.statusCode, headers).end(body);
    return;
  }
  if (!type.startsWith('text/event-stream')) {
    const length = firstHeader(upstream.headers['content-length']);
    if (length !== undefined && Number(length) <= SMALL_BODY) {
      // A small answer of known size is sent in one write (no stream machinery per call).
      let body: Buffer;
      try {
        body = Buffer.from(await upstream.body.arrayBuffer());
      } catch (err) {
        return sendUpstreamError(res, toUpstreamError(err, up.serviceName), ids.length === 1 ? ids[0] : null);
      }
      headers['content-length'] = String(body.length);
      res.writeHead(upstream.statusCode, headers).end(body);
      return;
    }
    if (length !== undefined) headers['content-length'] = length;
    res.writeHead(upstream.statusCode, headers);
    try {
      await pipeline(upstream.body, res);
    } catch {
      res.destroy();
    }
    return;
  }
  const stream = new ClientStream(res, toolAcl);
  stream.open(upstream.statusCode, headers, keepAliveMs);
  const answered = new Set<string>();
  let resumable = false;
  let failure = await pumpSse(upstream.body, up.maxMessageBytes, up.serviceName, async (item, message) => {
    if (item.kind === 'comment') return stream.send(`:${item.text}\n\n`);
    if (item.kind === 'retry') return stream.send(`retry: ${item.retry}\n\n`);
    if (item.event.id) resumable = true;
    if (message !== undefined && ids.length) for (const id of responseIds(message)) answered.add(idKey(id));
    return stream.sendEvent(item.event, message);
  });
  // A stream that ended without answering and without event ids cannot be resumed: the client would wait forever.
  if (!failure && !resumable && ids.some((id) => !answered.has(idKey(id)))) failure = new UpstreamError('UPSTREAM_BAD_STREAM', 502, `the backend of service "${up.serviceName}" ended its event stream without answering`);
  if (failure && !stream.closed) {
    for (const id of ids) if (!answered.has(idKey(id))) await stream.send(messageEvent(upstreamErrorJson(id, failure.code, failure.message)));
  }
  if (failure) upstream.body.destroy();
  stream.end();
}
