import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AdminExtension } from './admin-extensions.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
};

/** The built console (web/dist), found from the source and the compiled layout alike. */
export function consoleRoot(): string {
  return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../web/dist');
}

/** Serves the web console at / with a single-page-app fallback to index.html. */
export function consoleExtension(root = consoleRoot()): AdminExtension {
  return {
    name: 'console',
    async register(app) {
      app.get('/*', { schema: { hide: true } }, async (req, reply) => {
        const urlPath = decodeURIComponent(req.url.split('?')[0]);
        if (urlPath.startsWith('/api/')) return reply.callNotFound();
        const resolved = path.resolve(root, `.${urlPath}`);
        // Anything outside the console folder (../ tricks) is not served.
        const inside = resolved === root || resolved.startsWith(root + path.sep);
        let file = inside && fs.existsSync(resolved) && fs.statSync(resolved).isFile() ? resolved : path.join(root, 'index.html');
        if (!fs.existsSync(file)) {
          return reply.code(404).type('text/plain').send('The console is not built: run "npm run build".');
        }
        if (path.extname(urlPath) && file.endsWith('index.html') && path.basename(urlPath) !== 'index.html') {
          // A missing asset is a 404, not the app page.
          if (!resolved.endsWith('index.html')) return reply.callNotFound();
          file = resolved;
        }
        const type = TYPES[path.extname(file)] ?? 'application/octet-stream';
        const cache = file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache';
        return reply.header('cache-control', cache).type(type).send(fs.createReadStream(file));
      });
    },
  };
}
