import { JSONRPC_INVALID_REQUEST, parseBody, type JsonRpcId } from '../../protocol/jsonrpc.js';
import { SessionLimitError, type Session } from '../../protocol/session.js';
import { isSupportedVersion } from '../../protocol/versions.js';
import type { RoutedRequest, TransportContext } from '../../transport/context.js';
import { accepts, readBodyOrRefuse, sendJson, sendRpcError } from '../../transport/http-io.js';
import { requestHeadersForUpstream, upstreamQuery } from '../../transport/upstream/forward-headers.js';
import { firstHeader, type McpUpstream, toUpstreamError, UpstreamError } from '../../transport/upstream/streamable-client.js';
import { ClientStream, toolAclFor, upstreamErrorJson } from './client-stream.js';
import { idKey } from './envelope.js';
import { LegacyUpstream } from './legacy-upstream.js';
import type { ChannelOpener, MessageChannel } from './channel.js';
import { attachUpstream, findSession, type UpstreamSession } from './proxy-session.js';
import { pumpItems } from './pump.js';
import { sendUpstreamError } from './streamable-forward.js';
import { admitToolCalls, sendRefusal } from './policy.js';
import { sameCaller } from '../../transport/hosted-session.js';

const SESSION = 'mcp-session-id';
/** Server messages held while no client stream is open (e.g. a list_changed between calls). */
const BACKLOG_LIMIT = 256;

type Msg = Record<string, unknown>;

/** A client request in flight on the multiplexed backend stream, under a gateway-chosen id. */
interface Call {
  upstreamId: number;
  clientId: JsonRpcId;
  sink: ClientStream;
  token?: string;
  isInit: boolean;
  timer: NodeJS.Timeout;
}

interface BridgedSseSession extends UpstreamSession {
  kind: 'bridge-to-sse';
  session: Session;
  legacy: MessageChannel;
  nextId: number;
  calls: Map<number, Call>;
  byClientId: Map<string, number>;
  byToken: Map<string, Call>;
  /** Open POST response streams with calls still pending, newest last. */
  sinks: ClientStream[];
  getStream?: ClientStream;
  backlog: string[];
}

/**
 * Client Streamable HTTP at `/mcp-servers/{name}` to an HTTP+SSE backend. All answers of a session
 * share one backend stream, so client request ids are replaced by gateway ids (unique per session)
 * and restored on the way back; each answer goes to the POST stream that asked for it, progress
 * follows its token, and other server messages go to the newest open stream.
 */
export class BridgeToSse {
  constructor(
    private readonly up: McpUpstream,
    private readonly server: string,
    /** How a session's backend channel opens: a legacy SSE stream unless given (stdio). */
    private readonly connect: ChannelOpener = (r, headers) => LegacyUpstream.open(up, up.pick(), up.path + upstreamQuery(r.query, up.credential), headers),
  ) {}

