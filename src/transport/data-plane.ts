import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { JSONRPC_INVALID_REQUEST } from '../protocol/jsonrpc.js';
import { sendJson, sendRpcError } from './http-io.js';
import { streamableDelete, streamableGet, streamablePost } from './streamable.js';
import { sseMessage, sseOpen } from './sse.js';
import type { RoutedRequest, TransportContext } from './context.js';
import type { ServerRoute } from '../snapshot/snapshot.js';
import { baseUrlOf, METADATA_PREFIX, protectedResourceMetadata } from '../auth/oauth.js';
import { observeExchange } from './observed-route.js';

const PREFIX = '/mcp-servers/';
const METADATA_PATH = `${METADATA_PREFIX}/mcp-servers/`;
const CORS_ALLOW_HEADERS = 'content-type, accept, authorization, mcp-session-id, mcp-protocol-version, mcp-method, mcp-name, last-event-id, x-api-key';
const CORS_EXPOSE_HEADERS = 'mcp-session-id, mcp-protocol-version, www-authenticate';

function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}

function hostOnly(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const i = hostHeader.lastIndexOf(':');
  return i === -1 ? hostHeader : hostHeader.slice(0, i);
}

function domainMatches(domains: string[], hostHeader: string): boolean {
  const host = hostHeader.toLowerCase();
  const bare = hostOnly(host);
  return domains.some((d) => d === host || d === bare || (d.startsWith('*.') && bare.endsWith(d.slice(1))));
}

export interface DataPlaneOptions {
  allowedOrigins: string[];
  publicUrl?: string;
  /** What the shared services say (cluster mode: store and Redis reachable); ready when absent. */
  dependencies?: () => { ok: boolean; checks: Record<string, string> };
}

/** The client-facing listener: routes /mcp-servers/{name}… to the transports; serves health. */
export class DataPlane {
  readonly server: http.Server;
  private ready = false;
  private readonly allowedOrigins: Set<string>;

  constructor(
    private readonly ctx: TransportContext,
    private readonly opts: DataPlaneOptions,
  ) {
    this.allowedOrigins = new Set(opts.allowedOrigins.map((o) => o.toLowerCase()));
    this.server = http.createServer({ requestTimeout: 0, headersTimeout: 60_000, keepAliveTimeout: 65_000 }, (req, res) => {
      this.handle(req, res).catch((err) => {
        ctx.log.error({ err }, 'data plane request failed');
        if (!res.headersSent) sendRpcError(res, 500, -32603, 'INTERNAL', 'Internal error');
        else res.destroy();
      });
    });
  }

  setReady(ready: boolean): void {
    this.ready = ready;
  }

  /** An Origin is allowed when it is loopback, one of the server's domains, or configured. */
  private originAllowed(origin: string, route: ServerRoute | undefined): boolean {
    if (this.allowedOrigins.has(origin.toLowerCase()) || this.allowedOrigins.has('*')) return true;
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      return false;
    }
    if (isLoopbackHost(hostOnly(host))) return true;
    return !!route && route.domains.length > 0 && domainMatches(route.domains, host);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const path = q === -1 ? url : url.slice(0, q);
    if (path === '/healthz') return sendJson(res, 200, { status: 'ok' });
    if (path === '/readyz') {
      const deps = this.opts.dependencies?.();
      const ok = this.ready && (deps?.ok ?? true);
      return sendJson(res, ok ? 200 : 503, { status: ok ? 'ready' : this.ready ? 'degraded' : 'starting', ...(deps ? { checks: deps.checks } : {}) });
    }
    if (path.startsWith(METADATA_PATH)) return this.resourceMetadata(req, res, path.slice(METADATA_PATH.length));
    if (!path.startsWith(PREFIX)) return sendRpcError(res, 404, JSONRPC_INVALID_REQUEST, 'ROUTE_NOT_FOUND', `Not found: ${path}; MCP servers are served under ${PREFIX}{name}`);

