import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { Agent, request } from 'undici';
import type { Logger } from '../observe/logger.js';
import type { RoutedRequest, SessionRelay, TransportContext } from '../transport/context.js';
import { readBodyOrRefuse, sendRpcError } from '../transport/http-io.js';
import type { ClusterBus } from './bus.js';
import type { SessionTokens } from './session-token.js';

/** Marks a request the owner replays to itself, so it is served there and never relayed again. */
export const RELAYED_HEADER = 'x-mcpgw-relayed-from';
/** How long the owner may take to answer with status and headers. */
const HEAD_TIMEOUT_MS = 30_000;
/** A relay that heard nothing for this long asks Redis whether its owner is still subscribed. */
const OWNER_CHECK_MS = 5_000;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'proxy-authorization', 'proxy-connection', 'content-length']);

/** Messages on a replica's channel: requests to it (req, abort) and answers to its relays (head, data, end, fail). */
type RelayMessage =
  | { t: 'req'; c: string; f: string; m: string; p: string; h: Record<string, string>; b?: string }
  | { t: 'abort'; c: string }
  | { t: 'head'; c: string; s: number; h: Record<string, string | string[]> }
  | { t: 'data'; c: string; d: string }
  | { t: 'end'; c: string }
  | { t: 'fail'; c: string; code: string; message: string };

interface Pending {
  owner: string;
  onMessage(m: RelayMessage): void;
}

function plainHeaders(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) {
    if (v === undefined || HOP_BY_HOP.has(k) || k === RELAYED_HEADER) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : v;
  }
  return out;
}

function sessionIdOf(r: RoutedRequest): string | undefined {
  const h = r.req.headers['mcp-session-id'];
  return (Array.isArray(h) ? h[0] : h) ?? r.query.get('sessionId') ?? r.query.get('session_id') ?? undefined;
}

/**
 * Requests for a session whose streams live on another replica (legacy SSE, stateful bridges) go to
 * that replica over Redis pub/sub; it replays them to its own data plane and streams the answer
 * back (status, headers, body chunks), which this replica writes to the client.
 */
export class OwnerRelay implements SessionRelay {
  private readonly pending = new Map<string, Pending>();
  private readonly serving = new Map<string, AbortController>();
  private readonly agent = new Agent({ headersTimeout: 0, bodyTimeout: 0, connections: null });

  constructor(
    private readonly instanceId: string,
    private readonly tokens: SessionTokens,
    private readonly bus: ClusterBus,
    /** This replica's own data plane (http://host:port), once it listens. */
    private readonly selfUrl: () => string | undefined,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.bus.subscribe(`replica:${this.instanceId}`, (text) => this.onMessage(JSON.parse(text) as RelayMessage));
  }

  async relay(ctx: TransportContext, r: RoutedRequest): Promise<boolean> {
    if (r.req.headers[RELAYED_HEADER] !== undefined) return false;
    const id = sessionIdOf(r);
    if (!id || ctx.sessions.has(id)) return false;
    const claims = this.tokens.open(id);
    if (!claims?.ownerOnly || claims.owner === this.instanceId || claims.server !== r.route.name) return false;
    await this.forward(ctx, r, claims.owner);
    return true;
  }

