import { ToolNotFoundError, type CallerContext, type ToolProvider } from '../../protocol/dispatch.js';
import type { ServerRoute, Snapshot } from '../../snapshot/snapshot.js';
import { mayUseServer, mayUseTool } from './access.js';
import { buildIndex, indexTools, search, type IndexedTool } from './search.js';
import type { LoopbackClient } from './loopback.js';

/** How long a proxied server's tool list is reused for a consumer. */
const PROXY_TOOLS_TTL_MS = 30_000;
const MAX_PAGES = 10;

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 50;

const TOOLS: Array<Record<string, unknown>> = [
  {
    name: 'search_tools',
    description:
      'Search the tools of every MCP server behind this gateway that you may use, by keywords matched against tool names, descriptions and argument names. Returns the best matches with their server, tool name and input schema; call one with call_tool.',
    inputSchema: {
      type: 'object',
      properties: {
        query: { type: 'string', description: 'keywords describing what the tool should do' },
        limit: { type: 'integer', minimum: 1, maximum: MAX_LIMIT, description: `most results (default ${DEFAULT_LIMIT})` },
        server: { type: 'string', description: 'only search this MCP server' },
      },
      required: ['query'],
    },
    annotations: { readOnlyHint: true },
  },
  {
    name: 'call_tool',
    description: 'Call a tool of an MCP server behind this gateway (as found with search_tools), with that server\'s own access rules.',
    inputSchema: {
      type: 'object',
      properties: {
        server: { type: 'string', description: 'the MCP server, as search_tools returned it' },
        tool: { type: 'string', description: 'the tool name, as search_tools returned it' },
        arguments: { type: 'object', description: 'the tool\'s arguments, per its input schema' },
      },
      required: ['server', 'tool'],
    },
  },
];

function errorResult(text: string): Record<string, unknown> {
  return { content: [{ type: 'text', text }], isError: true };
}

/**
 * The built-in MCP router: one endpoint that finds tools across every gateway-hosted server the
 * caller may use (`search_tools`) and calls them through their server's provider (`call_tool`),
 * applying that server's consumer rules and per-consumer tool allow-lists. The search index is
 * built once per snapshot.
 */
export class McpRouter implements ToolProvider {
  readonly serverInfo: { name: string; version: string };
  readonly instructions = 'Use search_tools to find a tool across all MCP servers of this gateway, then call_tool to run it.';
  private index?: { snapshot: Snapshot; tools: IndexedTool[] };
  /** The route under which the router is served; the same object in every snapshot. */
  readonly route: ServerRoute;
  /** Tool lists of proxied servers by server and consumer. */
  private readonly proxyTools = new Map<string, { route: ServerRoute; at: number; tools: Promise<IndexedTool[]> }>();

  constructor(
    readonly name: string,
    private readonly current: () => Snapshot,
    version: string,
    /** Reaches proxied (not hosted) servers through the gateway's own data plane; without it only hosted servers are covered. */
    private readonly loopback?: LoopbackClient,
    /** Request headers that carry the caller's credential, forwarded on loopback calls. */
    private readonly credentialHeaders: string[] = ['authorization', 'x-api-key'],
  ) {
    this.serverInfo = { name, version };
    this.route = {
      name,
      spec: { name, type: 'toolset', description: 'Built-in MCP router: search and call the tools of every MCP server you may use', toolset: [] },
      enabled: true,
      domains: [],
      provider: this,
    };
  }

  private tools(snapshot: Snapshot): IndexedTool[] {
    if (this.index?.snapshot !== snapshot) this.index = { snapshot, tools: buildIndex(snapshot, this.name) };
    return this.index.tools;
  }

  listTools(_ctx: CallerContext): Array<Record<string, unknown>> {
    return TOOLS;
  }

  hasTool(name: string): boolean {
    return name === 'search_tools' || name === 'call_tool';
  }

  async callTool(name: string, args: unknown, ctx: CallerContext): Promise<Record<string, unknown>> {
    const a = (args ?? {}) as Record<string, unknown>;
    if (name === 'search_tools') return this.searchTools(a, ctx);
    if (name === 'call_tool') return this.callThrough(a, ctx);
    throw new ToolNotFoundError(`Unknown tool: ${name}`);
  }

