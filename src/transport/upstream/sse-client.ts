import { createParser, type EventSourceMessage } from 'eventsource-parser';

/** One item read from an upstream SSE stream. */
export type SseItem = { kind: 'event'; event: EventSourceMessage } | { kind: 'retry'; retry: number } | { kind: 'comment'; text: string };

/** The upstream sent bytes that are not a valid event stream (or an event larger than the limit). */
export class SseStreamError extends Error {
  readonly code = 'UPSTREAM_BAD_STREAM';
}

/**
 * Reads an upstream event stream item by item. The source is consumed only as fast as the caller
 * iterates, so a slow client slows the upstream read (TCP backpressure); at most one chunk plus
 * one incomplete event (bounded by `maxEventBytes`) is held.
 */
export async function* readSseItems(body: AsyncIterable<Buffer | string>, maxEventBytes: number): AsyncGenerator<SseItem> {
  const pending: SseItem[] = [];
  let failure: Error | undefined;
  const parser = createParser({
    maxBufferSize: maxEventBytes,
    // The parser bounds only what it buffers; an event that arrived whole in one chunk is checked here.
    onEvent: (event) => {
      if (event.data.length > maxEventBytes) failure ??= new SseStreamError(`an upstream SSE event exceeds ${maxEventBytes} bytes`);
      else pending.push({ kind: 'event', event });
    },
    onRetry: (retry) => void pending.push({ kind: 'retry', retry }),
    onComment: (text) => void pending.push({ kind: 'comment', text }),
    onError: (err) => {
      failure ??= new SseStreamError(err.type === 'max-buffer-size-exceeded' ? `an upstream SSE event exceeds ${maxEventBytes} bytes` : `the upstream sent an invalid SSE line (${err.type}${err.field ? ` "${err.field.slice(0, 40)}"` : ''})`);
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) {
    parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    while (pending.length) yield pending.shift()!;
    if (failure) throw failure;
  }
  parser.feed(decoder.decode());
  while (pending.length) yield pending.shift()!;
  if (failure) throw failure;
}

/** Formats an event for a client stream; the data is written unchanged, split only at its own line breaks. */
export function formatSseEvent(event: EventSourceMessage): string {
  let out = '';
  if (event.id !== undefined) out += `id: ${event.id}\n`;
  if (event.event !== undefined) out += `event: ${event.event}\n`;
  const data = event.data;
  if (data.indexOf('\n') === -1 && data.indexOf('\r') === -1) return `${out}data: ${data}\n\n`;
  for (const line of data.split(/\r\n|\r|\n/)) out += `data: ${line}\n`;
  return `${out}\n`;
}

/**
 * Resolves the message URI a legacy SSE server announces (relative with or without a leading
 * slash, or absolute) against the stream URL; returns path and query only, because the POST goes
 * to the same service endpoint as the stream (an announced foreign host is never contacted).
 */
export function announcedMessagePath(data: string, streamPath: string): string | undefined {
  const text = data.trim();
  if (!text) return undefined;
  let u: URL;
  try {
    u = new URL(text, new URL(streamPath, 'http://upstream.invalid'));
  } catch {
    return undefined;
  }
  return `${u.pathname}${u.search}`;
}
