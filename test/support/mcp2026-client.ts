import { modernRequestHeaders, withRequestMeta, META_SUBSCRIPTION_ID } from '../../src/protocol/modern.js';

/**
 * A small MCP 2026-07-28 client for tests: every request is a stateless POST carrying the routing
 * headers and `_meta`; answers may be JSON or an SSE stream; `input_required` results are answered
 * by a handler and retried; `subscriptions/listen` streams are read until closed; cancelling a call
 * closes its response stream.
 */

export interface RawAnswer {
  status: number;
  headers: Headers;
  /** The JSON-RPC response (the one matching the request id on an SSE stream). */
  body?: { jsonrpc: '2.0'; id: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data?: unknown } };
  /** Notifications seen on an SSE answer before the response. */
  notifications: Array<Record<string, unknown>>;
  /** The raw text when the body was not JSON. */
  text?: string;
}

export class Mcp2026Error extends Error {
  constructor(
    readonly status: number,
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }
}

export interface Mcp2026ClientOptions {
  /** Extra headers on every request (credentials). */
  headers?: Record<string, string>;
  clientInfo?: { name: string; version: string };
  capabilities?: Record<string, unknown>;
  version?: string;
}

export interface PostOptions {
  /** Replace or add headers after the standard ones are computed (undefined removes one). */
  headers?: Record<string, string | undefined>;
  /** Send params exactly as given, without adding `_meta`. */
  rawParams?: boolean;
  id?: string | number;
  signal?: AbortSignal;
}

/** Answers a round of input requests (key -> request) with input responses (key -> result). */
export type InputHandler = (inputRequests: Record<string, { method: string; params?: Record<string, unknown> }>) => Promise<Record<string, unknown>> | Record<string, unknown>;

let nextId = 1;

async function readSse(res: Response, id: unknown): Promise<{ body?: RawAnswer['body']; notifications: Array<Record<string, unknown>> }> {
  const notifications: Array<Record<string, unknown>> = [];
  let body: RawAnswer['body'];
  for await (const message of sseMessages(res)) {
    if ('id' in message && ('result' in message || 'error' in message)) {
      if (message.id === id) {
        body = message as RawAnswer['body'];
        break;
      }
    } else notifications.push(message);
  }
  return { body, notifications };
}

/** The JSON messages of an SSE body, one per event (comments and keep-alives skipped). */
export async function* sseMessages(res: Response): AsyncGenerator<Record<string, unknown>> {
  if (!res.body) return;
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end: number;
      while ((end = buffer.search(/\r?\n\r?\n/)) !== -1) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end).replace(/^\r?\n\r?\n/, '');
        const data = event
          .split(/\r?\n/)
          .filter((l) => l.startsWith('data:'))
          .map((l) => l.slice(5).replace(/^ /, ''))
          .join('\n');
        if (data) yield JSON.parse(data) as Record<string, unknown>;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}

export class Mcp2026Client {
  /** Tool definitions from the last tools/list, for the x-mcp-header parameters of calls. */
  private readonly schemas = new Map<string, unknown>();

  constructor(
    readonly url: string,
    readonly opts: Mcp2026ClientOptions = {},
  ) {}

  get version(): string {
    return this.opts.version ?? '2026-07-28';
  }