  /** Headers for a loopback call on behalf of the caller: its credential and Host (servers may be bound to domains). */
  private forwardHeaders(ctx: CallerContext): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of [...this.credentialHeaders, 'host']) {
      const v = ctx.headers[name];
      const value = Array.isArray(v) ? v[0] : v;
      if (value) out[name] = value;
    }
    return out;
  }

  private async listProxied(route: ServerRoute, ctx: CallerContext): Promise<IndexedTool[]> {
    const key = `${route.name}\u0000${ctx.consumer ?? ''}`;
    const cached = this.proxyTools.get(key);
    if (cached && cached.route === route && Date.now() - cached.at < PROXY_TOOLS_TTL_MS) return cached.tools;
    const tools = (async () => {
      const defs: Array<Record<string, unknown>> = [];
      let cursor: string | undefined;
      for (let page = 0; page < MAX_PAGES; page++) {
        const result = await this.loopback!.call(route.name, this.forwardHeaders(ctx), 'tools/list', cursor ? { cursor } : {}, ctx.signal);
        if (Array.isArray(result.tools)) defs.push(...(result.tools as Array<Record<string, unknown>>));
        cursor = typeof result.nextCursor === 'string' && result.nextCursor ? result.nextCursor : undefined;
        if (!cursor) break;
      }
      return indexTools(route, defs);
    })();
    if (this.proxyTools.size > 4096) this.proxyTools.clear();
    this.proxyTools.set(key, { route, at: Date.now(), tools });
    // A failed list is not kept: the next search asks again.
    tools.catch(() => this.proxyTools.delete(key));
    return tools;
  }

  private async proxiedEntries(snapshot: Snapshot, ctx: CallerContext, only?: string): Promise<IndexedTool[]> {
    if (!this.loopback) return [];
    const routes = [...snapshot.servers.values()].filter((r) => r.proxy && r.name !== this.name && (!only || r.name === only) && mayUseServer(r, ctx.consumer));
    const lists = await Promise.allSettled(routes.map((r) => this.listProxied(r, ctx)));
    return lists.flatMap((l) => (l.status === 'fulfilled' ? l.value : []));
  }

  private async searchTools(a: Record<string, unknown>, ctx: CallerContext): Promise<Record<string, unknown>> {
    if (typeof a.query !== 'string') return errorResult('search_tools: "query" must be a string');
    if (a.limit !== undefined && (!Number.isInteger(a.limit) || (a.limit as number) < 1)) return errorResult('search_tools: "limit" must be a positive integer');
    if (a.server !== undefined && typeof a.server !== 'string') return errorResult('search_tools: "server" must be a string');
    const limit = Math.min(MAX_LIMIT, (a.limit as number | undefined) ?? DEFAULT_LIMIT);
    const snapshot = this.current();
    const entries = [...this.tools(snapshot), ...(await this.proxiedEntries(snapshot, ctx, a.server as string | undefined))];
    const hits = search(entries, snapshot.servers, ctx.consumer, a.query, limit, a.server as string | undefined);
    return { content: [{ type: 'text', text: JSON.stringify({ results: hits }) }], structuredContent: { results: hits } };
  }

  private async callThrough(a: Record<string, unknown>, ctx: CallerContext): Promise<Record<string, unknown>> {
    if (typeof a.server !== 'string' || !a.server) return errorResult('call_tool: "server" must be a non-empty string');
    if (typeof a.tool !== 'string' || !a.tool) return errorResult('call_tool: "tool" must be a non-empty string');
    if (a.arguments !== undefined && (a.arguments === null || typeof a.arguments !== 'object' || Array.isArray(a.arguments))) {
      return errorResult('call_tool: "arguments" must be an object');
    }
    const route = a.server === this.name ? undefined : this.current().servers.get(a.server);
    // The same answer for "no such server/tool" and "not allowed", so a consumer learns nothing about what it may not use.
    if (!route || !mayUseTool(route, ctx.consumer, a.tool)) {
      return errorResult(`call_tool: no tool "${a.tool}" on MCP server "${a.server}" that you may call`);
    }
    if (!route.provider) {
      if (!this.loopback) return errorResult(`call_tool: MCP server "${a.server}" is not hosted by the gateway and cannot be reached from the router`);
      try {
        return await this.loopback.call(route.name, this.forwardHeaders(ctx), 'tools/call', { name: a.tool, arguments: a.arguments ?? {} }, ctx.signal);
      } catch (err) {
        return errorResult(`call_tool: ${(err as Error).message}`);
      }
    }
    try {
      return await route.provider.callTool(a.tool, a.arguments ?? {}, { ...ctx, allowedTools: undefined });
    } catch (err) {
      if (err instanceof ToolNotFoundError) return errorResult(`call_tool: no tool "${a.tool}" on MCP server "${a.server}" that you may call`);
      throw err;
    }
  }
}
