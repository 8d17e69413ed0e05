import type { Dispatcher } from 'undici';
import { JSONRPC_INVALID_REQUEST, JSONRPC_PARSE_ERROR, type JsonRpcId } from '../../protocol/jsonrpc.js';
import { SessionLimitError, type Session } from '../../protocol/session.js';
import { legacyResult } from '../../protocol/modern.js';
import { negotiateVersion } from '../../protocol/versions.js';
import type { RoutedRequest, TransportContext } from '../../transport/context.js';
import { sameCaller } from '../../transport/hosted-session.js';
import { readBodyOrRefuse, sendJson, sendRpcError } from '../../transport/http-io.js';
import { requestHeadersForUpstream } from '../../transport/upstream/forward-headers.js';
import { firstHeader, type McpUpstream, type UpstreamEndpoint, type UpstreamError } from '../../transport/upstream/streamable-client.js';
import { ClientStream, toolAclFor, upstreamErrorJson } from './client-stream.js';
import { idKey, tryParse } from './envelope.js';
import { META_CLIENT_CAPS, META_CLIENT_INFO, META_LOG_LEVEL, META_SERVER_INFO, META_SUBSCRIPTION, META_VERSION, MODERN_VERSION } from './bridge-2026-headers.js';
import { Reply } from './bridge-2026-reply.js';
import { type EraProbe, readMessages, sendModern } from './bridge-2026-upstream.js';
import { admitToolCalls, sendRefusal } from './policy.js';
import { attachUpstream, findSession, heldSession, type UpstreamSession } from './proxy-session.js';
import { sendUpstreamError } from './streamable-forward.js';

type Msg = Record<string, unknown>;
const SESSION = 'mcp-session-id';
/** A request retried more often than this with input_required answers is given up. */
const MAX_INPUT_ROUNDS = 10;
/** How long the gateway waits for the client to answer a server request (a human may be asked). */
const INPUT_WAIT_MS = 10 * 60_000;

/** A gateway session of an initialize-based client whose backend speaks only 2026-07-28. */
interface PlayedSession extends UpstreamSession {
  kind: 'bridge-2026-legacy-client';
  session: Session;
  clientInfo: unknown;
  capabilities: Msg;
  logLevel?: string;
  subscriptions: Set<string>;
  /** The client's GET stream, fed by a subscriptions/listen request upstream. */
  listening?: { stream: ClientStream; controller?: AbortController; acked?: () => void };
  /** Server requests sent to the client, by gateway id, waiting for the client's answer. */
  waiting: Map<string, (answer: Msg) => void>;
  /** Client requests in flight upstream, by client id (notifications/cancelled aborts them). */
  inflight: Map<string, AbortController>;
  nextId: number;
}

function sessionGone(r: RoutedRequest): void {
  sendRpcError(r.res, 404, -32001, 'SESSION_NOT_FOUND', 'Session not found: it expired or was ended; initialize a new one');
}

/** The `_meta` of a stateless request made for this session's client. */
function metaFor(state: PlayedSession, own: unknown): Msg {
  const meta: Msg = { ...(own && typeof own === 'object' ? (own as Msg) : {}), [META_VERSION]: MODERN_VERSION, [META_CLIENT_CAPS]: state.capabilities };
  if (state.clientInfo) meta[META_CLIENT_INFO] = state.clientInfo;
  if (state.logLevel) meta[META_LOG_LEVEL] = state.logLevel;
  return meta;
}

/**
 * An initialize-based client (2024-11-05 … 2025-11-25, Streamable HTTP) in front of a backend that
 * speaks only 2026-07-28: the gateway plays the session. It answers initialize from the backend's
 * server/discover and issues its own session id; each request becomes a stateless one carrying the
 * client's version, identity and capabilities; input_required results become server requests on
 * the client's stream and the answers go into the retried request; the GET stream and
 * resources/subscribe become subscriptions/listen; ping and logging/setLevel are answered here.
 */
