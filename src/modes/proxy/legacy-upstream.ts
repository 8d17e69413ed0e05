import type { Dispatcher } from 'undici';
import { withCredentialQuery } from '../../transport/upstream/forward-headers.js';
import { announcedMessagePath, readSseItems, type SseItem } from '../../transport/upstream/sse-client.js';
import { firstHeader, type McpUpstream, readUpstreamText, type UpstreamEndpoint, UpstreamError } from '../../transport/upstream/streamable-client.js';
import type { Delivery, MessageChannel } from './channel.js';
import type { UpstreamObserver } from '../../observe/exchange.js';

/**
 * One HTTP+SSE (2024-11-05) backend session: the GET stream, and the message URI it announced.
 * Each session has its own announced URI, so concurrent sessions never share one (Higress 3551).
 */
export class LegacyUpstream implements MessageChannel {
  private constructor(
    readonly up: McpUpstream,
    readonly endpoint: UpstreamEndpoint,
    private readonly controller: AbortController,
    private readonly iterator: AsyncGenerator<SseItem>,
    /** Path and query to POST messages to, as announced (re-announcements replace it). */
    public messagePath: string,
  ) {}

  /**
   * Opens the backend stream and waits (at most the service timeout) for its `endpoint` event.
   * `path` is the backend SSE path with the client's query (consumer key removed).
   */
  static async open(up: McpUpstream, endpoint: UpstreamEndpoint, path: string, headers: Record<string, string>): Promise<LegacyUpstream> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new UpstreamError('UPSTREAM_TIMEOUT', 504, `backend of service "${up.serviceName}" did not announce its message endpoint within ${up.timeoutMs} ms`)), up.timeoutMs);
    let res: Dispatcher.ResponseData;
    try {
      res = await up.send(endpoint, { method: 'GET', path, headers: { ...headers, accept: 'text/event-stream' }, longLived: true, signal: controller.signal });
    } catch (err) {
      clearTimeout(timer);
      throw controller.signal.aborted && controller.signal.reason instanceof UpstreamError ? controller.signal.reason : err;
    }
    const type = firstHeader(res.headers['content-type']) ?? '';
    if (res.statusCode !== 200 || !type.startsWith('text/event-stream')) {
      clearTimeout(timer);
      await res.body.dump().catch(() => undefined);
      throw new UpstreamError('UPSTREAM_STATUS', 502, `backend of service "${up.serviceName}" answered the SSE stream request with HTTP ${res.statusCode} ${type || '(no content type)'}`);
    }
    const iterator = readSseItems(res.body, up.maxMessageBytes);
    try {
      for (;;) {
        const next = await iterator.next();
        if (next.done) throw new UpstreamError('UPSTREAM_RESET', 502, `backend of service "${up.serviceName}" closed the SSE stream before announcing its message endpoint`);
        const item = next.value;
        if (item.kind === 'event' && item.event.event === 'endpoint') {
          const messagePath = announcedMessagePath(item.event.data, path);
          if (!messagePath) throw new UpstreamError('UPSTREAM_BAD_STREAM', 502, `backend of service "${up.serviceName}" announced an invalid message endpoint: ${item.event.data.slice(0, 80)}`);
          clearTimeout(timer);
          return new LegacyUpstream(up, endpoint, controller, iterator, messagePath);
        }
      }
    } catch (err) {
      clearTimeout(timer);
      controller.abort();
      if (controller.signal.reason instanceof UpstreamError) throw controller.signal.reason;
      throw err instanceof UpstreamError ? err : new UpstreamError('UPSTREAM_BAD_STREAM', 502, `backend of service "${up.serviceName}": ${(err as Error).message}`);
    }
  }

  /** The rest of the stream after the endpoint event. */
  items(): AsyncIterable<SseItem> {
    return { [Symbol.asyncIterator]: () => this.iterator };
  }

  /** Updates the message URI from a later `endpoint` event. */
  reannounce(data: string, streamPath: string): void {
    const p = announcedMessagePath(data, streamPath);
    if (p) this.messagePath = p;
  }

  /** POSTs one message body to the announced URI. */
  post(body: string, headers: Record<string, string>, signal?: AbortSignal, observer?: UpstreamObserver): Promise<Dispatcher.ResponseData> {
    return this.up.send(this.endpoint, {
      method: 'POST',
      path: withCredentialQuery(this.messagePath, this.up.credential),
      headers: { ...headers, 'content-type': 'application/json' },
      body,
      signal,
      observer,
    });
  }

  /** POSTs one message body and reads the (short) answer. */
  async deliver(body: string, headers: Record<string, string>, maxAnswerBytes: number, observer?: UpstreamObserver): Promise<Delivery> {
    const res = await this.post(body, headers, undefined, observer);
    return { status: res.statusCode, headers: res.headers, body: await readUpstreamText(res.body, maxAnswerBytes, this.up.serviceName) };
  }

  close(): void {
    this.controller.abort();
  }
}
