import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, request as httpRequest, type Server } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)));
export const WEB_DIR = join(REPO_ROOT, 'web');
export const DIST_DIR = join(WEB_DIR, 'dist');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(p) : statSync(p).mtimeMs);
  }
  return newest;
}

function isFresh(): boolean {
  const index = join(DIST_DIR, 'index.html');
  const sources = Math.max(newestMtime(join(WEB_DIR, 'src')), statSync(join(WEB_DIR, 'index.html')).mtimeMs, statSync(join(WEB_DIR, 'vite.config.ts')).mtimeMs);
  return existsSync(index) && statSync(index).mtimeMs >= sources;
}

// Test files run in parallel processes: one builds while the others wait, so none reads a half-written dist.
const LOCK = join(tmpdir(), `mcpgw-console-build-${createHash('sha1').update(REPO_ROOT).digest('hex').slice(0, 12)}`);

async function withBuildLock<T>(fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 180_000;
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock older than the deadline belongs to a process that died mid-build.
      if (existsSync(LOCK) && Date.now() - statSync(LOCK).mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true });
      if (Date.now() > deadline) throw new Error(`Timed out waiting for the console build lock ${LOCK}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  try {
    return await fn();
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

/** Builds web/dist with Vite when it is missing or older than web/src, so tests always drive the current console. */
export async function ensureConsoleBuilt(): Promise<string> {
  if (isFresh()) return DIST_DIR;
  await withBuildLock(async () => {
    if (isFresh()) return;
    const { build } = await import('vite');
    await build({ configFile: join(WEB_DIR, 'vite.config.ts'), logLevel: 'warn' });
  });
  return DIST_DIR;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
};

export interface ConsoleSite {
  url: string;
  close(): Promise<void>;
}

/**
 * Serves web/dist on loopback and forwards `/api/` to `adminUrl`: the console on its own origin, for use
 * before (or besides) the admin listener serving it. Without `adminUrl`, `/api/` answers 502.
 */
export async function serveConsole(adminUrl?: string): Promise<ConsoleSite> {
  const root = await ensureConsoleBuilt();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/api/')) {
      if (!adminUrl) {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'NO_ADMIN_API', message: 'No admin API behind this test server' } }));
        return;
      }
      const target = new URL(url.pathname + url.search, adminUrl);
      const upstream = httpRequest(target, { method: req.method, headers: { ...req.headers, host: target.host } }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on('error', (err) => {
        res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 'UPSTREAM', message: err.message } }));
      });
      req.pipe(upstream);
      return;
    }
    const rel = normalize(decodeURIComponent(url.pathname)).replace(/^([/\\])+/, '');
    let file = join(root, rel || 'index.html');
    if (!file.startsWith(root + sep) && file !== root) {
      res.writeHead(403).end();
      return;
    }
    if (!existsSync(file) || statSync(file).isDirectory()) file = join(root, 'index.html');
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}
