import { readSseItems, type SseItem } from '../../transport/upstream/sse-client.js';
import { toUpstreamError, UpstreamError } from '../../transport/upstream/streamable-client.js';
import { looksLikeJsonRpc, tryParse } from './envelope.js';

/**
 * Reads an upstream event stream and hands each item to `onItem` (which waits for the client),
 * checking that every `message` event carries JSON-RPC. Returns why it stopped: undefined for a
 * clean end or a client that went away, else the upstream failure.
 */
export function pumpSse(
  body: AsyncIterable<Buffer>,
  maxEventBytes: number,
  service: string,
  onItem: (item: SseItem, message: unknown) => Promise<boolean>,
): Promise<UpstreamError | undefined> {
  return pumpItems(readSseItems(body, maxEventBytes), service, onItem);
}

/** As pumpSse, over items already being read (a legacy stream whose endpoint event was consumed). */
export async function pumpItems(
  items: AsyncIterable<SseItem>,
  service: string,
  onItem: (item: SseItem, message: unknown) => Promise<boolean>,
): Promise<UpstreamError | undefined> {
  try {
    for await (const item of items) {
      let message: unknown;
      if (item.kind === 'event' && item.event.data !== '' && (item.event.event === undefined || item.event.event === 'message')) {
        message = tryParse(item.event.data);
        if (!looksLikeJsonRpc(message)) {
          return new UpstreamError('UPSTREAM_BAD_STREAM', 502, `backend of service "${service}" sent an SSE message that is not JSON-RPC: ${item.event.data.slice(0, 80)}`);
        }
      }
      if (!(await onItem(item, message))) return undefined;
    }
    return undefined;
  } catch (err) {
    const e = toUpstreamError(err, service);
    return e.status === 499 ? undefined : e;
  }
}
