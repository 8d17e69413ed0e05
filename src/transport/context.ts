import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Snapshot, ServerRoute } from '../snapshot/snapshot.js';
import type { SessionRegistry } from '../protocol/session.js';
import type { Logger } from '../observe/logger.js';
import type { GatewayMetrics } from '../observe/metrics.js';
import type { RateLimiter } from '../limits/rate-limit.js';
import type { Tracing } from '../observe/tracing.js';
import type { ProxyExchange } from '../observe/exchange.js';

/** Decides who is calling a server before any session is made; answers the refusal itself. */
export type Authenticator = (route: ServerRoute, req: IncomingMessage, res: ServerResponse) => Promise<{ ok: true; consumer?: string } | { ok: false }>;

/** What the client-facing transports share. */
export interface TransportContext {
  snapshot(): Snapshot;
  sessions: SessionRegistry;
  log: Logger;
  maxBodyBytes: number;
  keepAliveMs: number;
  authenticate: Authenticator;
  metrics?: GatewayMetrics;
  limiter?: RateLimiter;
  accessLog?: Logger;
  tracing?: Tracing;
  /** Cluster mode: sends requests for sessions held by another replica there. */
  relay?: SessionRelay;
}

/** Relays a request whose session's streams live on another replica; false to serve it here. */
export interface SessionRelay {
  relay(ctx: TransportContext, r: RoutedRequest): Promise<boolean>;
}

/** A request resolved to its MCP server. */
export interface RoutedRequest {
  req: IncomingMessage;
  res: ServerResponse;
  route: ServerRoute;
  /** Path after /mcp-servers/{name}, '' for the Streamable HTTP endpoint itself. */
  rest: string;
  query: URLSearchParams;
  snapshot: Snapshot;
  /** Metrics, access log and spans of a proxied exchange (set by the direct proxy). */
  exchange?: ProxyExchange;
}

/** A server served by a mode that handles raw requests itself (direct proxy, stdio). */
export interface RouteHandler {
  handle(ctx: TransportContext, r: RoutedRequest): Promise<void>;
  /** Releases upstream resources when the route leaves the snapshot. */
  close?(): Promise<void>;
}
