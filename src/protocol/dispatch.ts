import {
  errorResponse,
  resultResponse,
  JSONRPC_INVALID_PARAMS,
  JSONRPC_METHOD_NOT_FOUND,
  GW_FORBIDDEN,
  type JsonRpcRequest,
  type JsonRpcResponse,
} from './jsonrpc.js';
import { hasStructuredContent, isModernVersion, negotiateVersion, SUPPORTED_VERSIONS, type ProtocolVersion } from './versions.js';
import { checkParamHeaders, completeResult, headerLookup, META_SERVER_INFO, REMOVED_IN_MODERN } from './modern.js';
import type { Session } from './session.js';
import type { RequestTrace } from '../observe/tracing.js';

/** What a gateway-hosted MCP server (HTTP-to-MCP, tool set, router) offers to the dispatcher. */
export interface ToolProvider {
  serverInfo: { name: string; version: string; title?: string };
  instructions?: string;
  listTools(ctx: CallerContext): Array<Record<string, unknown>>;
  callTool(name: string, args: unknown, ctx: CallerContext): Promise<Record<string, unknown>>;
  /** True when the server has this tool (bounds metric labels). */
  hasTool?(name: string): boolean;
  /** One tool's definition without listing all (x-mcp-header checks on 2026-07-28 calls). */
  tool?(name: string, ctx: CallerContext): Record<string, unknown> | undefined;
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
  /** The request's span when tracing is on; backend calls become its children. */
  trace?: RequestTrace;
  /** Told how long a backend took to answer (to its response headers), for the upstream latency histogram. */
  upstreamTimed?: (seconds: number) => void;
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

/** The server/discover result (2026-07-28): every version served, capabilities, identity. */
export function discoverResult(provider: ToolProvider): Record<string, unknown> {
  const result: Record<string, unknown> = {
    supportedVersions: [...SUPPORTED_VERSIONS],
    // Prompts and resources are listed (empty) so one discover answer matches every list method served.
    capabilities: { tools: { listChanged: true }, prompts: {}, resources: {} },
    _meta: { [META_SERVER_INFO]: provider.serverInfo },
  };
  if (provider.instructions) result.instructions = provider.instructions;
  return result;
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
  if (!isModernVersion(ctx.protocolVersion)) return dispatchLegacy(provider, req, ctx);
  const id = req.id ?? null;
  if (REMOVED_IN_MODERN.has(req.method)) return errorResponse(id, JSONRPC_METHOD_NOT_FOUND, `Method not found: ${req.method} is not part of protocol version ${ctx.protocolVersion}`);
  let answer: JsonRpcResponse;
  switch (req.method) {
    case 'server/discover':
      answer = resultResponse(id, discoverResult(provider));
      break;
    case 'prompts/list':
      answer = resultResponse(id, { prompts: [] });
      break;
    case 'resources/list':
      answer = resultResponse(id, { resources: [] });
      break;
    case 'resources/templates/list':
      answer = resultResponse(id, { resourceTemplates: [] });
      break;
    case 'prompts/get':
      return errorResponse(id, JSONRPC_INVALID_PARAMS, `Invalid params: unknown prompt ${JSON.stringify(paramsOf(req).name ?? null)}`);
    case 'resources/read':
      return errorResponse(id, JSONRPC_INVALID_PARAMS, 'Resource not found', { uri: paramsOf(req).uri ?? null });
    case 'tools/call': {
      const params = paramsOf(req);
      if (typeof params.name === 'string') {
        const visible = !ctx.allowedTools || ctx.allowedTools.has(params.name);
        const tool = visible ? (provider.tool ? provider.tool(params.name, ctx) : provider.listTools(ctx).find((t) => t.name === params.name)) : undefined;
        const mismatch = tool ? checkParamHeaders(headerLookup(ctx.headers), id, tool.inputSchema, params.arguments) : undefined;
        if (mismatch) return mismatch.response;
      }
      answer = await dispatchLegacy(provider, req, ctx);
      break;
    }
    default:
      answer = await dispatchLegacy(provider, req, ctx);
  }
  if (answer.result && typeof answer.result === 'object') {
    // Lists differ per consumer when an allow-list applies, so shared caches must not keep them.
    const cacheScope = ctx.allowedTools || ctx.consumer ? 'private' : 'public';
    answer.result = completeResult(req.method, answer.result as Record<string, unknown>, { serverInfo: provider.serverInfo, cacheScope });
  }
  return answer;
}

function paramsOf(req: JsonRpcRequest): Record<string, unknown> {
  return (req.params && !Array.isArray(req.params) ? req.params : {}) as Record<string, unknown>;
}

/** Answers a request the way every revision up to 2025-11-25 does (also the core of the modern path). */
async function dispatchLegacy(provider: ToolProvider, req: JsonRpcRequest, ctx: CallerContext): Promise<JsonRpcResponse> {
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
