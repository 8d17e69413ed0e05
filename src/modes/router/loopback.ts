import { request } from 'undici';
import { createParser } from 'eventsource-parser';

const TIMEOUT_MS = 30_000;
const MAX_BYTES = 16 * 1024 * 1024;
const PROTOCOL_VERSION = '2025-06-18';

/** A failure of a call through the gateway's own data plane. */
export class LoopbackError extends Error {}

/** Reads the JSON-RPC response with `id` from a JSON or SSE answer. */
async function readResponse(body: AsyncIterable<Buffer>, contentType: string, id: number): Promise<Record<string, unknown>> {
  let size = 0;
  if (!contentType.includes('text/event-stream')) {
    const chunks: Buffer[] = [];
    for await (const c of body) {
      size += c.length;
      if (size > MAX_BYTES) throw new LoopbackError('the answer is too large');
      chunks.push(c);
    }
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as Record<string, unknown>;
  }
  let found: Record<string, unknown> | undefined;
  const parser = createParser({
    onEvent(ev) {
      if (found) return;
      try {
        const msg = JSON.parse(ev.data) as Record<string, unknown>;
        if (msg.id === id && ('result' in msg || 'error' in msg)) found = msg;
      } catch {
        // not a JSON-RPC message: skip
      }
    },
  });
  const decoder = new TextDecoder();
  for await (const c of body) {
    size += c.length;
    if (size > MAX_BYTES) throw new LoopbackError('the answer is too large');
    parser.feed(decoder.decode(c, { stream: true }));
    if (found) break;
  }
  if (!found) throw new LoopbackError('the stream ended without an answer');
  return found;
}

/**
 * A minimal Streamable HTTP client of the gateway's own data plane, so the router reaches servers
 * it does not host (direct proxies) through their normal path: the same authentication, the same
 * rules, the same upstream session handling. One short session per operation.
 */
export class LoopbackClient {
  constructor(private readonly baseUrl: () => string | undefined) {}

  /** Opens a session on `server`, sends one request, closes the session; returns the JSON-RPC result. */
  async call(server: string, headers: Record<string, string>, method: string, params: Record<string, unknown>, signal?: AbortSignal): Promise<Record<string, unknown>> {
    const base = this.baseUrl();
    if (!base) throw new LoopbackError('the data plane is not listening yet');
    const url = `${base}/mcp-servers/${encodeURIComponent(server)}`;
    const common = { ...headers, 'content-type': 'application/json', accept: 'application/json, text/event-stream' };
    const post = async (body: Record<string, unknown>, extra: Record<string, string>) => {
      const res = await request(url, { method: 'POST', headers: { ...common, ...extra }, body: JSON.stringify(body), headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS, signal });
      return res;
    };
    const init = await post({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'mcp-gateway-router', version: '1' } } }, {});
    if (init.statusCode !== 200) {
      const text = (await init.body.text()).slice(0, 300);
      throw new LoopbackError(`MCP server "${server}" refused the session (HTTP ${init.statusCode}): ${text}`);
    }
    const initAnswer = await readResponse(init.body, String(init.headers['content-type'] ?? ''), 1);
    if (initAnswer.error) throw new LoopbackError(`MCP server "${server}" refused initialize: ${JSON.stringify(initAnswer.error)}`);
    const session = init.headers['mcp-session-id'];
    const sessionHeaders: Record<string, string> = { 'mcp-protocol-version': PROTOCOL_VERSION };
    if (typeof session === 'string') sessionHeaders['mcp-session-id'] = session;
    try {
      const note = await post({ jsonrpc: '2.0', method: 'notifications/initialized' }, sessionHeaders);
      await note.body.dump();
      const res = await post({ jsonrpc: '2.0', id: 2, method, params }, sessionHeaders);
      if (res.statusCode !== 200) {
        const text = (await res.body.text()).slice(0, 300);
        throw new LoopbackError(`MCP server "${server}" answered HTTP ${res.statusCode}: ${text}`);
      }
      const answer = await readResponse(res.body, String(res.headers['content-type'] ?? ''), 2);
      res.body.destroy();
      if (answer.error) throw new LoopbackError(`MCP server "${server}": ${(answer.error as { message?: string }).message ?? JSON.stringify(answer.error)}`);
      return (answer.result ?? {}) as Record<string, unknown>;
    } finally {
      if (typeof session === 'string') {
        void request(url, { method: 'DELETE', headers: { ...headers, ...sessionHeaders }, headersTimeout: 5_000 })
          .then((r) => r.body.dump())
          .catch(() => undefined);
      }
    }
  }
}
