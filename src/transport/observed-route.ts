import { ProxyExchange } from '../observe/exchange.js';
import type { RouteHandler, RoutedRequest, TransportContext } from './context.js';

/**
 * Runs a request on a server whose mode handles raw requests (direct proxy, stdio) inside a
 * ProxyExchange, so its metrics, access line and spans are recorded once it ends.
 */
export async function observeExchange(ctx: TransportContext, r: RoutedRequest, handler: RouteHandler): Promise<void> {
  if (!ctx.metrics && !ctx.accessLog && !ctx.tracing) return handler.handle(ctx, r);
  const sse = r.rest === '/sse' || r.rest === '/message' || r.rest === '/messages';
  const exchange = (r.exchange = new ProxyExchange(ctx, r.route.name, sse ? 'sse' : 'streamable-http', r.req));
  try {
    await handler.handle(ctx, r);
  } finally {
    exchange.finish(r.res);
  }
}
