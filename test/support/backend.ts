import http from 'node:http';

export interface RecordedRequest {
  method: string;
  url: string;
  path: string;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface TestBackend {
  url: string;
  address: string;
  requests: RecordedRequest[];
  /** Replaces the answer for a path (default: echo the request as JSON). */
  on(path: string, handler: (req: RecordedRequest, res: http.ServerResponse) => void): void;
  close(): Promise<void>;
}

/** A REST backend on loopback that records every request and echoes it back as JSON. */
export async function startBackend(): Promise<TestBackend> {
  const requests: RecordedRequest[] = [];
  const handlers = new Map<string, (req: RecordedRequest, res: http.ServerResponse) => void>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const u = new URL(req.url ?? '/', 'http://x');
      const rec: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        path: u.pathname,
        query: Object.fromEntries(u.searchParams),
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(rec);
      const h = handlers.get(u.pathname);
      if (h) return h(rec, res);
      const text = JSON.stringify({ method: rec.method, path: rec.path, query: rec.query, body: rec.body });
      res.writeHead(200, { 'content-type': 'application/json' }).end(text);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    address: `127.0.0.1:${port}`,
    requests,
    on: (p, h) => void handlers.set(p, h),
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
