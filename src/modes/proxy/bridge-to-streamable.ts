import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { JSONRPC_INVALID_REQUEST, JSONRPC_PARSE_ERROR, type JsonRpcId } from '../../protocol/jsonrpc.js';
import { SessionLimitError, type Session } from '../../protocol/session.js';
import { isSupportedVersion } from '../../protocol/versions.js';
import type { RoutedRequest, TransportContext } from '../../transport/context.js';
import { readBodyOrRefuse, sendJson, sendRpcError, sseEvent } from '../../transport/http-io.js';
import { requestHeadersForUpstream, upstreamQuery } from '../../transport/upstream/forward-headers.js';
import { firstHeader, type McpUpstream, readUpstreamText, type UpstreamEndpoint, UpstreamError } from '../../transport/upstream/streamable-client.js';
import { ClientStream, toolAclFor, upstreamErrorJson } from './client-stream.js';
import { findInitialize, idKey, looksLikeJsonRpc, requestIds, responseIds, tryParse } from './envelope.js';
import { attachUpstream, findSession, type UpstreamSession } from './proxy-session.js';
import { pumpSse } from './pump.js';
import { admitToolCalls, checkCaller, refusalJson } from './policy.js';
import { sendUpstreamError } from './streamable-forward.js';
import { gatewayMessagePath, sessionIdFromQuery } from './sse-forward.js';
import type { UpstreamObserver } from '../../observe/exchange.js';

const SESSION = 'mcp-session-id';

interface BridgedStreamableSession extends UpstreamSession {
  kind: 'bridge-to-streamable';
  session: Session;
  stream: ClientStream;
  upstreamId?: string;
  version?: string;
  getOpened: boolean;
  deleted: boolean;
  inflight: Set<AbortController>;
}

/**
 * Client HTTP+SSE at `/mcp-servers/{name}/sse` to a Streamable HTTP backend. Each client POST
 * becomes a backend POST; its answer (JSON or an event stream, including server requests and
 * progress) is written to the client's one SSE stream, and the backend's GET stream joins it.
 * Client ids are unique within a session and each backend answer names its request, so ids pass
 * unchanged here.
 */
export class BridgeToStreamable {
  constructor(
    private readonly up: McpUpstream,
    private readonly server: string,
  ) {}

  async open(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { req, res } = r;
    const auth = await ctx.authenticate(r.route, req, res);
    if (!auth.ok) return;
    let ep: UpstreamEndpoint;
    try {
      ep = this.up.pick();
    } catch (err) {
      return sendUpstreamError(res, err as UpstreamError);
    }
    let session: Session;
    try {
      session = ctx.sessions.create({ server: this.server, transport: 'sse', protocolVersion: '2024-11-05', consumer: auth.consumer });
    } catch (err) {
      if (err instanceof SessionLimitError) return sendRpcError(res, 503, -32000, 'SESSION_LIMIT', err.message, null, { 'retry-after': '5' });
      throw err;
    }
    const stream = new ClientStream(res, toolAclFor(r.route, auth.consumer));
    const up = this.up;
    const state: BridgedStreamableSession = {
      kind: 'bridge-to-streamable',
      upstream: up,
      endpoint: ep,
      session,
      stream,
      getOpened: false,
      deleted: false,
      inflight: new Set(),
      close() {
        for (const c of state.inflight) c.abort();
        if (state.upstreamId && !state.deleted) {
          state.deleted = true;
          const headers: Record<string, string> = { [SESSION]: state.upstreamId, ...up.credential.headers };
          if (state.version) headers['mcp-protocol-version'] = state.version;
          up.send(ep, { method: 'DELETE', path: up.path + upstreamQuery(new URLSearchParams(), up.credential), headers }).then((x) => x.body.dump(), () => undefined);
        }
        stream.end();
      },
    };
    attachUpstream(session, state);
    session.pinned = true;
    const id = session.id;
    res.once('close', () => ctx.sessions.end(id));
    stream.open(200, {}, ctx.keepAliveMs);
    await stream.send(sseEvent('endpoint', gatewayMessagePath(this.server, id)));
  }

