import type { ServerResponse } from 'node:http';
import { accepts } from '../../transport/http-io.js';
import { ClientStream, filterToolLists } from './client-stream.js';
import { tryParse } from './envelope.js';

/**
 * The answer to one bridged client POST: a plain JSON body when only the response is sent, an
 * event stream opened on the first message that must go before it (progress, a server request).
 */
export class Reply {
  private stream?: ClientStream;
  private finished = false;
  readonly canStream: boolean;

  constructor(
    readonly res: ServerResponse,
    acceptHeader: string | undefined,
    private readonly keepAliveMs: number,
    private readonly headers: Record<string, string> = {},
    private readonly toolAcl?: ReadonlySet<string>,
  ) {
    this.canStream = accepts(acceptHeader, 'text/event-stream');
  }

  /** True once the client went away or the answer is complete. */
  get closed(): boolean {
    return this.finished || this.res.destroyed || (this.stream?.closed ?? false);
  }

  /** True while the answer is still a plain JSON body (status codes can still be chosen). */
  get plain(): boolean {
    return !this.stream && !this.res.headersSent;
  }

  /** Sends a message ahead of the response; false when it cannot (no stream accepted, client gone). */
  async message(json: string): Promise<boolean> {
    if (this.closed || !this.canStream) return false;
    if (!this.stream) {
      this.stream = new ClientStream(this.res, this.toolAcl);
      this.stream.open(200, this.headers, this.keepAliveMs);
    }
    return this.stream.sendMessage(json);
  }

  /** Sends the response and ends the answer; `status` applies to a plain JSON body only. */
  async final(json: string, status = 200): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    if (this.stream) {
      await this.stream.sendMessage(json);
      this.stream.end();
      return;
    }
    if (this.res.headersSent || this.res.destroyed) return;
    const filtered = this.toolAcl && json.includes('"tools"') ? filterToolLists(tryParse(json), this.toolAcl) : undefined;
    const body = Buffer.from(filtered ?? json);
    this.res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(body.length), ...this.headers }).end(body);
  }
}