  /** One POST, returned as seen: status, headers, the JSON-RPC response and any notifications. */
  async post(method: string, params: Record<string, unknown> = {}, o: PostOptions = {}): Promise<RawAnswer> {
    const id = o.id ?? nextId++;
    const body = o.rawParams ? params : withRequestMeta(params, { clientInfo: this.opts.clientInfo ?? { name: 'mcp2026-test-client', version: '1.0.0' }, clientCapabilities: this.opts.capabilities ?? {}, version: this.version });
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...this.opts.headers,
      ...modernRequestHeaders(method, params, this.version, method === 'tools/call' ? this.schemas.get(params.name as string) : undefined),
    };
    for (const [k, v] of Object.entries(o.headers ?? {})) {
      for (const existing of Object.keys(headers)) if (existing.toLowerCase() === k.toLowerCase()) delete headers[existing];
      if (v !== undefined) headers[k] = v;
    }
    const res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id, method, params: body }), signal: o.signal });
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('text/event-stream')) {
      const { body: answer, notifications } = await readSse(res, id);
      return { status: res.status, headers: res.headers, body: answer, notifications };
    }
    const text = await res.text();
    try {
      return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined, notifications: [] };
    } catch {
      return { status: res.status, headers: res.headers, text, notifications: [] };
    }
  }

  /** A request whose result is returned; a JSON-RPC error (or no answer) throws Mcp2026Error. */
  async request(method: string, params: Record<string, unknown> = {}, o: PostOptions = {}): Promise<Record<string, unknown>> {
    const a = await this.post(method, params, o);
    if (a.body?.error) throw new Mcp2026Error(a.status, a.body.error.code, a.body.error.message, a.body.error.data);
    if (!a.body?.result) throw new Mcp2026Error(a.status, 0, `no JSON-RPC result (HTTP ${a.status}): ${a.text ?? ''}`);
    return a.body.result;
  }

  discover(): Promise<Record<string, unknown>> {
    return this.request('server/discover');
  }

  async listTools(): Promise<Array<Record<string, unknown>>> {
    const result = await this.request('tools/list');
    const tools = (result.tools ?? []) as Array<Record<string, unknown>>;
    for (const t of tools) this.schemas.set(t.name as string, t.inputSchema);
    return tools;
  }

  /**
   * tools/call, answering `input_required` rounds with the handler and retrying (new id, same
   * params plus inputResponses and the echoed requestState) until a complete result or maxRounds.
   */
  async callTool(name: string, args: Record<string, unknown> = {}, onInput?: InputHandler, o: PostOptions & { maxRounds?: number } = {}): Promise<Record<string, unknown>> {
    let params: Record<string, unknown> = { name, arguments: args };
    for (let round = 0; round < (o.maxRounds ?? 5); round++) {
      const result = await this.request('tools/call', params, o);
      if (result.resultType !== 'input_required') return result;
      if (!onInput && result.inputRequests) throw new Error(`tool ${name} asked for input and the test gave no handler`);
      const inputResponses = result.inputRequests ? await onInput!(result.inputRequests as Parameters<InputHandler>[0]) : undefined;
      params = { name, arguments: args, ...(inputResponses ? { inputResponses } : {}), ...(result.requestState !== undefined ? { requestState: result.requestState } : {}) };
    }
    throw new Error(`tool ${name} still asked for input after ${o.maxRounds ?? 5} rounds`);
  }

  /** Starts a call that can be cancelled by closing its response stream (the 2026-07-28 way). */
  startCall(name: string, args: Record<string, unknown> = {}): { answer: Promise<RawAnswer>; cancel: () => void } {
    const controller = new AbortController();
    const answer = this.post('tools/call', { name, arguments: args }, { signal: controller.signal });
    answer.catch(() => {});
    return { answer, cancel: () => controller.abort() };
  }

  /** Opens a subscriptions/listen stream; resolves once the acknowledgement arrived. */
  async listen(notifications: Record<string, unknown>, o: PostOptions = {}): Promise<Subscription> {
    const id = o.id ?? nextId++;
    const controller = new AbortController();
    const params = { notifications };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      ...this.opts.headers,
      ...modernRequestHeaders('subscriptions/listen', params, this.version),
    };
    const body = withRequestMeta(params, { clientInfo: this.opts.clientInfo ?? { name: 'mcp2026-test-client', version: '1.0.0' }, clientCapabilities: this.opts.capabilities ?? {}, version: this.version });
    const res = await fetch(this.url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id, method: 'subscriptions/listen', params: body }), signal: controller.signal });
    if (!(res.headers.get('content-type') ?? '').includes('text/event-stream')) {
      const text = await res.text();
      const parsed = text ? (JSON.parse(text) as RawAnswer['body']) : undefined;
      throw new Mcp2026Error(res.status, parsed?.error?.code ?? 0, parsed?.error?.message ?? `listen answered HTTP ${res.status}`, parsed?.error?.data);
    }
    const sub = new Subscription(id, controller);
    await sub.start(sseMessages(res));
    return sub;
  }
}

/** One open listen stream: its acknowledgement, the notifications so far, and a way to close it. */
export class Subscription {
  acknowledged?: Record<string, unknown>;
  readonly messages: Array<Record<string, unknown>> = [];
  /** The graceful closing result, when the server ended the subscription. */
  closedWith?: Record<string, unknown>;
  private waiters: Array<() => void> = [];
  private done = false;

  constructor(
    readonly id: string | number,
    private readonly controller: AbortController,
  ) {}

  async start(stream: AsyncGenerator<Record<string, unknown>>): Promise<void> {
    const first = await stream.next();
    if (first.done) throw new Error('the listen stream closed before its acknowledgement');
    this.acknowledged = first.value;
    void (async () => {
      try {
        for await (const m of stream) {
          if ('id' in m) this.closedWith = m;
          else this.messages.push(m);
          this.wake();
        }
      } catch {
        // closed by us or by the server
      } finally {
        this.done = true;
        this.wake();
      }
    })();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }

  get closed(): boolean {
    return this.done;
  }

  /** Waits for a notification of this method (tagged with this subscription), or throws after the timeout. */
  async next(method: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const i = this.messages.findIndex((m) => m.method === method);
      if (i !== -1) return this.messages.splice(i, 1)[0];
      if (this.done) throw new Error(`the listen stream closed without ${method}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${method} within ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** Waits until the server ends the stream. */
  async ended(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.done) {
      if (Date.now() > deadline) throw new Error(`the listen stream was still open after ${timeoutMs} ms`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, deadline - Date.now());
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  /** The subscription id a notification carries in `_meta`. */
  static subscriptionOf(m: Record<string, unknown>): unknown {
    return ((m.params as Record<string, unknown> | undefined)?._meta as Record<string, unknown> | undefined)?.[META_SUBSCRIPTION_ID];
  }

  close(): void {
    this.controller.abort();
  }
}