  async message(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { req, res } = r;
    const sid = sessionIdFromQuery(r);
    if (!sid) return sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'SESSION_REQUIRED', 'Bad Request: the sessionId query parameter is required');
    const found = await findSession<BridgedStreamableSession>(ctx, this.server, sid, 'bridge-to-streamable');
    if (!found || found.state.stream.closed) return sendRpcError(res, 404, -32001, 'SESSION_NOT_FOUND', 'Session not found: open a new SSE stream');
    const caller = await checkCaller(ctx, r.route, req, res, found.session, false);
    if (!caller.ok) return;
    const text = await readBodyOrRefuse(req, res, ctx.maxBodyBytes);
    if (text === undefined) return;
    const parsed = tryParse(text);
    r.exchange?.envelope(parsed, found.session.consumer, Buffer.byteLength(text));
    if (parsed === undefined) return sendJson(res, 400, { jsonrpc: '2.0', id: null, error: { code: JSONRPC_PARSE_ERROR, message: 'Parse error: the body is not JSON', data: { code: 'PARSE_ERROR' } } });
    res.writeHead(202, { 'content-type': 'text/plain', 'content-length': '8' }).end('Accepted');
    const admission = await admitToolCalls(ctx, r.route, found.session.consumer, parsed);
    if (admission.refusal) {
      for (const id of requestIds(parsed)) await found.state.stream.sendMessage(refusalJson(id, admission.refusal));
      return;
    }
    try {
      await this.forward(ctx, found.state, text, parsed, req.headers, req.socket.remoteAddress, r.exchange);
    } finally {
      admission.release();
    }
  }

  private async forward(ctx: TransportContext, state: BridgedStreamableSession, text: string, parsed: unknown, incoming: IncomingHttpHeaders, remote: string | undefined, observer?: UpstreamObserver): Promise<void> {
    const ids = requestIds(parsed);
    const init = findInitialize(parsed);
    const stream = state.stream;
    const fail = async (err: UpstreamError, which: JsonRpcId[]) => {
      for (const id of which) await stream.sendMessage(upstreamErrorJson(id, err.code, err.message));
    };
    const headers = requestHeadersForUpstream(incoming, this.up.credential, remote);
    headers.accept = 'application/json, text/event-stream';
    headers['content-type'] = 'application/json';
    if (state.upstreamId) headers[SESSION] = state.upstreamId;
    if (state.version) headers['mcp-protocol-version'] = state.version;
    const controller = new AbortController();
    state.inflight.add(controller);
    let upstream: Dispatcher.ResponseData;
    try {
      upstream = await this.up.send(state.endpoint, { method: 'POST', path: this.up.path + upstreamQuery(new URLSearchParams(), this.up.credential), headers, body: text, signal: controller.signal, observer });
    } catch (err) {
      state.inflight.delete(controller);
      return fail(err as UpstreamError, ids);
    }
    try {
      if (upstream.statusCode === 404 && state.upstreamId) {
        await upstream.body.dump();
        await fail(new UpstreamError('UPSTREAM_GONE', 404, 'the backend ended this session; open a new SSE stream'), ids);
        state.deleted = true;
        ctx.sessions.end(state.session.id);
        return;
      }
      const upstreamSid = firstHeader(upstream.headers[SESSION]);
      if (upstreamSid && !state.upstreamId) state.upstreamId = upstreamSid;
      const type = firstHeader(upstream.headers['content-type']) ?? '';
      const answered = new Set<string>();
      const relay = async (json: string, message: unknown): Promise<boolean> => {
        for (const rid of responseIds(message)) answered.add(idKey(rid));
        if (init && !Array.isArray(message)) {
          const v = ((message as Record<string, unknown>).result as Record<string, unknown> | undefined)?.protocolVersion;
          if (typeof v === 'string') {
            state.version = v;
            if (isSupportedVersion(v)) state.session.protocolVersion = v;
          }
        }
        return stream.sendMessage(json);
      };
      if (upstream.statusCode === 202 || upstream.statusCode === 204) {
        await upstream.body.dump();
      } else if (type.startsWith('text/event-stream') && upstream.statusCode < 300) {
        const failure = await pumpSse(upstream.body, this.up.maxMessageBytes, this.up.serviceName, async (item, message) => {
          if (item.kind !== 'event' || message === undefined) return !stream.closed;
          return relay(item.event.data, message);
        });
        if (failure) {
          upstream.body.destroy();
          await fail(failure, ids.filter((id) => !answered.has(idKey(id))));
        }
      } else {
        const body = await readUpstreamText(upstream.body, this.up.maxMessageBytes, this.up.serviceName);
        const message = tryParse(body);
        if (looksLikeJsonRpc(message)) await relay(body, message);
        const missing = ids.filter((id) => !answered.has(idKey(id)));
        if (missing.length) await fail(new UpstreamError('UPSTREAM_STATUS', 502, `backend of service "${this.up.serviceName}" answered HTTP ${upstream.statusCode}${body ? `: ${body.slice(0, 200)}` : ''}`), missing);
      }
    } catch (err) {
      await fail(err instanceof UpstreamError ? err : new UpstreamError('UPSTREAM_RESET', 502, (err as Error).message), ids);
    } finally {
      state.inflight.delete(controller);
    }
    if (!state.getOpened && hasInitialized(parsed) && state.upstreamId) {
      state.getOpened = true;
      void this.listen(state);
    }
  }

  /** The backend's GET stream (server-initiated messages), joined to the client's stream. */
  private async listen(state: BridgedStreamableSession): Promise<void> {
    const controller = new AbortController();
    state.inflight.add(controller);
    const headers: Record<string, string> = { accept: 'text/event-stream', [SESSION]: state.upstreamId!, ...this.up.credential.headers };
    if (state.version) headers['mcp-protocol-version'] = state.version;
    try {
      const upstream = await this.up.send(state.endpoint, { method: 'GET', path: this.up.path + upstreamQuery(new URLSearchParams(), this.up.credential), headers, longLived: true, signal: controller.signal });
      if (upstream.statusCode !== 200 || !(firstHeader(upstream.headers['content-type']) ?? '').startsWith('text/event-stream')) {
        await upstream.body.dump();
        return;
      }
      await pumpSse(upstream.body, this.up.maxMessageBytes, this.up.serviceName, async (item, message) => {
        if (item.kind !== 'event' || message === undefined) return !state.stream.closed;
        return state.stream.sendMessage(item.event.data);
      });
    } catch {
      // the GET stream is optional for backends; calls still work without it
    } finally {
      state.inflight.delete(controller);
    }
  }
}

function hasInitialized(parsed: unknown): boolean {
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.some((m) => m && typeof m === 'object' && (m as Record<string, unknown>).method === 'notifications/initialized');
}