  async post(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { req, res } = r;
    const accept = firstHeader(req.headers.accept);
    if (!accepts(accept, 'application/json') || !accepts(accept, 'text/event-stream')) {
      return sendRpcError(res, 406, JSONRPC_INVALID_REQUEST, 'NOT_ACCEPTABLE', 'Not Acceptable: the client must accept both application/json and text/event-stream');
    }
    const auth = await ctx.authenticate(r.route, req, res);
    if (!auth.ok) return;
    const sid = firstHeader(req.headers[SESSION]);
    let state: BridgedSseSession | undefined;
    if (sid) {
      state = (await findSession<BridgedSseSession>(ctx, this.server, sid, 'bridge-to-sse'))?.state;
      if (!state) return sendRpcError(res, 404, -32001, 'SESSION_NOT_FOUND', 'Session not found: it expired or was ended; initialize a new one');
      if (!sameCaller(r.route, state.session, auth.consumer, res)) return;
    }
    const text = await readBodyOrRefuse(req, res, ctx.maxBodyBytes);
    if (text === undefined) return;
    const parsed = parseBody(text);
    if (parsed.kind === 'error') return sendJson(res, 400, parsed.response);
    r.exchange?.envelope(parsed.kind === 'single' ? parsed.message : parsed.messages, auth.consumer, Buffer.byteLength(text));
    if (!state) {
      if (parsed.kind !== 'single' || (parsed.message as unknown as Msg).method !== 'initialize') {
        return sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'SESSION_REQUIRED', 'Bad Request: the Mcp-Session-Id header is required (send initialize first)');
      }
      state = await this.start(ctx, r, auth.consumer);
      if (!state) return;
    }
    const single = parsed.kind === 'single';
    const admission = await admitToolCalls(ctx, r.route, auth.consumer, single ? parsed.message : parsed.messages);
    if (admission.refusal) {
      const id = single && 'id' in parsed.message ? (parsed.message.id ?? null) : null;
      return sendRefusal(res, admission.refusal, id, { [SESSION]: state.session.id });
    }
    await this.forward(ctx, r, state, single ? [parsed.message as unknown as Msg] : (parsed.messages as unknown as Msg[]), !single, text, admission.release);
  }

  /** Opens the backend stream and the gateway session for an initialize request. */
  private async start(ctx: TransportContext, r: RoutedRequest, consumer: string | undefined): Promise<BridgedSseSession | undefined> {
    const { req, res } = r;
    let legacy: MessageChannel;
    try {
      legacy = await this.connect(r, requestHeadersForUpstream(req.headers, this.up.credential, req.socket.remoteAddress));
    } catch (err) {
      sendUpstreamError(res, err as UpstreamError);
      return undefined;
    }
    let session: Session;
    try {
      session = ctx.sessions.create({ server: this.server, transport: 'streamable-http', protocolVersion: '2025-03-26', consumer }, { kind: 'bridge-to-sse', ownerOnly: true });
    } catch (err) {
      legacy.close();
      if (err instanceof SessionLimitError) sendRpcError(res, 503, -32000, 'SESSION_LIMIT', err.message, null, { 'retry-after': '5' });
      else throw err;
      return undefined;
    }
    const state: BridgedSseSession = {
      kind: 'bridge-to-sse',
      upstream: this.up,
      endpoint: legacy.endpoint,
      session,
      legacy,
      nextId: 1,
      calls: new Map(),
      byClientId: new Map(),
      byToken: new Map(),
      sinks: [],
      backlog: [],
      close: () => {
        legacy.close();
        this.failAll(state, 'UPSTREAM_RESET', 'the session ended');
        state.getStream?.end();
      },
    };
    attachUpstream(session, state);
    void this.read(ctx, state);
    return state;
  }

  /** Reads the backend stream for the life of the session and routes each message. */
  private async read(ctx: TransportContext, state: BridgedSseSession): Promise<void> {
    const failure = await pumpItems(state.legacy.items(), this.up.serviceName, async (item, message) => {
      if (item.kind !== 'event') return true;
      if (item.event.event === 'endpoint') {
        state.legacy.reannounce(item.event.data, this.up.path);
        return true;
      }
      if (message === undefined) return true;
      if (Array.isArray(message)) {
        for (const m of message) await this.route(state, m as Msg, undefined);
      } else await this.route(state, message as Msg, item.event.data);
      return true;
    });
    const reason = failure ?? new UpstreamError('UPSTREAM_RESET', 502, `backend of service "${this.up.serviceName}" ended the SSE stream`);
    await this.failAll(state, reason.code, reason.message);
    ctx.sessions.end(state.session.id);
  }

  private async route(state: BridgedSseSession, m: Msg, raw: string | undefined): Promise<void> {
    if (typeof m.method !== 'string') {
      const call = typeof m.id === 'number' ? state.calls.get(m.id) : undefined;
      if (!call) return;
      if (call.isInit) {
        const v = (m.result as Msg | undefined)?.protocolVersion;
        if (typeof v === 'string' && isSupportedVersion(v)) state.session.protocolVersion = v;
      }
      await this.finish(state, call, JSON.stringify({ ...m, id: call.clientId }));
      return;
    }
    const json = raw ?? JSON.stringify(m);
    if (m.method === 'notifications/progress') {
      const token = (m.params as Msg | undefined)?.progressToken;
      const call = token === undefined ? undefined : state.byToken.get(idKey(token));
      if (call) {
        call.timer.refresh();
        if (!call.sink.closed) {
          await call.sink.sendMessage(json);
          return;
        }
      }
    }
    const target = this.newestStream(state);
    if (target) await target.sendMessage(json);
    else {
      if (state.backlog.length >= BACKLOG_LIMIT) state.backlog.shift();
      state.backlog.push(json);
    }
  }

  private newestStream(state: BridgedSseSession): ClientStream | undefined {
    for (let i = state.sinks.length - 1; i >= 0; i--) if (!state.sinks[i].closed) return state.sinks[i];
    return state.getStream && !state.getStream.closed ? state.getStream : undefined;
  }

  private async flushBacklog(state: BridgedSseSession, stream: ClientStream): Promise<void> {
    while (state.backlog.length && !stream.closed) await stream.sendMessage(state.backlog.shift()!);
  }

  /** Ends one call: writes its answer (if its stream is still there) and closes the stream after its last call. */
  private async finish(state: BridgedSseSession, call: Call, json: string | undefined): Promise<void> {
    if (!state.calls.delete(call.upstreamId)) return;
    clearTimeout(call.timer);
    state.byClientId.delete(idKey(call.clientId));
    if (call.token !== undefined) state.byToken.delete(call.token);
    const sink = call.sink;
    if (json !== undefined && !sink.closed) await sink.sendMessage(json);
    sink.pending--;
    if (sink.pending <= 0) {
      sink.end();
      const i = state.sinks.indexOf(sink);
      if (i !== -1) state.sinks.splice(i, 1);
    }
  }

  private async failAll(state: BridgedSseSession, code: string, message: string): Promise<void> {
    for (const call of [...state.calls.values()]) await this.finish(state, call, upstreamErrorJson(call.clientId, code, message));
  }

  private async forward(ctx: TransportContext, r: RoutedRequest, state: BridgedSseSession, messages: Msg[], batch: boolean, original: string, release: () => void): Promise<void> {
    const { req, res } = r;
    const calls: Call[] = [];
    const invalid: string[] = [];
    let rewritten = false;
    const out: Msg[] = [];
    let sink: ClientStream | undefined;
    const sinkFor = () => (sink ??= new ClientStream(res, toolAclFor(r.route, state.session.consumer)));
    for (const m of messages) {
      if ('invalid' in m) {
        invalid.push(JSON.stringify({ jsonrpc: '2.0', id: m.id ?? null, error: { code: JSONRPC_INVALID_REQUEST, message: `Invalid Request: ${String(m.invalid)}` } }));
        rewritten = true;
        continue;
      }
      if (typeof m.method === 'string' && 'id' in m && m.id !== null && m.id !== undefined) {
        const upstreamId = state.nextId++;
        const meta = ((m.params as Msg | undefined)?._meta ?? undefined) as Msg | undefined;
        const token = meta?.progressToken === undefined ? undefined : idKey(meta.progressToken);
        const call: Call = {
          upstreamId,
          clientId: m.id as JsonRpcId,
          sink: sinkFor(),
          token,
          isInit: m.method === 'initialize',
          timer: setTimeout(() => void this.expire(state, call), this.up.timeoutMs),
        };
        call.timer.unref();
        calls.push(call);
        out.push({ ...m, id: upstreamId });
        rewritten = true;
      } else if (m.method === 'notifications/cancelled') {
        const params = (m.params ?? {}) as Msg;
        const upstreamId = state.byClientId.get(idKey(params.requestId));
        if (upstreamId !== undefined) {
          out.push({ ...m, params: { ...params, requestId: upstreamId } });
          rewritten = true;
          const call = state.calls.get(upstreamId);
          if (call) void this.finish(state, call, undefined);
        } else out.push(m);
      } else out.push(m);
    }
    if (calls.length === 0) release();
    else sink!.onEnd = release;
    if (sink || invalid.length) {
      const s = sinkFor();
      s.pending += calls.length;
      s.open(200, { [SESSION]: state.session.id }, ctx.keepAliveMs);
      for (const call of calls) {
        state.calls.set(call.upstreamId, call);
        state.byClientId.set(idKey(call.clientId), call.upstreamId);
        if (call.token !== undefined) state.byToken.set(call.token, call);
      }
      for (const json of invalid) await s.sendMessage(json);
      if (calls.length === 0) {
        s.end();
        if (out.length === 0) return;
      } else {
        state.sinks.push(s);
        await this.flushBacklog(state, s);
      }
    }
    if (out.length === 0) return;
    const body = !rewritten && !batch ? original : JSON.stringify(batch ? out : out[0]);
    const headers = requestHeadersForUpstream(req.headers, this.up.credential, req.socket.remoteAddress);
    let failure: UpstreamError | undefined;
    try {
      const upstream = await state.legacy.deliver(body, headers, ctx.maxBodyBytes, r.exchange);
      const detail = upstream.body.slice(0, 200);
      if (upstream.status >= 300) failure = new UpstreamError('UPSTREAM_STATUS', 502, `backend of service "${this.up.serviceName}" refused the message with HTTP ${upstream.status}${detail ? `: ${detail}` : ''}`);
    } catch (err) {
      failure = toUpstreamError(err, this.up.serviceName);
    }
    if (failure) {
      if (calls.length) for (const call of calls) await this.finish(state, call, upstreamErrorJson(call.clientId, failure.code, failure.message));
      else sendUpstreamError(res, failure);
      return;
    }
    if (calls.length === 0 && !res.headersSent) res.writeHead(202).end();
  }

  /** A call got no answer within the service timeout: the client gets an error, the backend a cancellation. */
  private async expire(state: BridgedSseSession, call: Call): Promise<void> {
    if (!state.calls.has(call.upstreamId)) return;
    await this.finish(state, call, upstreamErrorJson(call.clientId, 'UPSTREAM_TIMEOUT', `backend of service "${this.up.serviceName}" did not answer within ${this.up.timeoutMs} ms`));
    const cancel = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: call.upstreamId, reason: 'timed out at the gateway' } });
    state.legacy.deliver(cancel, {}, 64 * 1024).catch(() => undefined);
  }

  async get(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { req, res } = r;
    if (!accepts(firstHeader(req.headers.accept), 'text/event-stream')) {
      return sendRpcError(res, 406, JSONRPC_INVALID_REQUEST, 'NOT_ACCEPTABLE', 'Not Acceptable: GET needs Accept: text/event-stream');
    }
    const auth = await ctx.authenticate(r.route, req, res);
    if (!auth.ok) return;
    const found = await findSession<BridgedSseSession>(ctx, this.server, firstHeader(req.headers[SESSION]), 'bridge-to-sse');
    if (!found) {
      if (!req.headers[SESSION]) return sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'SESSION_REQUIRED', 'Bad Request: the Mcp-Session-Id header is required (send initialize first)');
      return sendRpcError(res, 404, -32001, 'SESSION_NOT_FOUND', 'Session not found: it expired or was ended; initialize a new one');
    }
    const { session, state } = found;
    if (!sameCaller(r.route, session, auth.consumer, res)) return;
    if (state.getStream && !state.getStream.closed) {
      return sendRpcError(res, 409, JSONRPC_INVALID_REQUEST, 'STREAM_EXISTS', 'Conflict: this session already has a GET stream open');
    }
    const stream = new ClientStream(res, toolAclFor(r.route, session.consumer));
    stream.open(200, { [SESSION]: session.id }, ctx.keepAliveMs);
    state.getStream = stream;
    session.pinned = true;
    res.once('close', () => {
      if (state.getStream === stream) state.getStream = undefined;
      session.pinned = false;
      session.lastSeen = Date.now();
    });
    void this.flushBacklog(state, stream);
  }

  async delete(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const auth = await ctx.authenticate(r.route, r.req, r.res);
    if (!auth.ok) return;
    const found = await findSession<BridgedSseSession>(ctx, this.server, firstHeader(r.req.headers[SESSION]), 'bridge-to-sse');
    if (!found) return sendRpcError(r.res, 404, -32001, 'SESSION_NOT_FOUND', 'Session not found: it expired or was ended');
    if (!sameCaller(r.route, found.session, auth.consumer, r.res)) return;
    ctx.sessions.endEverywhere(found.session.id);
    r.res.writeHead(200, { 'content-length': '0' }).end();
  }
}
