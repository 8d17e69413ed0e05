import http from 'node:http';
import type { Socket } from 'node:net';

/**
 * A small hand-written MCP backend (node:http) for fault and header tests. Streamable mode answers
 * POST /mcp; legacy mode serves GET /sse + POST /messages. The tool name picks the behaviour:
 * `ok` answers, `reset` drops the connection mid-stream, `stall` never answers, `garbage` sends
 * bytes that are not SSE/JSON-RPC. Every request is recorded.
 */
export interface RawBackend {
  address: string;
  requests: Array<{ method: string; url: string; headers: http.IncomingHttpHeaders; body: string }>;
  /** Upstream session ids the backend issued, and those deleted. */
  issued: string[];
  deleted: string[];
  /** Bytes the GET stream managed to hand to its socket (flood mode). */
  flooded: { bytes: number; waiting: boolean };
  /** Forget a session so the next request with it gets 404. */
  expire(id: string): void;
  close(): Promise<void>;
}

export interface RawBackendOptions {
  mode: 'streamable' | 'legacy';
  /** The legacy endpoint event's data; `{sid}` is replaced by the session id. */
  endpointTemplate?: string;
  /** Legacy: never send the endpoint event. */
  silentStream?: boolean;
  /** Streamable: the GET stream writes 64 KiB events as fast as the socket takes them (honouring drain). */
  flood?: boolean;
}

function toolName(body: any): string | undefined {
  return body?.method === 'tools/call' ? body.params?.name : undefined;
}

export async function startRawBackend(opts: RawBackendOptions): Promise<RawBackend> {
  const requests: RawBackend['requests'] = [];
  const issued: string[] = [];
  const deleted: string[] = [];
  const live = new Set<string>();
  const legacyStreams = new Map<string, http.ServerResponse>();
  const sockets = new Set<Socket>();
  let counter = 0;
  const flooded = { bytes: 0, waiting: false };

  const answer = (id: unknown, result: unknown) => JSON.stringify({ jsonrpc: '2.0', id, result });
  const initResult = { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'raw', version: '1' } };

  function streamable(req: http.IncomingMessage, res: http.ServerResponse, text: string): void {
    const sid = req.headers['mcp-session-id'] as string | undefined;
    if (req.method === 'DELETE') {
      if (sid) deleted.push(sid);
      live.delete(sid ?? '');
      return void res.writeHead(200).end();
    }
    if (req.method === 'GET') {
      if (!sid || !live.has(sid)) return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      if (opts.flood) {
        const event = `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x'.repeat(64 * 1024) } })}\n\n`;
        const pump = () => {
          while (!res.destroyed) {
            flooded.bytes += event.length;
            if (!res.write(event)) {
              flooded.waiting = true;
              res.once('drain', () => {
                flooded.waiting = false;
                pump();
              });
              return;
            }
          }
        };
        pump();
        return;
      }
      const last = Number(req.headers['last-event-id'] ?? 0);
      res.write(`id: ${last + 1}\nevent: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: `after ${last}` } })}\n\n`);
      return;
    }
    const body = text ? JSON.parse(text) : undefined;
    if (body?.method === 'initialize') {
      const id = `upstream-${++counter}`;
      issued.push(id);
      live.add(id);
      return void res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': id }).end(answer(body.id, initResult));
    }
    if (!sid || !live.has(sid)) return void res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } }));
    if (body?.id === undefined) return void res.writeHead(202).end();
    const tool = toolName(body);
    if (tool === 'stall') return; // never answers
    if (tool === 'reset') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: 1, progress: 1 } })}\n\n`);
      setTimeout(() => req.socket.destroy(), 50);
      return;
    }
    if (tool === 'garbage') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: this is not json\n\n');
      return;
    }
    if (tool === 'headers') {
      return void res.writeHead(200, { 'content-type': 'application/json', 'set-cookie': 'backend=1' }).end(answer(body.id, { content: [{ type: 'text', text: JSON.stringify(req.headers) }] }));
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(answer(body.id, { content: [{ type: 'text', text: 'ok' }], _meta: { keep: 'me' }, extraField: 42 }));
  }

  function legacy(req: http.IncomingMessage, res: http.ServerResponse, text: string): void {
    const url = new URL(req.url ?? '/', 'http://x');
    if (req.method === 'GET' && url.pathname.endsWith('/sse')) {
      const sid = `legacy-${++counter}`;
      issued.push(sid);
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      if (!opts.silentStream) res.write(`event: endpoint\ndata: ${(opts.endpointTemplate ?? '/messages?sessionId={sid}').replace('{sid}', sid)}\n\n`);
      else res.write(': waiting\n\n');
      legacyStreams.set(sid, res);
      res.on('close', () => legacyStreams.delete(sid));
      return;
    }
    if (req.method === 'POST') {
      const sid = url.searchParams.get('sessionId') ?? '';
      const stream = legacyStreams.get(sid);
      if (!stream) return void res.writeHead(404).end('no such session');
      res.writeHead(202).end('Accepted');
      const body = JSON.parse(text);
      if (body.id === undefined) return;
      const tool = toolName(body);
      if (body.method === 'initialize') return void stream.write(`event: message\ndata: ${answer(body.id, initResult)}\n\n`);
      if (tool === 'stall') return;
      if (tool === 'reset') return void stream.socket?.destroy();
      if (tool === 'garbage') return void stream.write('event: message\ndata: {not json\n\n');
      stream.write(`event: message\ndata: ${answer(body.id, { content: [{ type: 'text', text: 'ok' }] })}\n\n`);
      return;
    }
    res.writeHead(404).end();
  }

  const server = http.createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: text });
      if (opts.mode === 'streamable') streamable(req, res, text);
      else legacy(req, res, text);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    address: `127.0.0.1:${(server.address() as { port: number }).port}`,
    requests,
    issued,
    deleted,
    flooded,
    expire: (id) => void live.delete(id),
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
