import type { Dispatcher } from 'undici';
import { JSONRPC_PARSE_ERROR, type JsonRpcId } from '../../protocol/jsonrpc.js';
import type { RoutedRequest, TransportContext } from '../../transport/context.js';
import { readBodyOrRefuse, sendJson, sendRpcError } from '../../transport/http-io.js';
import { requestHeadersForUpstream, responseHeadersForClient, upstreamQuery } from '../../transport/upstream/forward-headers.js';
import { firstHeader, type McpUpstream, type UpstreamError } from '../../transport/upstream/streamable-client.js';
import { toolAclFor } from './client-stream.js';
import { tryParse } from './envelope.js';
import { MODERN_VERSIONS } from '../../protocol/versions.js';
import { checkModernRequest, headerVersion, isRefusal, isStatelessRequest, type ModernRoute } from './bridge-2026-headers.js';
import { LegacyClientBridge } from './bridge-2026-legacy-client.js';
import { ModernClientBridge } from './bridge-2026-modern-client.js';
import { EraProbe, type EraState } from './bridge-2026-upstream.js';
import { admitToolCalls, sendRefusal } from './policy.js';
import { relayBody, sendUpstreamError } from './streamable-forward.js';

/** Per-server choice: `auto` bridges protocol generations when client and backend differ; `passthrough` never does. */
export type ProtocolBridging = 'auto' | 'passthrough';

/** Long-lived stateless requests: their answer stream stays open with no idle limit. */
const LONG_LIVED = new Set(['subscriptions/listen']);

/**
 * Protocol 2026-07-28 on a direct-proxy server with a Streamable HTTP backend. Stateless requests
 * (an `MCP-Protocol-Version` of 2026-07-28 or later) have their routing headers checked against the
 * body, then pass through to a stateless backend or are bridged to an older one; initialize-based
 * clients of a stateless-only backend get a session the gateway plays. Everything else is left to
 * the session forwarder (`post` returns false).
 */
export class Proxy2026 {
  readonly era: EraProbe;
  private readonly legacyClients: LegacyClientBridge;
  private readonly modernClients: ModernClientBridge;

  constructor(
    private readonly up: McpUpstream,
    private readonly server: string,
    readonly bridging: ProtocolBridging,
  ) {
    this.era = new EraProbe(up);
    this.legacyClients = new LegacyClientBridge(up, server, this.era);
    this.modernClients = new ModernClientBridge(up, server);
  }

  /** The backend's era, or undefined after answering the client with the failure. */
  private async eraOrFail(r: RoutedRequest, id: JsonRpcId = null): Promise<EraState | undefined> {
    try {
      return await this.era.get();
    } catch (err) {
      sendUpstreamError(r.res, err as UpstreamError, id);
      return undefined;
    }
  }

  async post(ctx: TransportContext, r: RoutedRequest): Promise<boolean> {
    if (isStatelessRequest(headerVersion(r.req.headers))) {
      await this.modernPost(ctx, r);
      return true;
    }
    if (this.bridging === 'passthrough') return false;
    const sid = firstHeader(r.req.headers['mcp-session-id']);
    if (sid) {
      if (!this.legacyClients.owns(ctx, sid)) return false;
      await this.legacyClients.post(ctx, r);
      return true;
    }
    // a new initialize-based session: played by the gateway when the backend speaks only 2026-07-28;
    // an unreachable backend is left to the forwarder, which answers the request with the failure
    const era = this.era.known() ?? (await this.era.get().catch(() => undefined));
    if (era?.era !== 'modern') return false;
    await this.legacyClients.post(ctx, r);
    return true;
  }

  async get(ctx: TransportContext, r: RoutedRequest): Promise<boolean> {
    const sid = firstHeader(r.req.headers['mcp-session-id']);
    if (sid && this.bridging === 'auto' && this.legacyClients.owns(ctx, sid)) {
      await this.legacyClients.get(ctx, r);
      return true;
    }
    return false;
  }

  async delete(ctx: TransportContext, r: RoutedRequest): Promise<boolean> {
    const sid = firstHeader(r.req.headers['mcp-session-id']);
    if (sid && this.bridging === 'auto' && this.legacyClients.owns(ctx, sid)) {
      await this.legacyClients.delete(ctx, r);
      return true;
    }
    return false;
  }

  /** A stateless request: headers checked, policy decided from them, then passed through or bridged. */
  private async modernPost(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { req, res } = r;
    const auth = await ctx.authenticate(r.route, req, res);
    if (!auth.ok) return;
    const text = await readBodyOrRefuse(req, res, ctx.maxBodyBytes);
    if (text === undefined) return;
    const parsed = tryParse(text);
    if (parsed === undefined) return sendRpcError(res, 400, JSONRPC_PARSE_ERROR, 'PARSE_ERROR', 'Parse error: the body is not JSON');
    r.exchange?.envelope(parsed, auth.consumer, Buffer.byteLength(text));
    const id = (parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? ((parsed as { id?: JsonRpcId }).id ?? null) : null) as JsonRpcId;
    let bridge = false;
    if (this.bridging === 'auto') {
      const era = this.era.known() ?? (await this.eraOrFail(r, id));
      if (!era) return;
      bridge = era.era === 'legacy';
    }
    // when the gateway answers for the backend it speaks the stateless versions it knows; passed through, the backend judges
    const route = checkModernRequest(req.headers, parsed, bridge ? MODERN_VERSIONS : undefined);
    if (isRefusal(route)) return sendJson(res, route.status, route.response);
    // the tool ACL and rate limits decide from the (now verified) Mcp-Name header
    const admission = await admitToolCalls(ctx, r.route, auth.consumer, route.method === 'tools/call' ? { method: 'tools/call', params: { name: route.name } } : undefined);
    if (admission.refusal) return sendRefusal(res, admission.refusal, id);
    try {
      if (bridge) await this.modernClients.handle(ctx, r, route, auth.consumer);
      else await this.passThrough(ctx, r, text, route, auth.consumer);
    } finally {
      admission.release();
    }
  }

  private async passThrough(ctx: TransportContext, r: RoutedRequest, text: string, route: ModernRoute, consumer: string | undefined): Promise<void> {
    const { req, res } = r;
    const id = ('id' in route.message ? route.message.id : null) as JsonRpcId;
    // closing the stream is how a stateless client cancels: the backend's request is aborted too
    const controller = new AbortController();
    const onClose = () => {
      if (!res.writableFinished) controller.abort();
    };
    res.once('close', onClose);
    try {
      let upstream: Dispatcher.ResponseData;
      try {
        upstream = await this.up.send(this.up.pick(), {
          method: 'POST',
          path: this.up.path + upstreamQuery(r.query, this.up.credential),
          headers: requestHeadersForUpstream(req.headers, this.up.credential, req.socket.remoteAddress),
          body: text,
          signal: controller.signal,
          longLived: LONG_LIVED.has(route.method),
          observer: r.exchange,
        });
      } catch (err) {
        if (controller.signal.aborted) return;
        return sendUpstreamError(res, err as UpstreamError, id);
      }
      await relayBody(upstream, res, responseHeadersForClient(upstream.headers), 'id' in route.message ? [id] : [], this.up, ctx.keepAliveMs, toolAclFor(r.route, consumer));
    } finally {
      res.off('close', onClose);
    }
  }

  /** Ends the cached backend sessions of stateless clients. */
  close(): void {
    this.modernClients.close();
  }
}