export class LegacyClientBridge {
  constructor(
    private readonly up: McpUpstream,
    private readonly server: string,
    private readonly era: EraProbe,
  ) {}

  /** True when `sid` is a live session of this bridge (its requests come here, not to the forwarder). */
  owns(ctx: TransportContext, sid: string): boolean {
    return !!heldSession<PlayedSession>(ctx, this.server, sid, 'bridge-2026-legacy-client');
  }

  async post(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { req, res } = r;
    const auth = await ctx.authenticate(r.route, req, res);
    if (!auth.ok) return;
    const sid = firstHeader(req.headers[SESSION]);
    const found = sid ? await findSession<PlayedSession>(ctx, this.server, sid, 'bridge-2026-legacy-client') : undefined;
    if (sid && !found) return sessionGone(r);
    if (found && !sameCaller(r.route, found.session, auth.consumer, res)) return;
    const text = await readBodyOrRefuse(req, res, ctx.maxBodyBytes);
    if (text === undefined) return;
    const parsed = tryParse(text);
    if (parsed === undefined) return sendRpcError(res, 400, JSONRPC_PARSE_ERROR, 'PARSE_ERROR', 'Parse error: the body is not JSON');
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed) || (parsed as Msg).jsonrpc !== '2.0') {
      return sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'INVALID_REQUEST', 'Invalid Request: one JSON-RPC message per POST (batches are not bridged to a 2026-07-28 backend)');
    }
    const msg = parsed as Msg;
    r.exchange?.envelope(msg, auth.consumer, Buffer.byteLength(text));
    if (!found) {
      if (msg.method !== 'initialize') return sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'SESSION_REQUIRED', 'Bad Request: no session; send initialize first');
      return this.initialize(ctx, r, msg, auth.consumer);
    }
    const { session, state } = found;
    if (typeof msg.method !== 'string') {
      // the client's answer to a server request the gateway made from an input_required result
      state.waiting.get(idKey(msg.id))?.(msg);
      return void res.writeHead(202).end();
    }
    const params = (msg.params && typeof msg.params === 'object' ? msg.params : {}) as Msg;
    if (!('id' in msg)) {
      if (msg.method === 'notifications/initialized') session.initialized = true;
      if (msg.method === 'notifications/cancelled') state.inflight.get(idKey(params.requestId))?.abort();
      return void res.writeHead(202).end();
    }
    const id = msg.id as JsonRpcId;
    const headers = { [SESSION]: session.id };
    const ok = (result: Msg) => sendJson(res, 200, { jsonrpc: '2.0', id, result }, headers);
    switch (msg.method) {
      case 'ping':
        return ok({});
      case 'logging/setLevel':
        state.logLevel = typeof params.level === 'string' ? params.level : undefined;
        return ok({});
      case 'resources/subscribe':
      case 'resources/unsubscribe':
        if (typeof params.uri !== 'string') return sendJson(res, 200, { jsonrpc: '2.0', id, error: { code: -32602, message: 'Invalid params: uri is required' } }, headers);
        if (msg.method === 'resources/subscribe') state.subscriptions.add(params.uri);
        else state.subscriptions.delete(params.uri);
        await this.relisten(state);
        return ok({});
    }
    const admission = await admitToolCalls(ctx, r.route, session.consumer, msg);
    if (admission.refusal) return sendRefusal(res, admission.refusal, id, headers);
    try {
      await this.exchange(ctx, r, state, msg, id);
    } finally {
      admission.release();
    }
  }

  private async initialize(ctx: TransportContext, r: RoutedRequest, msg: Msg, consumer: string | undefined): Promise<void> {
    const id = (msg.id ?? null) as JsonRpcId;
    let discover: Msg | undefined;
    try {
      discover = (await this.era.get()).discover;
    } catch (err) {
      return sendUpstreamError(r.res, err as UpstreamError, id);
    }
    if (!discover) return sendRpcError(r.res, 502, -32002, 'UPSTREAM_BAD_STREAM', `backend of service "${this.up.serviceName}" gave no server/discover result`, id);
    const params = (msg.params ?? {}) as Msg;
    const version = negotiateVersion(params.protocolVersion);
    let ep: UpstreamEndpoint;
    let session: Session;
    try {
      ep = this.up.pick();
      session = ctx.sessions.create({ server: this.server, transport: 'streamable-http', protocolVersion: version, consumer, clientInfo: params.clientInfo, clientCapabilities: params.capabilities as Msg }, { kind: 'bridge-2026-legacy-client', ownerOnly: true });
    } catch (err) {
      if (err instanceof SessionLimitError) return sendRpcError(r.res, 503, -32000, 'SESSION_LIMIT', err.message, id, { 'retry-after': '5' });
      return sendUpstreamError(r.res, err as UpstreamError, id);
    }
    const state: PlayedSession = {
      kind: 'bridge-2026-legacy-client',
      upstream: this.up,
      endpoint: ep,
      session,
      clientInfo: params.clientInfo,
      capabilities: (params.capabilities && typeof params.capabilities === 'object' ? params.capabilities : {}) as Msg,
      subscriptions: new Set(),
      waiting: new Map(),
      inflight: new Map(),
      nextId: 0,
      close() {
        for (const c of state.inflight.values()) c.abort();
        state.listening?.controller?.abort();
        state.listening?.stream.end();
        state.listening = undefined;
      },
    };
    attachUpstream(session, state);
    const meta = (discover._meta ?? {}) as Msg;
    const result: Msg = {
      protocolVersion: version,
      capabilities: discover.capabilities ?? {},
      serverInfo: meta[META_SERVER_INFO] ?? { name: this.server, version: 'unknown' },
    };
    if (typeof discover.instructions === 'string') result.instructions = discover.instructions;
    sendJson(r.res, 200, { jsonrpc: '2.0', id, result }, { [SESSION]: session.id });
  }

  /** One client request as stateless requests upstream, retried with the client's input while the backend asks for it. */
  private async exchange(ctx: TransportContext, r: RoutedRequest, state: PlayedSession, msg: Msg, clientId: JsonRpcId): Promise<void> {
    const reply = new Reply(r.res, firstHeader(r.req.headers.accept), ctx.keepAliveMs, { [SESSION]: state.session.id }, toolAclFor(r.route, state.session.consumer));
    const controller = new AbortController();
    const key = idKey(clientId);
    state.inflight.set(key, controller);
    const onClose = () => {
      if (!r.res.writableFinished) controller.abort();
    };
    r.res.once('close', onClose);
    const base = (msg.params && typeof msg.params === 'object' ? msg.params : {}) as Msg;
    let params: Msg = base;
    try {
      for (let round = 0; round <= MAX_INPUT_ROUNDS; round++) {
        const body: Msg = { jsonrpc: '2.0', id: round === 0 ? clientId : `${String(clientId)}~${round}`, method: msg.method, params: { ...params, _meta: metaFor(state, base._meta) } };
        let upstream: Dispatcher.ResponseData;
        try {
          upstream = await sendModern(this.up, state.endpoint, body, requestHeadersForUpstream(r.req.headers, this.up.credential, r.req.socket.remoteAddress), controller.signal, false, r.exchange);
        } catch (err) {
          if (controller.signal.aborted) return;
          return reply.final(upstreamErrorJson(clientId, (err as UpstreamError).code, (err as UpstreamError).message));
        }
        const abortBody = () => upstream.body.destroy();
        controller.signal.addEventListener('abort', abortBody, { once: true });
        let answer: Msg | undefined;
        const failure = await readMessages(upstream, this.up, async (m) => {
          if (typeof m.method === 'string') {
            // request-scoped notifications go to the client's stream; servers of this revision send no requests here
            if (!('id' in m)) await reply.message(JSON.stringify(m));
            return !controller.signal.aborted;
          }
          answer = m;
          return false;
        });
        controller.signal.removeEventListener('abort', abortBody);
        if (controller.signal.aborted) return;
        if (!answer) return reply.final(upstreamErrorJson(clientId, failure?.code ?? 'UPSTREAM_BAD_STREAM', failure?.message ?? `backend of service "${this.up.serviceName}" ended the answer without a response`));
        upstream.body.destroy();
        const result = answer.result as Msg | undefined;
        if (result?.resultType !== 'input_required') return reply.final(JSON.stringify(result ? { jsonrpc: '2.0', id: clientId, result: legacyResult(result) } : { ...answer, id: clientId }));
        const inputs = await this.askClient(state, reply, result.inputRequests, controller.signal);
        if (controller.signal.aborted) return;
        if ('error' in inputs) return reply.final(JSON.stringify({ jsonrpc: '2.0', id: clientId, error: inputs.error }));
        params = { ...base, inputResponses: inputs.answers };
        if (typeof result.requestState === 'string') params.requestState = result.requestState;
      }
      await reply.final(JSON.stringify({ jsonrpc: '2.0', id: clientId, error: { code: -32603, message: `the backend asked for input more than ${MAX_INPUT_ROUNDS} times`, data: { code: 'UPSTREAM_INPUT_LOOP' } } }));
    } finally {
      r.res.off('close', onClose);
      if (state.inflight.get(key) === controller) state.inflight.delete(key);
    }
  }

  /** Sends the backend's input requests to the client as server requests and collects the answers. */
  private async askClient(state: PlayedSession, reply: Reply, requests: unknown, signal: AbortSignal): Promise<{ answers: Msg } | { error: Msg }> {
    const entries = requests && typeof requests === 'object' ? Object.entries(requests as Record<string, Msg>) : [];
    const pending: Array<Promise<[string, Msg]>> = [];
    const ids: string[] = [];
    for (const [key, request] of entries) {
      const id = `gateway-input-${++state.nextId}`;
      ids.push(idKey(id));
      pending.push(new Promise<[string, Msg]>((resolve) => state.waiting.set(idKey(id), (answer) => resolve([key, answer]))));
      const text = JSON.stringify({ jsonrpc: '2.0', id, method: request?.method, params: request?.params ?? {} });
      const sent = (await reply.message(text)) || (!!state.listening && (await state.listening.stream.sendMessage(text)));
      if (!sent) {
        for (const k of ids) state.waiting.delete(k);
        return { error: { code: -32603, message: 'the backend needs input from the client, but the client accepts no event stream for this request and has no GET stream open', data: { code: 'INPUT_UNDELIVERABLE' } } };
      }
    }
    let timer: NodeJS.Timeout | undefined;
    const stop = new Promise<'stop'>((resolve) => {
      timer = setTimeout(() => resolve('stop'), INPUT_WAIT_MS);
      signal.addEventListener('abort', () => resolve('stop'), { once: true });
    });
    try {
      const answers: Msg = {};
      for (const p of pending) {
        const got = await Promise.race([p, stop]);
        if (got === 'stop') return { error: { code: -32603, message: 'the client did not answer the backend\'s input request', data: { code: 'INPUT_TIMEOUT' } } };
        const [key, answer] = got;
        if ('error' in answer) return { error: answer.error as Msg };
        answers[key] = answer.result;
      }
      return { answers };
    } finally {
      clearTimeout(timer);
      for (const k of ids) state.waiting.delete(k);
    }
  }

  /** The caller's own played session named by the request, or undefined once an answer has been sent. */
  private async callersSession(ctx: TransportContext, r: RoutedRequest) {
    const auth = await ctx.authenticate(r.route, r.req, r.res);
    if (!auth.ok) return undefined;
    const found = await findSession<PlayedSession>(ctx, this.server, firstHeader(r.req.headers[SESSION]), 'bridge-2026-legacy-client');
    if (!found) {
      sessionGone(r);
      return undefined;
    }
    return sameCaller(r.route, found.session, auth.consumer, r.res) ? found : undefined;
  }

  async get(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { res } = r;
    const found = await this.callersSession(ctx, r);
    if (!found) return;
    const { session, state } = found;
    state.listening?.controller?.abort();
    state.listening?.stream.end();
    const stream = new ClientStream(res, toolAclFor(r.route, session.consumer));
    stream.open(200, { [SESSION]: session.id }, ctx.keepAliveMs);
    const listening: NonNullable<PlayedSession['listening']> = { stream };
    state.listening = listening;
    session.pinned = true;
    res.once('close', () => {
      listening.controller?.abort();
      if (state.listening === listening) {
        state.listening = undefined;
        session.pinned = false;
        session.lastSeen = Date.now();
      }
    });
    void this.listen(state, listening);
  }

  /** Feeds the client's GET stream from subscriptions/listen upstream, re-opened when the subscriptions change. */
  private async listen(state: PlayedSession, listening: NonNullable<PlayedSession['listening']>): Promise<void> {
    let failures = 0;
    while (state.listening === listening && !listening.stream.closed && failures < 5) {
      const controller = new AbortController();
      listening.controller = controller;
      const notifications: Msg = { toolsListChanged: true, promptsListChanged: true, resourcesListChanged: true };
      if (state.subscriptions.size) notifications.resourceSubscriptions = [...state.subscriptions];
      const body: Msg = { jsonrpc: '2.0', id: `gateway-listen-${++state.nextId}`, method: 'subscriptions/listen', params: { notifications, _meta: metaFor(state, undefined) } };
      try {
        const upstream = await sendModern(this.up, state.endpoint, body, { ...this.up.credential.headers }, controller.signal, true);
        controller.signal.addEventListener('abort', () => upstream.body.destroy(), { once: true });
        let acknowledged = false;
        await readMessages(upstream, this.up, async (m) => {
          if (m.method === 'notifications/subscriptions/acknowledged') {
            acknowledged = true;
            failures = 0;
            listening.acked?.();
            return true;
          }
          if (typeof m.method !== 'string' || 'id' in m) return false;
          return listening.stream.sendMessage(JSON.stringify(withoutSubscriptionId(m)));
        });
        if (!acknowledged) failures++;
      } catch {
        failures++;
      }
      // a listen that ended on its own (not re-opened by relisten) releases a waiting subscribe
      if (!controller.signal.aborted) listening.acked?.();
      if (!controller.signal.aborted) await new Promise((resolve) => setTimeout(resolve, Math.min(200 * 2 ** failures, 5000)));
    }
    if (state.listening === listening && failures >= 5) listening.stream.end();
  }

  /** Re-opens the upstream listen with the current subscriptions; resolves once the backend acknowledged it. */
  private relisten(state: PlayedSession): Promise<void> {
    const listening = state.listening;
    if (!listening || !listening.controller) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, this.up.timeoutMs);
      listening.acked = () => {
        clearTimeout(timer);
        listening.acked = undefined;
        resolve();
      };
      listening.controller!.abort();
    });
  }

  async delete(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const found = await this.callersSession(ctx, r);
    if (!found) return;
    ctx.sessions.endEverywhere(found.session.id);
    r.res.writeHead(200).end();
  }
}

/** A notification without the subscription tag (initialize-based clients do not know it). */
function withoutSubscriptionId(m: Msg): Msg {
  const params = m.params as Msg | undefined;
  const meta = params?._meta as Msg | undefined;
  if (!meta || !(META_SUBSCRIPTION in meta)) return m;
  const { [META_SUBSCRIPTION]: _drop, ...rest } = meta;
  const p: Msg = { ...params };
  if (Object.keys(rest).length) p._meta = rest;
  else delete p._meta;
  return { ...m, params: p };
}
