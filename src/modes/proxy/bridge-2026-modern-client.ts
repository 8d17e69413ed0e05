import { randomBytes } from 'node:crypto';
import type { Dispatcher } from 'undici';
import type { JsonRpcId } from '../../protocol/jsonrpc.js';
import { completeResult, REMOVED_IN_MODERN } from '../../protocol/modern.js';
import { SUPPORTED_VERSIONS } from '../../protocol/versions.js';
import type { RoutedRequest, TransportContext } from '../../transport/context.js';
import { requestHeadersForUpstream, upstreamQuery } from '../../transport/upstream/forward-headers.js';
import { firstHeader, type McpUpstream, type UpstreamEndpoint, UpstreamError } from '../../transport/upstream/streamable-client.js';
import { ClientStream, toolAclFor, upstreamErrorJson } from './client-stream.js';
import { META_CLIENT_CAPS, META_CLIENT_INFO, META_LOG_LEVEL, META_SERVER_INFO, META_SUBSCRIPTION, MODERN_VERSION, type ModernRoute } from './bridge-2026-headers.js';
import { Reply } from './bridge-2026-reply.js';
import { GATEWAY_CLIENT_INFO, readMessages } from './bridge-2026-upstream.js';
import { sendUpstreamError } from './streamable-forward.js';

type Msg = Record<string, unknown>;
const SESSION = 'mcp-session-id';
/** The initialize-based version the gateway asks an older backend for. */
const LEGACY_VERSION = '2025-11-25';
/** A cached backend session unused this long (and without listeners) is ended. */
const LINK_IDLE_MS = 10 * 60_000;
/** How long a paused call waits for the client's retry with its input. */
const PARKED_MS = 10 * 60_000;
/** Server requests an input_required result can carry (spec: MRTR). */
const INPUT_METHODS = new Set(['elicitation/create', 'sampling/createMessage', 'roots/list']);

/** One listener: a client's subscriptions/listen stream fed from the backend's GET stream. */
interface Listener {
  id: JsonRpcId;
  stream: ClientStream;
  tools: boolean;
  prompts: boolean;
  resources: boolean;
  uris: Set<string>;
}

/** A backend session the gateway opened for stateless clients (one per consumer and capability set). */
interface Link {
  key: string;
  ep: UpstreamEndpoint;
  id?: string;
  version: string;
  init: Msg;
  nextId: number;
  lastUsed: number;
  busy: number;
  listeners: Set<Listener>;
  subscribed: Map<string, number>;
  get?: { controller: AbortController; ready: Promise<boolean> };
  /** Set when the backend forgot the session or the gateway let it go: the next call opens a new one. */
  dropped?: boolean;
}

/** Where the answer of a paused call goes now: the client request currently waiting for it. */
interface Sink {
  reply: Reply;
  clientId: JsonRpcId;
  logLevel?: string;
  done: () => void;
}

interface Parked {
  server: string;
  consumer?: string;
  method: string;
  resume: (next: { sink: Sink; inputs: Msg } | undefined) => void;
  timer: NodeJS.Timeout;
}

/**
 * Paused calls by requestState token, shared by the rebuilt handlers of a server (a configuration
 * change must not lose a call waiting for its client's retry).
 */
const parked = new Map<string, Parked>();

function capsKey(caps: Msg): string {
  return ['elicitation', 'sampling', 'roots'].filter((k) => caps[k]).join(',');
}

/** The params a backend of an older revision gets: no input fields, no stateless `_meta` keys. */
function legacyParams(params: Msg): Msg {
  const { inputResponses: _i, requestState: _s, _meta, ...rest } = params;
  if (_meta && typeof _meta === 'object') {
    const kept = Object.fromEntries(Object.entries(_meta as Msg).filter(([k]) => !k.startsWith('io.modelcontextprotocol/')));
    if (Object.keys(kept).length) rest._meta = kept;
  }
  return rest;
}