  private async forward(ctx: TransportContext, r: RoutedRequest, owner: string): Promise<void> {
    const { req, res } = r;
    let body: string | undefined;
    if (req.method === 'POST') {
      body = await readBodyOrRefuse(req, res, ctx.maxBodyBytes);
      if (body === undefined) return;
    }
    const c = randomUUID();
    let heard = Date.now();
    let done = false;
    const finish = () => {
      if (done) return;
      done = true;
      this.pending.delete(c);
      clearTimeout(headTimer);
      clearInterval(ownerCheck);
    };
    const ownerGone = () => {
      finish();
      if (!res.headersSent) sendRpcError(res, 404, -32001, 'SESSION_OWNER_GONE', 'Session not found: the replica holding this session\'s stream is gone; start a new session');
      else res.end();
    };
    const ownerCheck = setInterval(() => {
      if (Date.now() - heard < OWNER_CHECK_MS) return;
      this.bus.listeners(`replica:${owner}`).then(
        (n) => {
          if (n === 0 && !done) ownerGone();
        },
        () => undefined,
      );
    }, OWNER_CHECK_MS);
    ownerCheck.unref();
    this.pending.set(c, {
      owner,
      onMessage: (m) => {
        heard = Date.now();
        if (m.t === 'head') {
          clearTimeout(headTimer);
          if (!res.headersSent) res.writeHead(m.s, m.h);
          res.flushHeaders();
        } else if (m.t === 'data') {
          res.write(Buffer.from(m.d, 'base64'));
        } else if (m.t === 'end') {
          finish();
          res.end();
        } else if (m.t === 'fail') {
          finish();
          if (!res.headersSent) sendRpcError(res, 502, -32000, m.code, m.message);
          else res.end();
        }
      },
    });
    res.once('close', () => {
      if (done) return;
      finish();
      this.bus.publish(`replica:${owner}`, JSON.stringify({ t: 'abort', c })).catch(() => undefined);
    });
    const headTimer = setTimeout(() => {
      if (done) return;
      finish();
      this.bus.publish(`replica:${owner}`, JSON.stringify({ t: 'abort', c })).catch(() => undefined);
      sendRpcError(res, 504, -32000, 'RELAY_TIMEOUT', 'Gateway Timeout: the replica holding this session did not answer');
    }, HEAD_TIMEOUT_MS);
    headTimer.unref();
    const message: RelayMessage = { t: 'req', c, f: this.instanceId, m: req.method ?? 'GET', p: req.url ?? '/', h: plainHeaders(req.headers), b: body };
    let received: number;
    try {
      received = await this.bus.publish(`replica:${owner}`, JSON.stringify(message));
    } catch {
      finish();
      sendRpcError(res, 503, -32000, 'CLUSTER_UNAVAILABLE', 'Service Unavailable: the replica holding this session cannot be reached (Redis is unavailable); retry shortly');
      return;
    }
    if (received === 0 && !done) ownerGone();
  }

  private onMessage(m: RelayMessage): void {
    if (m.t === 'req') return void this.serve(m);
    if (m.t === 'abort') return void this.serving.get(m.c)?.abort();
    this.pending.get(m.c)?.onMessage(m);
  }

  /** Replays a relayed request to this replica's data plane and streams the answer back to the sender. */
  private async serve(m: Extract<RelayMessage, { t: 'req' }>): Promise<void> {
    const reply = (msg: RelayMessage) => this.bus.publish(`replica:${m.f}`, JSON.stringify(msg));
    const base = this.selfUrl();
    if (!base || !m.p.startsWith('/')) {
      await reply({ t: 'fail', c: m.c, code: 'RELAY_FAILED', message: 'the replica holding this session is not serving yet' }).catch(() => undefined);
      return;
    }
    const controller = new AbortController();
    this.serving.set(m.c, controller);
    try {
      const upstream = await request(base + m.p, {
        method: m.m as 'GET',
        headers: { ...m.h, [RELAYED_HEADER]: m.f },
        body: m.b,
        signal: controller.signal,
        dispatcher: this.agent,
      });
      await reply({ t: 'head', c: m.c, s: upstream.statusCode, h: plainHeaders(upstream.headers) as Record<string, string> });
      for await (const chunk of upstream.body) await reply({ t: 'data', c: m.c, d: (chunk as Buffer).toString('base64') });
      await reply({ t: 'end', c: m.c });
    } catch (err) {
      if (!controller.signal.aborted) {
        this.log.debug({ err: (err as Error).message }, 'relayed request failed');
        await reply({ t: 'fail', c: m.c, code: 'RELAY_FAILED', message: 'the replica holding this session could not serve the request' }).catch(() => undefined);
      }
    } finally {
      this.serving.delete(m.c);
    }
  }

  close(): void {
    for (const c of this.serving.values()) c.abort();
    this.serving.clear();
    void this.agent.close().catch(() => undefined);
  }
}
