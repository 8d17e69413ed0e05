import { createParser } from 'eventsource-parser';

/**
 * A minimal protocol 2026-07-28 client for the proxy tests: each request is its own POST with the
 * `_meta` fields and the routing headers; answers are JSON or an SSE stream; input_required results
 * are answered by `onInput` and retried; subscriptions/listen keeps its stream open.
 */
export const MODERN = '2026-07-28';

export interface Answer {
  status: number;
  headers: Headers;
  /** Every JSON-RPC message received (notifications, then the response). */
  messages: any[];
  /** The response to the request (undefined when the stream ended without one). */
  response?: any;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Called for each message as it arrives. */
  onMessage?: (m: any) => void;
  capabilities?: Record<string, unknown>;
  meta?: Record<string, unknown>;
}

/** The `=?base64?…?=` form for values that are not plain visible ASCII. */
export function headerSafe(v: string): string {
  if (/^[\x20-\x7e]*$/.test(v) && !/^\s|\s$/.test(v) && !(v.startsWith('=?base64?') && v.endsWith('?='))) return v;
  return `=?base64?${Buffer.from(v, 'utf8').toString('base64')}?=`;
}

export class ModernClient {
  private nextId = 1;
  constructor(
    readonly url: string,
    private readonly headers: Record<string, string> = {},
    readonly capabilities: Record<string, unknown> = { elicitation: {} },
  ) {}

  /** The body and headers a conforming client sends for one request. */
  build(method: string, params: Record<string, unknown> = {}, opts: RequestOptions = {}): { body: any; headers: Record<string, string> } {
    const body = {
      jsonrpc: '2.0',
      id: this.nextId++,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientInfo': { name: 'modern-test-client', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': opts.capabilities ?? this.capabilities,
          ...opts.meta,
        },
      },
    };
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
      ...this.headers,
    };
    const name = method === 'resources/read' ? params.uri : method === 'tools/call' || method === 'prompts/get' ? params.name : undefined;
    if (typeof name === 'string') headers['mcp-name'] = headerSafe(name);
    return { body, headers: { ...headers, ...opts.headers } };
  }

  /** Sends a raw body with raw headers and reads the whole answer. */
  async send(body: unknown, headers: Record<string, string>, opts: RequestOptions = {}): Promise<Answer> {
    const res = await fetch(this.url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body), signal: opts.signal });
    const type = res.headers.get('content-type') ?? '';
    const messages: any[] = [];
    const id = body && typeof body === 'object' ? (body as { id?: unknown }).id : undefined;
    if (type.startsWith('text/event-stream') && res.body) {
      const parser = createParser({
        onEvent: (e) => {
          if (!e.data) return;
          const m = JSON.parse(e.data);
          messages.push(m);
          opts.onMessage?.(m);
        },
      });
      const decoder = new TextDecoder();
      try {
        for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
          parser.feed(decoder.decode(chunk, { stream: true }));
          const last = messages.at(-1);
          if (last && last.id === id && !('method' in last)) break;
        }
      } catch (err) {
        if (!opts.signal?.aborted) throw err;
      }
    } else {
      const text = await res.text();
      if (text) {
        const m = JSON.parse(text);
        messages.push(m);
        opts.onMessage?.(m);
      }
    }
    const response = messages.find((m) => !('method' in m) && ('result' in m || 'error' in m));
    return { status: res.status, headers: res.headers, messages, response };
  }

  request(method: string, params: Record<string, unknown> = {}, opts: RequestOptions = {}): Promise<Answer> {
    const { body, headers } = this.build(method, params, opts);
    return this.send(body, headers, opts);
  }

  /**
   * A request retried with `onInput`'s answers while the server returns input_required (at most
   * `rounds` times). Returns the last answer and every input request seen.
   */
  async requestWithInput(method: string, params: Record<string, unknown>, onInput: (key: string, r: { method: string; params: any }) => unknown, opts: RequestOptions = {}, rounds = 5): Promise<Answer & { inputRequests: Array<{ method: string; params: any }> }> {
    const inputRequests: Array<{ method: string; params: any }> = [];
    let extra: Record<string, unknown> = {};
    for (let i = 0; ; i++) {
      const a = await this.request(method, { ...params, ...extra }, opts);
      const result = a.response?.result;
      if (result?.resultType !== 'input_required' || i >= rounds) return { ...a, inputRequests };
      const inputResponses: Record<string, unknown> = {};
      for (const [key, r] of Object.entries((result.inputRequests ?? {}) as Record<string, { method: string; params: any }>)) {
        inputRequests.push(r);
        inputResponses[key] = await onInput(key, r);
      }
      extra = { inputResponses };
      if (result.requestState !== undefined) extra.requestState = result.requestState;
    }
  }

  /** Opens subscriptions/listen; resolves once acknowledged. `close` ends the stream (cancels it). */
  async listen(notifications: Record<string, unknown>, onNotification: (m: any) => void): Promise<{ acknowledged: any; close(): void; done: Promise<Answer> }> {
    const controller = new AbortController();
    let ack: (m: any) => void;
    const acknowledged = new Promise<any>((resolve) => (ack = resolve));
    const done = this.request('subscriptions/listen', { notifications }, {
      signal: controller.signal,
      onMessage: (m) => {
        if (m.method === 'notifications/subscriptions/acknowledged') ack(m);
        else onNotification(m);
      },
    });
    const first = await Promise.race([acknowledged, done.then((a) => ({ failed: a }))]);
    if (first && 'failed' in first) throw new Error(`subscriptions/listen was not acknowledged: HTTP ${first.failed.status} ${JSON.stringify(first.failed.messages)}`);
    return { acknowledged: first, close: () => controller.abort(), done };
  }
}
