import type { McpServerSpec } from '../../config/resources.js';
import { JSONRPC_INVALID_REQUEST } from '../../protocol/jsonrpc.js';
import type { ServiceRuntime } from '../../snapshot/snapshot.js';
import type { RouteHandler, RoutedRequest, TransportContext } from '../../transport/context.js';
import { sendRpcError } from '../../transport/http-io.js';
import { McpUpstream } from '../../transport/upstream/streamable-client.js';
import { BridgeToSse } from './bridge-to-sse.js';
import { BridgeToStreamable } from './bridge-to-streamable.js';
import { Proxy2026 } from './bridge-2026.js';
import { SseForward } from './sse-forward.js';
import { createStdioProxy } from './stdio-proxy.js';
import { StreamableForward } from './streamable-forward.js';

const DEFAULT_TIMEOUT_MS = 30_000;
/** Largest single message or event accepted from a backend. */
const MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

function methodNotAllowed(r: RoutedRequest, allow: string): void {
  sendRpcError(r.res, 405, JSONRPC_INVALID_REQUEST, 'METHOD_NOT_ALLOWED', `Method Not Allowed: ${r.req.method}`, null, { allow });
}

/** Normalises the configured backend path: leading slash, no trailing slash. */
function normalisePath(p: string | undefined, transport: 'sse' | 'streamable-http'): string {
  let path = (p ?? '').trim() || (transport === 'sse' ? '/sse' : '/mcp');
  if (!path.startsWith('/')) path = `/${path}`;
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return path;
}

/**
 * A direct-proxy server. Requests are routed by path:
 * - `''` (Streamable HTTP): forwarded to a Streamable backend, bridged to an SSE one;
 * - `{path}`: the backend's own transport, passed through;
 * - `/sse` and `/message`: HTTP+SSE, forwarded to an SSE backend, bridged to a Streamable one.
 */
class DirectProxy implements RouteHandler {
  private readonly streamable?: StreamableForward;
  private readonly toSse?: BridgeToSse;
  private readonly sse?: SseForward;
  private readonly toStreamable?: BridgeToStreamable;
  /** Protocol 2026-07-28 (stateless) requests and generation bridging, Streamable backends only. */
  private readonly p26?: Proxy2026;
  private readonly path: string;

  constructor(
    spec: McpServerSpec,
    service: ServiceRuntime,
    private readonly backend: 'sse' | 'streamable-http',
    maxMessageBytes: number,
  ) {
    this.path = normalisePath(spec.path, backend);
    const up = new McpUpstream(service, this.path, service.spec.timeoutMs ?? DEFAULT_TIMEOUT_MS, maxMessageBytes);
    if (backend === 'streamable-http') {
      this.streamable = new StreamableForward(up, spec.name);
      this.toStreamable = new BridgeToStreamable(up, spec.name);
      this.p26 = new Proxy2026(up, spec.name, spec.protocolBridging ?? 'auto');
    } else {
      this.sse = new SseForward(up, spec.name);
      this.toSse = new BridgeToSse(up, spec.name);
    }
  }

  async handle(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { rest } = r;
    const method = r.req.method;
    if (this.streamable) {
      if (rest === '' || rest === '/' || rest === this.path) {
        if (method === 'POST') return (await this.p26!.post(ctx, r)) ? undefined : this.streamable.post(ctx, r);
        if (method === 'GET') return (await this.p26!.get(ctx, r)) ? undefined : this.streamable.get(ctx, r);
        if (method === 'DELETE') return (await this.p26!.delete(ctx, r)) ? undefined : this.streamable.delete(ctx, r);
        return methodNotAllowed(r, 'GET, POST, DELETE, OPTIONS');
      }
      if (rest === '/sse') return method === 'GET' ? this.toStreamable!.open(ctx, r) : methodNotAllowed(r, 'GET');
      if (rest === '/message' || rest === '/messages') return method === 'POST' ? this.toStreamable!.message(ctx, r) : methodNotAllowed(r, 'POST');
    } else {
      if (rest === this.path) r.exchange?.clientTransport('sse');
      if (rest === this.path || rest === '/sse') return method === 'GET' ? this.sse!.open(ctx, r) : methodNotAllowed(r, 'GET');
      if (rest === '' || rest === '/') {
        if (method === 'POST') return this.toSse!.post(ctx, r);
        if (method === 'GET') return this.toSse!.get(ctx, r);
        if (method === 'DELETE') return this.toSse!.delete(ctx, r);
        return methodNotAllowed(r, 'GET, POST, DELETE, OPTIONS');
      }
      if (rest === '/message' || rest === '/messages') return method === 'POST' ? this.sse!.message(ctx, r) : methodNotAllowed(r, 'POST');
    }
    return sendRpcError(r.res, 404, JSONRPC_INVALID_REQUEST, 'ROUTE_NOT_FOUND', `Not found: /mcp-servers/${r.route.name}${rest}; this direct-proxy server is served at /mcp-servers/${r.route.name}, /mcp-servers/${r.route.name}${this.path} and /mcp-servers/${r.route.name}/sse`);
  }
}

/**
 * Builds the handler of a direct-proxy server. Sessions live in the shared SessionRegistry with
 * their upstream half attached, so a rebuilt handler (`previous`) needs nothing carried over:
 * sessions keep the backend endpoint they started on.
 */
export function createDirectProxy(spec: McpServerSpec, service: ServiceRuntime, _previous: RouteHandler | undefined, maxMessageBytes = MAX_MESSAGE_BYTES): RouteHandler {
  if (service.spec.protocol === 'stdio') return createStdioProxy(spec, service);
  if (service.spec.protocol !== 'mcp' && service.spec.protocol !== 'http' && service.spec.protocol !== 'https') {
    throw new Error(`service "${service.spec.name}" has protocol ${service.spec.protocol}; a direct-proxy server needs an MCP service reached over HTTP`);
  }
  if (!service.endpoints || service.endpoints.size === 0) throw new Error(`service "${service.spec.name}" has no endpoints`);
  const transport = spec.transport ?? 'streamable-http';
  if (transport !== 'sse' && transport !== 'streamable-http') throw new Error(`transport must be sse or streamable-http, got "${String(transport)}"`);
  return new DirectProxy(spec, service, transport, maxMessageBytes);
}
