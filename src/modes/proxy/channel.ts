import type { RoutedRequest } from '../../transport/context.js';
import type { SseItem } from '../../transport/upstream/sse-client.js';
import type { UpstreamEndpoint } from '../../transport/upstream/streamable-client.js';
import type { UpstreamObserver } from '../../observe/exchange.js';

/** What the backend answered to one delivered client message. */
export interface Delivery {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One backend session carried as a single bidirectional message channel: server messages arrive
 * as event items, client messages are delivered one body at a time. A legacy HTTP+SSE session
 * (legacy-upstream.ts) and a stdio process (stdio-channel.ts) are both one, so the bridges that
 * multiplex a session over it (bridge-to-sse.ts, sse-forward.ts) serve both.
 */
export interface MessageChannel {
  readonly endpoint: UpstreamEndpoint;
  /** Server messages, for the life of the channel; ends or throws (UpstreamError) when it breaks. */
  items(): AsyncIterable<SseItem>;
  /** Sends one JSON-RPC body (a message or a batch); rejects with an UpstreamError. */
  deliver(body: string, headers: Record<string, string>, maxAnswerBytes: number, observer?: UpstreamObserver): Promise<Delivery>;
  /** A later `endpoint` event (legacy SSE only). */
  reannounce(data: string, streamPath: string): void;
  close(): void;
}

/** Opens the channel of a new client session; `headers` are the client's, cleaned for the backend. */
export type ChannelOpener = (r: RoutedRequest, headers: Record<string, string>) => Promise<MessageChannel>;
