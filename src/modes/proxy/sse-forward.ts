import { JSONRPC_INVALID_REQUEST } from '../../protocol/jsonrpc.js';
import { SessionLimitError, type Session } from '../../protocol/session.js';
import type { RoutedRequest, TransportContext } from '../../transport/context.js';
import { readBodyOrRefuse, sendRpcError, sseEvent } from '../../transport/http-io.js';
import { requestHeadersForUpstream, responseHeadersForClient, upstreamQuery } from '../../transport/upstream/forward-headers.js';
import { type McpUpstream, UpstreamError } from '../../transport/upstream/streamable-client.js';
import { ClientStream, toolAclFor, messageEvent, upstreamErrorJson } from './client-stream.js';
import { idKey, requestIds, responseIds, tryParse } from './envelope.js';
import { LegacyUpstream } from './legacy-upstream.js';
import type { ChannelOpener, MessageChannel } from './channel.js';
import { attachUpstream, findSession, type UpstreamSession } from './proxy-session.js';
import { pumpItems } from './pump.js';
import { admitToolCalls, checkCaller, refusalJson } from './policy.js';
import { sendUpstreamError } from './streamable-forward.js';
import type { JsonRpcId } from '../../protocol/jsonrpc.js';

/** A gateway SSE session forwarded to a backend SSE session. */
interface LegacyForwardedSession extends UpstreamSession {
  kind: 'sse';
  legacy: MessageChannel;
  /** Requests sent and not yet answered, so a broken stream can answer them with an error. */
  pending: Map<string, JsonRpcId>;
  /** Rate-limit slots held until the answer to a body's first request passes. */
  releases: Map<string, () => void>;
  stream: ClientStream;
}

/** The message endpoint announced to clients: the gateway's own path, with the gateway's session id. */
export function gatewayMessagePath(server: string, sessionId: string): string {
  return `/mcp-servers/${encodeURIComponent(server)}/message?sessionId=${encodeURIComponent(sessionId)}`;
}

export function sessionIdFromQuery(r: RoutedRequest): string | undefined {
  return r.query.get('sessionId') ?? r.query.get('session_id') ?? undefined;
}

/**
 * Client HTTP+SSE to an HTTP+SSE backend, at `/mcp-servers/{name}/sse` and `/mcp-servers/{name}{path}`:
 * the backend's `endpoint` event becomes the gateway's message path; every other event passes
 * through unchanged; client POSTs go to the URI the backend announced for that session.
 */
export class SseForward {
  constructor(
    private readonly up: McpUpstream,
    private readonly server: string,
    /** How a session's backend channel opens: a legacy SSE stream unless given (stdio). */
    private readonly connect: ChannelOpener = (r, headers) => LegacyUpstream.open(up, up.pick(), up.path + upstreamQuery(r.query, up.credential), headers),
  ) {}

