// A minimal MCP client over Streamable HTTP for the "Try it" panel: initialize, tools/call, close.

export const CONSOLE_PROTOCOL_VERSION = '2025-06-18';

export interface CallOutcome {
  result?: { content?: Array<Record<string, unknown>>; structuredContent?: unknown; isError?: boolean };
  error?: { code: number; message: string; data?: unknown };
}

/** Reads JSON-RPC messages from an SSE body until the one answering `id` arrives. */
async function readSseUntil(res: Response, id: number): Promise<Record<string, unknown>> {
  if (!res.body) throw new Error('Empty event stream');
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl: number;
      while ((nl = buffer.search(/\r?\n/)) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(buffer[nl] === '\r' ? nl + 2 : nl + 1);
        if (line === '') {
          if (data.length) {
            const msg = JSON.parse(data.join('\n')) as Record<string, unknown>;
            data = [];
            if (msg.id === id) return msg;
          }
        } else if (line.startsWith('data:')) {
          data.push(line.slice(5).replace(/^ /, ''));
        }
      }
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
  throw new Error(`The event stream ended without an answer to request ${id}`);
}

/** A Streamable HTTP session with one MCP endpoint of the gateway's data plane. */
export class BrowserMcpClient {
  private sessionId: string | undefined;
  private nextId = 1;

  constructor(
    private readonly url: string,
    private readonly extraHeaders: Record<string, string> = {},
  ) {}

  private headers(): Record<string, string> {
    return {
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
      'Mcp-Protocol-Version': CONSOLE_PROTOCOL_VERSION,
      ...(this.sessionId ? { 'Mcp-Session-Id': this.sessionId } : {}),
      ...this.extraHeaders,
    };
  }

  private async post(message: Record<string, unknown>): Promise<Record<string, unknown> | undefined> {
    let res: Response;
    try {
      res = await fetch(this.url, { method: 'POST', headers: this.headers(), body: JSON.stringify(message) });
    } catch (err) {
      throw new Error(
        `Cannot reach the data plane at ${this.url} (${(err as Error).message}). Check the data-plane URL and that it allows this page's origin (CORS).`,
      );
    }
    const session = res.headers.get('mcp-session-id');
    if (session) this.sessionId = session;
    if (!('id' in message)) {
      if (!res.ok) throw new Error(`${message.method} was refused: HTTP ${res.status}`);
      await res.body?.cancel();
      return undefined;
    }
    if (!res.ok) {
      const text = await res.text();
      let detail = text.slice(0, 300);
      try {
        const body = JSON.parse(text) as { error?: { message?: string } };
        if (body.error?.message) detail = body.error.message;
      } catch {
        // plain-text error body
      }
      throw new Error(`HTTP ${res.status}: ${detail || res.statusText}`);
    }
    const type = res.headers.get('content-type') ?? '';
    if (type.includes('text/event-stream')) return readSseUntil(res, message.id as number);
    return (await res.json()) as Record<string, unknown>;
  }

  /** Opens the session: initialize, then notifications/initialized. */
  async connect(): Promise<void> {
    const answer = await this.post({
      jsonrpc: '2.0',
      id: this.nextId++,
      method: 'initialize',
      params: {
        protocolVersion: CONSOLE_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'mcp-gateway-console', version: '0.1.0' },
      },
    });
    if (answer?.error) throw new Error(`initialize failed: ${(answer.error as { message: string }).message}`);
    await this.post({ jsonrpc: '2.0', method: 'notifications/initialized' });
  }

  async callTool(name: string, args: Record<string, unknown>): Promise<CallOutcome> {
    const answer = await this.post({ jsonrpc: '2.0', id: this.nextId++, method: 'tools/call', params: { name, arguments: args } });
    return { result: answer?.result as CallOutcome['result'], error: answer?.error as CallOutcome['error'] };
  }

  /** Ends the session on the gateway (best effort). */
  async close(): Promise<void> {
    if (!this.sessionId) return;
    await fetch(this.url, { method: 'DELETE', headers: this.headers() }).catch(() => undefined);
    this.sessionId = undefined;
  }
}