/**
 * A 2026-07-28 client in front of an initialize-based backend: the gateway opens and caches the
 * backend session (initialize once per consumer and capability set, again after a 404), answers
 * server/discover from the initialize result, turns server requests the backend sends while it
 * works on a call into input_required results (the call waits, paused, for the client's retry),
 * and serves subscriptions/listen from the backend's GET stream and resources/subscribe.
 */
export class ModernClientBridge {
  private readonly links = new Map<string, Promise<Link>>();
  private readonly sweeper: NodeJS.Timeout;

  constructor(
    private readonly up: McpUpstream,
    private readonly server: string,
  ) {
    this.sweeper = setInterval(() => this.sweep(), 60_000);
    this.sweeper.unref();
  }

  async handle(ctx: TransportContext, r: RoutedRequest, route: ModernRoute, consumer: string | undefined): Promise<void> {
    const msg = route.message;
    if (!('id' in msg)) return void r.res.writeHead(202).end();
    const id = msg.id as JsonRpcId;
    const params = (msg.params && typeof msg.params === 'object' ? msg.params : {}) as Msg;
    const meta = (params._meta ?? {}) as Msg;
    const caps = (meta[META_CLIENT_CAPS] && typeof meta[META_CLIENT_CAPS] === 'object' ? meta[META_CLIENT_CAPS] : {}) as Msg;
    const reply = new Reply(r.res, firstHeader(r.req.headers.accept), ctx.keepAliveMs, {}, toolAclFor(r.route, consumer));
    if (REMOVED_IN_MODERN.has(route.method)) return reply.final(JSON.stringify({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${route.method} is not part of protocol ${MODERN_VERSION}` } }), 404);
    if (typeof params.requestState === 'string') return this.resume(reply, id, route.method, params, consumer, meta);
    let link: Link;
    try {
      link = await this.link(`${consumer ?? ''}\n${capsKey(caps)}`, caps, meta[META_CLIENT_INFO]);
    } catch (err) {
      return sendUpstreamError(r.res, err as UpstreamError, id);
    }
    if (route.method === 'server/discover') return this.discover(reply, id, link);
    if (route.method === 'subscriptions/listen') return this.listen(ctx, r, link, id, params);
    return this.call(r, reply, link, id, route.method, params, consumer, meta);
  }

  /** The cached backend session for a key, opened when there is none (or the cached one was dropped). */
  private async link(key: string, caps: Msg, clientInfo: unknown): Promise<Link> {
    const cached = this.links.get(key);
    if (cached) {
      const l = await cached.catch(() => undefined);
      if (l && !l.dropped) {
        l.lastUsed = Date.now();
        return l;
      }
      if (this.links.get(key) === cached) this.links.delete(key);
    }
    let p = this.links.get(key);
    if (!p) {
      p = this.open(key, caps, clientInfo);
      this.links.set(key, p);
      const opened = p;
      opened.catch(() => {
        if (this.links.get(key) === opened) this.links.delete(key);
      });
    }
    return p;
  }

  private async open(key: string, caps: Msg, clientInfo: unknown): Promise<Link> {
    const ep = this.up.pick();
    const capabilities: Msg = {};
    for (const k of ['elicitation', 'sampling', 'roots']) if (caps[k]) capabilities[k] = caps[k];
    const body = { jsonrpc: '2.0', id: 'gateway-initialize', method: 'initialize', params: { protocolVersion: LEGACY_VERSION, capabilities, clientInfo: clientInfo ?? GATEWAY_CLIENT_INFO } };
    const upstream = await this.up.send(ep, { method: 'POST', path: this.path(), headers: this.headers(undefined, undefined), body: JSON.stringify(body) });
    let answer: Msg | undefined;
    const failure = await readMessages(upstream, this.up, (m) => {
      if (typeof m.method === 'string') return true;
      answer = m;
      return false;
    });
    const result = answer?.result as Msg | undefined;
    if (!result) throw failure ?? new UpstreamError('UPSTREAM_STATUS', 502, `backend of service "${this.up.serviceName}" refused initialize: ${JSON.stringify(answer?.error ?? upstream.statusCode).slice(0, 200)}`);
    const link: Link = {
      key,
      ep,
      id: firstHeader(upstream.headers[SESSION]),
      version: typeof result.protocolVersion === 'string' ? result.protocolVersion : LEGACY_VERSION,
      init: result,
      nextId: 0,
      lastUsed: Date.now(),
      busy: 0,
      listeners: new Set(),
      subscribed: new Map(),
    };
    const done = await this.up.send(ep, { method: 'POST', path: this.path(), headers: this.headers(link, undefined), body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) });
    await done.body.dump();
    return link;
  }

  private path(): string {
    return this.up.path + upstreamQuery(new URLSearchParams(), this.up.credential);
  }

  private headers(link: Link | undefined, r: RoutedRequest | undefined): Record<string, string> {
    const h: Record<string, string> = r ? requestHeadersForUpstream(r.req.headers, this.up.credential, r.req.socket.remoteAddress) : { ...this.up.credential.headers };
    for (const name of Object.keys(h)) if (name === 'mcp-method' || name === 'mcp-name' || name.startsWith('mcp-param-')) delete h[name];
    h.accept = 'application/json, text/event-stream';
    h['content-type'] = 'application/json';
    if (link?.id) h[SESSION] = link.id;
    if (link) h['mcp-protocol-version'] = link.version;
    else delete h['mcp-protocol-version'];
    return h;
  }

  /** Forgets a backend session (it answered 404 or the gateway let it go); DELETE when it is still alive. */
  private drop(link: Link, tell: boolean): void {
    link.dropped = true;
    const current = this.links.get(link.key);
    if (current) void current.then((l) => l === link && this.links.get(link.key) === current && this.links.delete(link.key), () => undefined);
    link.get?.controller.abort();
    for (const l of link.listeners) l.stream.end();
    if (tell && link.id) {
      void this.up.send(link.ep, { method: 'DELETE', path: this.path(), headers: this.headers(link, undefined) }).then((x) => x.body.dump(), () => undefined);
    }
  }

  /** Sends a message on a link; a 404 (the backend forgot the session) opens a new link and sends again once. */
  private async send(link: Link, body: Msg, r: RoutedRequest | undefined, signal?: AbortSignal): Promise<{ link: Link; upstream: Dispatcher.ResponseData }> {
    const upstream = await this.up.send(link.ep, { method: 'POST', path: this.path(), headers: this.headers(link, r), body: JSON.stringify(body), signal, observer: r?.exchange });
    if (upstream.statusCode !== 404 || !link.id) return { link, upstream };
    await upstream.body.dump();
    this.drop(link, false);
    const fresh = await this.link(link.key, this.capsOf(link), undefined);
    return { link: fresh, upstream: await this.up.send(fresh.ep, { method: 'POST', path: this.path(), headers: this.headers(fresh, r), body: JSON.stringify(body), signal }) };
  }

  /** The capabilities a link's key stands for. */
  private capsOf(link: Link): Msg {
    const names = link.key.slice(link.key.indexOf('\n') + 1).split(',').filter(Boolean);
    return Object.fromEntries(names.map((n) => [n, {}]));
  }

  private discover(reply: Reply, id: JsonRpcId, link: Link): Promise<void> {
    const init = link.init;
    const result: Msg = {
      resultType: 'complete',
      // initialize-based clients of this server are forwarded to the backend, so both generations are spoken
      supportedVersions: [...SUPPORTED_VERSIONS],
      capabilities: init.capabilities ?? {},
      ttlMs: 0,
      cacheScope: 'private',
      _meta: { [META_SERVER_INFO]: init.serverInfo ?? { name: this.server, version: 'unknown' } },
    };
    if (typeof init.instructions === 'string') result.instructions = init.instructions;
    return reply.final(JSON.stringify({ jsonrpc: '2.0', id, result }));
  }

  /** A call forwarded on the link; its answer, progress and server requests go to the caller. */
  private async call(r: RoutedRequest, reply: Reply, link: Link, clientId: JsonRpcId, method: string, params: Msg, consumer: string | undefined, meta: Msg): Promise<void> {
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    let sink: Sink = { reply, clientId, logLevel: typeof meta[META_LOG_LEVEL] === 'string' ? (meta[META_LOG_LEVEL] as string) : undefined, done: finish };
    const upstreamId = `gateway-${++link.nextId}`;
    const controller = new AbortController();
    let paused = false;
    let current = link;
    // closing the stream is the stateless client's cancel; the older backend is told with notifications/cancelled
    const watch = (s: Sink) => {
      s.reply.res.once('close', () => {
        if (!paused && !s.reply.res.writableFinished) this.cancel(current, upstreamId, controller);
      });
    };
    watch(sink);
    current.busy++;
    const run = async () => {
      let upstream: Dispatcher.ResponseData;
      try {
        ({ link: current, upstream } = await this.send(current, { jsonrpc: '2.0', id: upstreamId, method, params: legacyParams(params) }, r, controller.signal));
      } catch (err) {
        if (!controller.signal.aborted) await sink.reply.final(upstreamErrorJson(sink.clientId, (err as UpstreamError).code, (err as UpstreamError).message));
        return;
      }
      controller.signal.addEventListener('abort', () => upstream.body.destroy(), { once: true });
      let answered = false;
      const failure = await readMessages(upstream, this.up, async (m) => {
        if (typeof m.method === 'string' && !('id' in m)) {
          if (m.method === 'notifications/message' && !sink.logLevel) return true;
          if (m.method === 'notifications/progress' || m.method === 'notifications/message') await sink.reply.message(JSON.stringify(m));
          return !controller.signal.aborted;
        }
        if (typeof m.method === 'string') {
          if (!INPUT_METHODS.has(m.method)) {
            await this.answerUpstream(current, { jsonrpc: '2.0', id: m.id, ...(m.method === 'ping' ? { result: {} } : { error: { code: -32601, message: `Method not found: ${m.method}` } }) });
            return true;
          }
          paused = true;
          const next = await this.pause(sink, m, consumer, method);
          paused = false;
          if (!next) {
            this.cancel(current, upstreamId, controller);
            return false;
          }
          sink = next.sink;
          watch(sink);
          const answer = next.inputs.input;
          await this.answerUpstream(current, answer === undefined ? { jsonrpc: '2.0', id: m.id, error: { code: -32603, message: 'the client gave no answer to this request' } } : { jsonrpc: '2.0', id: m.id, result: answer });
          return !controller.signal.aborted;
        }
        if (m.id !== upstreamId) return true;
        answered = true;
        const error = m.error as Msg | undefined;
        if (error) {
          await sink.reply.final(JSON.stringify({ jsonrpc: '2.0', id: sink.clientId, error }), error.code === -32601 ? 404 : 200);
        } else {
          // results a 2026-07-28 client may cache must say for how long; the older backend gave no hint (ttlMs 0)
          const result = completeResult(method, (m.result && typeof m.result === 'object' ? m.result : {}) as Msg);
          await sink.reply.final(JSON.stringify({ jsonrpc: '2.0', id: sink.clientId, result }));
        }
        return false;
      });
      if (!answered && !controller.signal.aborted) {
        await sink.reply.final(upstreamErrorJson(sink.clientId, failure?.code ?? 'UPSTREAM_BAD_STREAM', failure?.message ?? `backend of service "${this.up.serviceName}" ended the answer without a response`));
      }
      upstream.body.destroy();
    };
    void run()
      .catch(() => undefined)
      .finally(() => {
        current.busy--;
        current.lastUsed = Date.now();
        sink.done();
      });
    return finished;
  }

  /**
   * Answers the waiting client with an input_required result carrying the backend's server request
   * and waits for the client's retry (which brings the answer and becomes the new sink).
   */
  private pause(sink: Sink, request: Msg, consumer: string | undefined, method: string): Promise<{ sink: Sink; inputs: Msg } | undefined> {
    const token = randomBytes(18).toString('base64url');
    const result = { resultType: 'input_required', inputRequests: { input: { method: request.method, params: request.params ?? {} } }, requestState: token };
    void sink.reply.final(JSON.stringify({ jsonrpc: '2.0', id: sink.clientId, result })).then(() => sink.done());
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        parked.delete(token);
        resolve(undefined);
      }, PARKED_MS);
      timer.unref();
      parked.set(token, { server: this.server, consumer, method, timer, resume: resolve });
    });
  }

  /** A retry carrying requestState: the paused call continues and answers this request. */
  private async resume(reply: Reply, clientId: JsonRpcId, method: string, params: Msg, consumer: string | undefined, meta: Msg): Promise<void> {
    const token = params.requestState as string;
    const call = parked.get(token);
    if (!call || call.server !== this.server || call.consumer !== consumer || call.method !== method) {
      return reply.final(JSON.stringify({ jsonrpc: '2.0', id: clientId, error: { code: -32602, message: 'Invalid params: requestState is unknown, expired or belongs to another request', data: { code: 'REQUEST_STATE_INVALID' } } }), 400);
    }
    parked.delete(token);
    clearTimeout(call.timer);
    let finish!: () => void;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    const inputs = (params.inputResponses && typeof params.inputResponses === 'object' ? params.inputResponses : {}) as Msg;
    call.resume({ sink: { reply, clientId, logLevel: typeof meta[META_LOG_LEVEL] === 'string' ? (meta[META_LOG_LEVEL] as string) : undefined, done: finish }, inputs });
    return finished;
  }

  private async answerUpstream(link: Link, message: Msg): Promise<void> {
    try {
      const x = await this.up.send(link.ep, { method: 'POST', path: this.path(), headers: this.headers(link, undefined), body: JSON.stringify(message) });
      await x.body.dump();
    } catch {
      // the call then ends with the backend's own error or timeout
    }
  }

  private cancel(link: Link, upstreamId: string, controller: AbortController): void {
    if (controller.signal.aborted) return;
    controller.abort();
    void this.answerUpstream(link, { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: upstreamId, reason: 'the client closed its stream' } });
  }

  /** subscriptions/listen: the backend's GET stream and resources/subscribe, per listener filter. */
  private async listen(ctx: TransportContext, r: RoutedRequest, link: Link, id: JsonRpcId, params: Msg): Promise<void> {
    const wanted = (params.notifications && typeof params.notifications === 'object' ? params.notifications : {}) as Msg;
    const caps = (link.init.capabilities ?? {}) as Record<string, Msg | undefined>;
    const listener: Listener = {
      id,
      stream: new ClientStream(r.res, toolAclFor(r.route, undefined)),
      tools: wanted.toolsListChanged === true && !!caps.tools?.listChanged,
      prompts: wanted.promptsListChanged === true && !!caps.prompts?.listChanged,
      resources: wanted.resourcesListChanged === true && !!caps.resources?.listChanged,
      uris: new Set(caps.resources?.subscribe && Array.isArray(wanted.resourceSubscriptions) ? wanted.resourceSubscriptions.filter((u): u is string => typeof u === 'string') : []),
    };
    if (!(await this.openGet(link))) {
      listener.uris.clear();
      listener.tools = listener.prompts = listener.resources = false;
    }
    for (const uri of listener.uris) {
      const n = link.subscribed.get(uri) ?? 0;
      link.subscribed.set(uri, n + 1);
      if (n === 0) await this.answerUpstream(link, { jsonrpc: '2.0', id: `gateway-sub-${++link.nextId}`, method: 'resources/subscribe', params: { uri } });
    }
    const acked: Msg = {};
    if (listener.tools) acked.toolsListChanged = true;
    if (listener.prompts) acked.promptsListChanged = true;
    if (listener.resources) acked.resourcesListChanged = true;
    if (listener.uris.size) acked.resourceSubscriptions = [...listener.uris];
    listener.stream.open(200, {}, ctx.keepAliveMs);
    link.listeners.add(listener);
    link.busy++;
    await listener.stream.sendMessage(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [META_SUBSCRIPTION]: id }, notifications: acked } }));
    await new Promise<void>((resolve) => (listener.stream.res.destroyed ? resolve() : listener.stream.res.once('close', () => resolve())));
    link.listeners.delete(listener);
    link.busy--;
    link.lastUsed = Date.now();
    for (const uri of listener.uris) {
      const n = (link.subscribed.get(uri) ?? 1) - 1;
      if (n > 0) link.subscribed.set(uri, n);
      else {
        link.subscribed.delete(uri);
        void this.answerUpstream(link, { jsonrpc: '2.0', id: `gateway-unsub-${++link.nextId}`, method: 'resources/unsubscribe', params: { uri } });
      }
    }
    if (link.listeners.size === 0) {
      link.get?.controller.abort();
      link.get = undefined;
    }
  }

  /** Opens the link's GET stream once; resolves false when the backend has none. */
  private openGet(link: Link): Promise<boolean> {
    if (link.get) return link.get.ready;
    const controller = new AbortController();
    let ready!: (ok: boolean) => void;
    const get = { controller, ready: new Promise<boolean>((resolve) => (ready = resolve)) };
    link.get = get;
    void (async () => {
      try {
        const upstream = await this.up.send(link.ep, { method: 'GET', path: this.path(), headers: { ...this.headers(link, undefined), accept: 'text/event-stream' }, longLived: true, signal: controller.signal });
        if (upstream.statusCode !== 200 || !(firstHeader(upstream.headers['content-type']) ?? '').startsWith('text/event-stream')) {
          await upstream.body.dump();
          return ready(false);
        }
        ready(true);
        await readMessages(upstream, this.up, async (m) => {
          if (typeof m.method !== 'string') return true;
          if ('id' in m) {
            await this.answerUpstream(link, { jsonrpc: '2.0', id: m.id, ...(m.method === 'ping' ? { result: {} } : { error: { code: -32601, message: `Method not found: ${m.method} (no client request to attach it to)` } }) });
            return true;
          }
          for (const l of link.listeners) {
            const params = (m.params ?? {}) as Msg;
            const match =
              (m.method === 'notifications/tools/list_changed' && l.tools) ||
              (m.method === 'notifications/prompts/list_changed' && l.prompts) ||
              (m.method === 'notifications/resources/list_changed' && l.resources) ||
              (m.method === 'notifications/resources/updated' && typeof params.uri === 'string' && l.uris.has(params.uri));
            if (match) await l.stream.sendMessage(JSON.stringify({ ...m, params: { ...params, _meta: { ...((params._meta as Msg) ?? {}), [META_SUBSCRIPTION]: l.id } } }));
          }
          return !controller.signal.aborted;
        });
      } catch {
        ready(false);
      } finally {
        if (link.get === get) {
          link.get = undefined;
          // the backend ended the stream: each listener gets the graceful end of its subscription
          for (const l of link.listeners) {
            void l.stream.sendMessage(JSON.stringify({ jsonrpc: '2.0', id: l.id, result: { resultType: 'complete', _meta: { [META_SUBSCRIPTION]: l.id } } })).then(() => l.stream.end());
          }
        }
      }
    })();
    return get.ready;
  }

  private sweep(): void {
    const cutoff = Date.now() - LINK_IDLE_MS;
    for (const p of [...this.links.values()]) {
      void p.then((link) => {
        if (link.busy === 0 && link.listeners.size === 0 && link.lastUsed < cutoff) this.drop(link, true);
      }, () => undefined);
    }
  }

  /** Ends every cached backend session (the server left the configuration or the gateway stops). */
  close(): void {
    clearInterval(this.sweeper);
    for (const p of this.links.values()) void p.then((link) => this.drop(link, true), () => undefined);
    this.links.clear();
    for (const [token, call] of parked) {
      if (call.server !== this.server) continue;
      clearTimeout(call.timer);
      call.resume(undefined);
      parked.delete(token);
    }
  }
}
