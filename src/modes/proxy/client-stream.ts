import type { ServerResponse } from 'node:http';
import { SSE_HEADERS } from '../../transport/http-io.js';
import type { JsonRpcId } from '../../protocol/jsonrpc.js';
import { GW_UPSTREAM_ERROR } from '../../protocol/jsonrpc.js';
import type { EventSourceMessage } from 'eventsource-parser';
import type { ServerRoute } from '../../snapshot/snapshot.js';
import { formatSseEvent } from '../../transport/upstream/sse-client.js';
import { tryParse } from './envelope.js';

/** Resolves when the response can take more bytes, or when it closed (then false). */
export function drained(res: ServerResponse): Promise<boolean> {
  if (res.destroyed || res.writableEnded) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (ok: boolean) => {
      res.off('drain', onDrain);
      res.off('close', onClose);
      resolve(ok);
    };
    const onDrain = () => done(true);
    const onClose = () => done(false);
    res.on('drain', onDrain);
    res.on('close', onClose);
  });
}

/**
 * A server-sent event stream to one client. `send` waits while the socket is congested, so the
 * producer (an upstream reader) stops reading until the client catches up: no unbounded buffer.
 */
export class ClientStream {
  private timer?: NodeJS.Timeout;
  closed = false;
  /** Requests of this stream still waiting for their response (bridging only). */
  pending = 0;
  /** Called once when the stream is ended by the gateway (bridging releases rate-limit slots here). */
  onEnd?: () => void;

  /**
   * @param toolAcl the tools this stream's consumer may call: tools/list answers passing through
   *   are cut down to them (undefined: every tool, nothing rewritten).
   */
  constructor(
    readonly res: ServerResponse,
    readonly toolAcl?: ReadonlySet<string>,
  ) {
    res.once('close', () => {
      this.closed = true;
      clearInterval(this.timer);
    });
  }

  open(status: number, headers: Record<string, string | string[]>, keepAliveMs: number): void {
    this.res.writeHead(status, { ...SSE_HEADERS, ...headers });
    this.res.flushHeaders();
    if (keepAliveMs > 0) {
      this.timer = setInterval(() => {
        if (!this.closed && this.res.writableLength === 0) this.res.write(': keep-alive\n\n');
      }, keepAliveMs);
      this.timer.unref();
    }
  }

  /** Writes raw SSE text; false when the client is gone. */
  async send(text: string): Promise<boolean> {
    if (this.closed || this.res.writableEnded) return false;
    if (this.res.write(text)) return true;
    return drained(this.res);
  }

  /** Writes one JSON-RPC message as a `message` event. */
  sendMessage(json: string): Promise<boolean> {
    const filtered = this.toolAcl && json.includes('"tools"') ? filterToolLists(tryParse(json), this.toolAcl) : undefined;
    return this.send(messageEvent(filtered ?? json));
  }

  /** Re-frames one upstream event (`message` is its parsed data, when JSON-RPC). */
  sendEvent(event: EventSourceMessage, message: unknown): Promise<boolean> {
    const filtered = this.toolAcl && message !== undefined ? filterToolLists(message, this.toolAcl) : undefined;
    return this.send(formatSseEvent(filtered === undefined ? event : { ...event, data: filtered }));
  }

  end(): void {
    const onEnd = this.onEnd;
    this.onEnd = undefined;
    onEnd?.();
    clearInterval(this.timer);
    if (!this.res.writableEnded) this.res.end();
  }
}

/** A JSON-RPC message as an SSE `message` event; JSON text may contain line breaks, each becomes a data line. */
export function messageEvent(json: string): string {
  if (json.indexOf('\n') === -1 && json.indexOf('\r') === -1) return `event: message\ndata: ${json}\n\n`;
  return `event: message\n${json.split(/\r\n|\r|\n/).map((l) => `data: ${l}`).join('\n')}\n\n`;
}

/** The JSON text of a gateway-made error answer to one request. */
export function upstreamErrorJson(id: JsonRpcId, code: string, message: string): string {
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code: GW_UPSTREAM_ERROR, message, data: { code } } });
}

type Msg = Record<string, unknown>;

function cut(m: Msg, allowed: ReadonlySet<string>): Msg | undefined {
  const result = m.result as Msg | undefined;
  if (!result || typeof result !== 'object' || !Array.isArray(result.tools)) return undefined;
  const tools = result.tools as Array<Msg | null>;
  const kept = tools.filter((t) => t && typeof t === 'object' && typeof t.name === 'string' && allowed.has(t.name));
  return kept.length === tools.length ? undefined : { ...m, result: { ...result, tools: kept } };
}

/**
 * A tools/list answer (a response whose result has a `tools` array) with the tools a consumer may not
 * call removed, as JSON text; undefined when the message is not one or nothing is removed.
 */
export function filterToolLists(message: unknown, allowed: ReadonlySet<string>): string | undefined {
  if (Array.isArray(message)) {
    let changed = false;
    const out = message.map((m) => {
      const c = m && typeof m === 'object' ? cut(m as Msg, allowed) : undefined;
      if (c) changed = true;
      return c ?? m;
    });
    return changed ? JSON.stringify(out) : undefined;
  }
  if (!message || typeof message !== 'object') return undefined;
  const c = cut(message as Msg, allowed);
  return c ? JSON.stringify(c) : undefined;
}

/** The allow-list of a consumer on a server, when it has one. */
export function toolAclFor(route: ServerRoute, consumer: string | undefined): ReadonlySet<string> | undefined {
  return route.toolAcl?.get(consumer ?? '');
}