    const afterPrefix = path.slice(PREFIX.length);
    const slash = afterPrefix.indexOf('/');
    let name: string;
    try {
      name = decodeURIComponent(slash === -1 ? afterPrefix : afterPrefix.slice(0, slash));
    } catch {
      return sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'BAD_PATH', 'Bad Request: malformed path');
    }
    const rest = slash === -1 ? '' : afterPrefix.slice(slash);
    const snapshot = this.ctx.snapshot();
    const route = snapshot.servers.get(name);

    const origin = req.headers.origin;
    if (origin !== undefined && !this.originAllowed(origin, route)) {
      return sendRpcError(res, 403, JSONRPC_INVALID_REQUEST, 'ORIGIN_NOT_ALLOWED', `Forbidden: Origin ${origin} is not allowed`);
    }
    if (origin !== undefined) {
      res.setHeader('access-control-allow-origin', origin);
      res.setHeader('vary', 'Origin');
      res.setHeader('access-control-expose-headers', CORS_EXPOSE_HEADERS);
    }
    if (req.method === 'OPTIONS') {
      res.writeHead(204, {
        'access-control-allow-methods': 'GET, POST, DELETE, OPTIONS',
        'access-control-allow-headers': CORS_ALLOW_HEADERS,
        'access-control-max-age': '600',
      });
      return void res.end();
    }
    if (!route) return sendRpcError(res, 404, -32001, 'SERVER_NOT_FOUND', `MCP server "${name}" does not exist`);
    if (route.domains.length > 0 && !domainMatches(route.domains, req.headers.host ?? '')) {
      return sendRpcError(res, 403, JSONRPC_INVALID_REQUEST, 'HOST_NOT_ALLOWED', `Forbidden: MCP server "${name}" is not served for Host ${req.headers.host ?? '(none)'}`);
    }
    if (!route.enabled) return sendRpcError(res, 503, -32001, 'SERVER_DISABLED', `MCP server "${name}" is disabled`);
    if (route.brokenReason) return sendRpcError(res, 503, -32001, 'SERVER_BROKEN', route.brokenReason);

    const routed: RoutedRequest = { req, res, route, rest, query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)), snapshot };
    if (req.method === 'GET') this.ctx.metrics?.trackStream(res, name, rest === '' || rest === '/' ? 'streamable-http' : 'sse');
    if (this.ctx.relay && (await this.ctx.relay.relay(this.ctx, routed))) return;
    if (route.proxy) return observeExchange(this.ctx, routed, route.proxy);
    if (route.provider) {
      if (rest === '' || rest === '/') {
        if (req.method === 'POST') return streamablePost(this.ctx, routed);
        if (req.method === 'GET') return streamableGet(this.ctx, routed);
        if (req.method === 'DELETE') return streamableDelete(this.ctx, routed);
        return sendRpcError(res, 405, JSONRPC_INVALID_REQUEST, 'METHOD_NOT_ALLOWED', `Method Not Allowed: ${req.method}`, null, { allow: 'GET, POST, DELETE, OPTIONS' });
      }
      if (rest === '/sse') {
        if (req.method === 'GET') return sseOpen(this.ctx, routed);
        return sendRpcError(res, 405, JSONRPC_INVALID_REQUEST, 'METHOD_NOT_ALLOWED', 'Method Not Allowed: open the SSE stream with GET', null, { allow: 'GET' });
      }
      if (rest === '/message' || rest === '/messages') {
        if (req.method === 'POST') return sseMessage(this.ctx, routed);
        return sendRpcError(res, 405, JSONRPC_INVALID_REQUEST, 'METHOD_NOT_ALLOWED', 'Method Not Allowed: send messages with POST', null, { allow: 'POST' });
      }
    }
    return sendRpcError(res, 404, JSONRPC_INVALID_REQUEST, 'ROUTE_NOT_FOUND', `Not found: ${path}`);
  }

  /** RFC 9728 metadata of a server that has OAuth on (404 for any other). */
  private resourceMetadata(req: IncomingMessage, res: ServerResponse, rawName: string): void {
    let name: string;
    try {
      name = decodeURIComponent(rawName);
    } catch {
      return sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'BAD_PATH', 'Bad Request: malformed path');
    }
    const route = this.ctx.snapshot().servers.get(name);
    if (!route || !route.spec.oauth || route.spec.oauth.enabled === false) {
      return sendRpcError(res, 404, -32001, 'SERVER_NOT_FOUND', `MCP server "${name}" has no OAuth protected resource metadata`);
    }
    res.setHeader('access-control-allow-origin', '*');
    sendJson(res, 200, protectedResourceMetadata(route.spec, baseUrlOf(req, this.opts.publicUrl)));
  }

  listen(port: number, host: string): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        const addr = this.server.address();
        resolve(typeof addr === 'object' && addr ? addr.port : port);
      });
    });
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      setTimeout(() => this.server.closeAllConnections(), 2000).unref();
    });
  }
}
