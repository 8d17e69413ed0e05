import type { Dispatcher } from 'undici';
import type { UpstreamObserver } from '../../observe/exchange.js';
import { isLegacyVersion } from '../../protocol/versions.js';
import { upstreamQuery } from '../../transport/upstream/forward-headers.js';
import { firstHeader, type McpUpstream, readUpstreamText, toUpstreamError, type UpstreamEndpoint, UpstreamError } from '../../transport/upstream/streamable-client.js';
import { looksLikeJsonRpc, tryParse } from './envelope.js';
import { META_CLIENT_CAPS, META_CLIENT_INFO, META_VERSION, MODERN_VERSION, modernHeaders } from './bridge-2026-headers.js';
import { pumpSse } from './pump.js';

type Msg = Record<string, unknown>;

/** Which protocol generation a backend speaks: stateless only, both, or only the initialize-based ones. */
export type UpstreamEra = 'modern' | 'dual' | 'legacy';

/** How long a probe result is trusted before the backend is asked again. */
const ERA_TTL_MS = 5 * 60_000;
export const GATEWAY_CLIENT_INFO = { name: 'mcp-gateway', version: '1' };

export interface EraState {
  era: UpstreamEra;
  /** The backend's server/discover result (modern and dual backends). */
  discover?: Msg;
  at: number;
}

/**
 * Reads a backend answer, JSON or an event stream, handing each JSON-RPC message to `onMessage`
 * (which may wait, e.g. for the client socket, and returns false to stop). Returns the failure, if
 * any; a body that is neither is a failure too.
 */
export async function readMessages(upstream: Dispatcher.ResponseData, up: McpUpstream, onMessage: (m: Msg) => Promise<boolean> | boolean): Promise<UpstreamError | undefined> {
  const type = firstHeader(upstream.headers['content-type']) ?? '';
  if (type.startsWith('text/event-stream')) {
    const failure = await pumpSse(upstream.body, up.maxMessageBytes, up.serviceName, async (item, message) => {
      if (item.kind !== 'event' || message === undefined) return true;
      if (Array.isArray(message)) {
        for (const m of message) if (!(await onMessage(m as Msg))) return false;
        return true;
      }
      return onMessage(message as Msg);
    });
    if (failure) upstream.body.destroy();
    return failure;
  }
  if (upstream.statusCode === 202 || upstream.statusCode === 204) {
    await upstream.body.dump();
    return undefined;
  }
  let text: string;
  try {
    text = await readUpstreamText(upstream.body, up.maxMessageBytes, up.serviceName);
  } catch (err) {
    return toUpstreamError(err, up.serviceName);
  }
  const parsed = tryParse(text);
  if (!looksLikeJsonRpc(parsed)) return new UpstreamError('UPSTREAM_STATUS', 502, `backend of service "${up.serviceName}" answered HTTP ${upstream.statusCode}${text ? `: ${text.slice(0, 200)}` : ''}`);
  for (const m of Array.isArray(parsed) ? parsed : [parsed]) if (!(await onMessage(m as Msg))) break;
  return undefined;
}

/** The `_meta` a stateless request carries for the gateway when it asks on its own behalf. */
export function gatewayMeta(capabilities: Msg = {}): Msg {
  return { [META_VERSION]: MODERN_VERSION, [META_CLIENT_INFO]: GATEWAY_CLIENT_INFO, [META_CLIENT_CAPS]: capabilities };
}

/** Sends one stateless request upstream (headers from the body) and resolves on response headers. */
export function sendModern(up: McpUpstream, ep: UpstreamEndpoint, body: Msg, extraHeaders: Record<string, string>, signal?: AbortSignal, longLived = false, observer?: UpstreamObserver): Promise<Dispatcher.ResponseData> {
  const headers = { ...extraHeaders, ...modernHeaders(body.method as string, body.params as Msg | undefined), ...up.credential.headers };
  return up.send(ep, { method: 'POST', path: up.path + upstreamQuery(new URLSearchParams(), up.credential), headers, body: JSON.stringify(body), signal, longLived, observer });
}

/**
 * Learns and caches a backend's era by sending `server/discover` (spec: a modern request first;
 * anything but a recognised modern answer means an initialize-based server). One probe at a time.
 */
export class EraProbe {
  private state?: EraState;
  private running?: Promise<EraState>;

  constructor(private readonly up: McpUpstream) {}

  /** The cached answer, if fresh. */
  known(): EraState | undefined {
    return this.state && Date.now() - this.state.at < ERA_TTL_MS ? this.state : undefined;
  }

  /** Forgets the cached answer (the backend no longer behaves as it said). */
  forget(): void {
    this.state = undefined;
  }

  async get(): Promise<EraState> {
    const fresh = this.known();
    if (fresh) return fresh;
    this.running ??= this.probe().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async probe(): Promise<EraState> {
    const ep = this.up.pick();
    const upstream = await sendModern(this.up, ep, { jsonrpc: '2.0', id: 'gateway-discover', method: 'server/discover', params: { _meta: gatewayMeta() } }, {});
    let answer: Msg | undefined;
    const failure = await readMessages(upstream, this.up, (m) => {
      if ('result' in m || 'error' in m) {
        answer = m;
        return false;
      }
      return true;
    });
    if (failure && failure.code !== 'UPSTREAM_STATUS') throw failure;
    const result = answer?.result as Msg | undefined;
    const versions = Array.isArray(result?.supportedVersions) ? (result!.supportedVersions as unknown[]).filter((v): v is string => typeof v === 'string') : [];
    let era: UpstreamEra = 'legacy';
    if (upstream.statusCode < 300 && versions.some((v) => v >= MODERN_VERSION)) era = versions.some((v) => isLegacyVersion(v)) ? 'dual' : 'modern';
    else if (isModernError(answer)) era = 'modern';
    this.state = { era, discover: era === 'legacy' ? undefined : result, at: Date.now() };
    return this.state;
  }
}

/** A recognised stateless error (unsupported version, missing capability, header mismatch). */
function isModernError(m: Msg | undefined): boolean {
  const code = (m?.error as Msg | undefined)?.code;
  return code === -32020 || code === -32021 || code === -32022;
}
