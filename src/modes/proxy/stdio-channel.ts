import { Dispatcher } from 'undici';
import type { SseItem } from '../../transport/upstream/sse-client.js';
import type { StdioProcess } from '../../transport/upstream/stdio/process.js';
import { type UpstreamEndpoint, UpstreamError } from '../../transport/upstream/streamable-client.js';
import type { Delivery, MessageChannel } from './channel.js';

/** Queued server messages above which a per-session process is no longer read (backpressure). */
const HIGH_WATER = 256;
const ACCEPTED: Delivery = { status: 202, headers: { 'content-type': 'text/plain' }, body: 'Accepted' };

/** A stdio session has no HTTP endpoint; this one refuses any request made through it. */
const NO_DISPATCHER = new Dispatcher();
export function stdioEndpoint(service: string): UpstreamEndpoint {
  return { origin: `stdio://${service}`, dispatcher: NO_DISPATCHER };
}

/** Server messages for one reader, as SSE `message` items; ends cleanly or with the channel's failure. */
export class MessageQueue implements AsyncIterable<SseItem> {
  private lines: string[] = [];
  private head = 0;
  private wake?: () => void;
  /** undefined while open, null after a clean end. */
  private ended?: UpstreamError | null;

  constructor(
    private readonly onHigh?: () => void,
    private readonly onLow?: () => void,
  ) {}

  get length(): number {
    return this.lines.length - this.head;
  }

  push(line: string): void {
    if (this.ended !== undefined) return;
    this.lines.push(line);
    if (this.length === HIGH_WATER) this.onHigh?.();
    this.wake?.();
  }

  end(reason: UpstreamError | null): void {
    if (this.ended !== undefined) return;
    this.ended = reason;
    this.wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<SseItem> {
    for (;;) {
      if (this.head < this.lines.length) {
        const data = this.lines[this.head++];
        if (this.head === this.lines.length) {
          this.lines = [];
          this.head = 0;
          this.onLow?.();
        }
        yield { kind: 'event', event: { event: 'message', data } };
        continue;
      }
      if (this.ended === null) return;
      if (this.ended) throw this.ended;
      await new Promise<void>((resolve) => (this.wake = resolve));
      this.wake = undefined;
    }
  }
}

/**
 * `per-session` mode: one process is one client session. Lines pass unchanged both ways (the bridge
 * maps ids); the process's exit ends the session with its reason; no traffic for `idleMs` stops it.
 */
export class ProcessChannel implements MessageChannel {
  readonly endpoint: UpstreamEndpoint;
  private readonly queue: MessageQueue;
  private lastActive = Date.now();
  private readonly idleTimer?: NodeJS.Timeout;

  constructor(
    private readonly proc: StdioProcess,
    idleMs: number,
    onEnd: () => void,
  ) {
    this.endpoint = stdioEndpoint(proc.cmd.service);
    this.queue = new MessageQueue(() => proc.pause(), () => proc.resume());
    proc.onLine = (line) => {
      this.lastActive = Date.now();
      this.queue.push(line);
    };
    if (idleMs > 0) {
      this.idleTimer = setInterval(() => {
        if (Date.now() - this.lastActive >= idleMs) void proc.stop(new UpstreamError('UPSTREAM_RESET', 502, `the process of stdio service "${proc.cmd.service}" was idle for ${idleMs} ms and was stopped`));
      }, Math.max(50, Math.min(idleMs / 2, 60_000)));
      this.idleTimer.unref();
    }
    void proc.exited.then((why) => {
      clearInterval(this.idleTimer);
      this.queue.end(why);
      onEnd();
    });
  }

  items(): AsyncIterable<SseItem> {
    return this.queue;
  }

  async deliver(body: string): Promise<Delivery> {
    this.lastActive = Date.now();
    await this.proc.write(body);
    return ACCEPTED;
  }

  reannounce(): void {}

  close(): void {
    void this.proc.stop();
  }

  /** Stops the process with a reason the session's client is told (service changed, gateway stopping). */
  stop(reason: UpstreamError): Promise<unknown> {
    return this.proc.stop(reason);
  }
}
