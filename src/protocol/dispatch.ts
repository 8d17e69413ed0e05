import {
  errorResponse,
  resultResponse,
  JSONRPC_INVALID_PARAMS,
  JSONRPC_METHOD_NOT_FOUND,
  GW_FORBIDDEN,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from './jsonrpc.js';
import { hasStructuredContent, negotiateVersion, type ProtocolVersion } from './versions.js';
import type { Session } from './session.js';

/** What a gateway-hosted MCP server (HTTP-to-MCP, tool set, router) offers to the dispatcher. */
export interface ToolProvider {
  serverInfo: { name: string; version: string; title?: string };
  instructions?: string;
  listTools(ctx: CallerContext): Array<Record<string, unknown>>;
  callTool(name: string, args: unknown, ctx: CallerContext): Promise<Record<string, unknown>>;
  /** True when the server has this tool (bounds metric labels). */
  hasTool?(name: string): boolean;
}

/** Who is calling and from where; handed to providers. */
export interface CallerContext {
  session?: Session;
  consumer?: string;
  headers: Record<string, string | string[] | undefined>;
  remoteAddress?: string;
  signal?: AbortSignal;
  /** Aborts `signal` with a reason (a provider's own deadline uses it instead of a second controller). */
  cancel?: (reason: unknown) => void;
  protocolVersion: ProtocolVersion;
  /** The tools this caller may see and call; undefined means all. */
  allowedTools?: ReadonlySet<string>;
}

export class ToolNotFoundError extends Error {}

/** The initialize result for a provider. */
export function initializeResult(provider: ToolProvider, requested: unknown): { result: Record<string, unknown>; version: ProtocolVersion } {
  const version = negotiateVersion(requested);
  const result: Record<string, unknown> = {
    protocolVersion: version,
    capabilities: { tools: { listChanged: false } },
    serverInfo: provider.serverInfo,
  };
  if (provider.instructions) result.instructions = provider.instructions;
  return { result, version };
}

function stripForVersion(tool: Record<string, unknown>, version: ProtocolVersion): Record<string, unknown> {
  if (hasStructuredContent(version) || !('outputSchema' in tool)) return tool;
  const { outputSchema: _o, ...rest } = tool;
  return rest;
}

/**
 * Answers one request addressed to a gateway-hosted server (initialize is handled by the
 * transport, which owns sessions). Returns a JSON-RPC response; never throws.
 */
export async function dispatchRequest(provider: ToolProvider, req: JsonRpcRequest, ctx: CallerContext): Promise<JsonRpcResponse> {
  const id = req.id ?? null;
  const params = (req.params && !Array.isArray(req.params) ? req.params : {}) as Record<string, unknown>;
  switch (req.method) {
    case 'ping':
      return resultResponse(id, {});
    case 'tools/list': {
      const all = provider.listTools(ctx);
      const visible = ctx.allowedTools ? all.filter((t) => ctx.allowedTools!.has(t.name as string)) : all;
      const tools = visible.map((t) => stripForVersion(t, ctx.protocolVersion));
      return resultResponse(id, { tools });
    }
    case 'tools/call': {
      if (typeof params.name !== 'string' || params.name.length === 0) {
        return errorResponse(id, JSONRPC_INVALID_PARAMS, 'Invalid params: tools/call needs a tool name');
      }
      if (params.arguments !== undefined && (params.arguments === null || typeof params.arguments !== 'object' || Array.isArray(params.arguments))) {
        return errorResponse(id, JSONRPC_INVALID_PARAMS, 'Invalid params: arguments must be an object');
      }
      if (ctx.allowedTools && !ctx.allowedTools.has(params.name)) {
        return errorResponse(id, GW_FORBIDDEN, `Forbidden: consumer "${ctx.consumer ?? ''}" may not call tool "${params.name}"`, { code: 'TOOL_NOT_ALLOWED' });
      }
      try {
        const result = await provider.callTool(params.name, params.arguments ?? {}, ctx);
        if (!hasStructuredContent(ctx.protocolVersion) && 'structuredContent' in result) {
          const { structuredContent: _s, ...rest } = result;
          return resultResponse(id, rest);
        }
        return resultResponse(id, result);
      } catch (err) {
        if (err instanceof ToolNotFoundError) return errorResponse(id, JSONRPC_INVALID_PARAMS, err.message);
        return errorResponse(id, -32603, `Internal error: ${(err as Error).message}`);
      }
    }
    default:
      return errorResponse(id, JSONRPC_METHOD_NOT_FOUND, `Method not found: ${req.method}`);
  }
}