  async open(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { req, res, route } = r;
    const auth = await ctx.authenticate(route, req, res);
    if (!auth.ok) return;
    let legacy: MessageChannel;
    try {
      legacy = await this.connect(r, requestHeadersForUpstream(req.headers, this.up.credential, req.socket.remoteAddress));
    } catch (err) {
      return sendUpstreamError(res, err as UpstreamError);
    }
    if (res.destroyed) return legacy.close();
    let session: Session;
    const stream = new ClientStream(res, toolAclFor(route, auth.consumer));
    const state: LegacyForwardedSession = {
      kind: 'sse',
      upstream: this.up,
      endpoint: legacy.endpoint,
      legacy,
      pending: new Map(),
      releases: new Map(),
      stream,
      close() {
        legacy.close();
        for (const release of state.releases.values()) release();
        state.releases.clear();
        stream.end();
      },
    };
    try {
      session = ctx.sessions.create({ server: this.server, transport: 'sse', protocolVersion: '2024-11-05', consumer: auth.consumer });
    } catch (err) {
      legacy.close();
      if (err instanceof SessionLimitError) return sendRpcError(res, 503, -32000, 'SESSION_LIMIT', err.message, null, { 'retry-after': '5' });
      throw err;
    }
    attachUpstream(session, state);
    session.pinned = true;
    const id = session.id;
    res.once('close', () => ctx.sessions.end(id));
    stream.open(200, {}, ctx.keepAliveMs);
    await stream.send(sseEvent('endpoint', gatewayMessagePath(this.server, id)));
    const streamPath = this.up.path;
    const failure = await pumpItems(legacy.items(), this.up.serviceName, async (item, message) => {
      if (item.kind === 'comment') return stream.send(`:${item.text}\n\n`);
      if (item.kind === 'retry') return stream.send(`retry: ${item.retry}\n\n`);
      if (item.event.event === 'endpoint') {
        legacy.reannounce(item.event.data, streamPath);
        return true;
      }
      if (message !== undefined && state.pending.size) {
        for (const rid of responseIds(message)) {
          const key = idKey(rid);
          state.pending.delete(key);
          const release = state.releases.get(key);
          if (release) {
            state.releases.delete(key);
            release();
          }
        }
      }
      return stream.sendEvent(item.event, message);
    });
    const reason = failure ?? new UpstreamError('UPSTREAM_RESET', 502, `backend of service "${this.up.serviceName}" ended the SSE stream`);
    if (!stream.closed) for (const rid of state.pending.values()) await stream.send(messageEvent(upstreamErrorJson(rid, reason.code, reason.message)));
    ctx.log.debug({ server: this.server, reason: reason.message }, 'proxied SSE stream ended');
    ctx.sessions.end(id);
  }

  async message(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { req, res } = r;
    const sid = sessionIdFromQuery(r);
    if (!sid) return sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'SESSION_REQUIRED', 'Bad Request: the sessionId query parameter is required');
    const found = await findSession<LegacyForwardedSession>(ctx, this.server, sid, 'sse');
    if (!found) return sendRpcError(res, 404, -32001, 'SESSION_NOT_FOUND', 'Session not found: open a new SSE stream');
    const caller = await checkCaller(ctx, r.route, req, res, found.session, false);
    if (!caller.ok) return;
    const text = await readBodyOrRefuse(req, res, ctx.maxBodyBytes);
    if (text === undefined) return;
    const { state } = found;
    const parsed = tryParse(text);
    r.exchange?.envelope(parsed, found.session.consumer, Buffer.byteLength(text));
    const ids = requestIds(parsed);
    const admission = await admitToolCalls(ctx, r.route, found.session.consumer, parsed);
    if (admission.refusal) {
      res.writeHead(202, { 'content-type': 'text/plain', 'content-length': '8' }).end('Accepted');
      for (const id of ids) await state.stream.send(messageEvent(refusalJson(id, admission.refusal)));
      return;
    }
    for (const id of ids) state.pending.set(idKey(id), id);
    if (ids.length) state.releases.set(idKey(ids[0]), admission.release);
    else admission.release();
    const headers = requestHeadersForUpstream(req.headers, this.up.credential, req.socket.remoteAddress);
    try {
      const upstream = await state.legacy.deliver(text, headers, ctx.maxBodyBytes, r.exchange);
      if (upstream.status >= 300) this.abandon(state, ids);
      const out = responseHeadersForClient(upstream.headers);
      out['content-length'] = String(Buffer.byteLength(upstream.body));
      res.writeHead(upstream.status, out).end(upstream.body);
    } catch (err) {
      this.abandon(state, ids);
      sendUpstreamError(res, err as UpstreamError, ids.length === 1 ? ids[0] : null);
    }
  }

  /** The backend did not take these requests: forget them and free their slots. */
  private abandon(state: LegacyForwardedSession, ids: JsonRpcId[]): void {
    for (const id of ids) {
      const key = idKey(id);
      state.pending.delete(key);
      state.releases.get(key)?.();
      state.releases.delete(key);
    }
  }
}
