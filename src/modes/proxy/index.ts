import type { McpServerSpec } from '../../config/resources.js';
import type { ServiceRuntime } from '../../snapshot/snapshot.js';
import type { RouteHandler } from '../../transport/context.js';

/**
 * Builds the handler of a direct-proxy server. `previous` is the handler the last snapshot had for
 * the same server, so upstream sessions can be carried over when nothing relevant changed.
 */
export function createDirectProxy(spec: McpServerSpec, _service: ServiceRuntime, _previous: RouteHandler | undefined): RouteHandler {
  throw new Error(`direct proxy is not available yet (MCP server "${spec.name}")`);
}
