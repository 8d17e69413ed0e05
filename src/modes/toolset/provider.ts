import type { McpServerSpec } from '../../config/resources.js';
import { ToolNotFoundError, type CallerContext, type ToolProvider } from '../../protocol/dispatch.js';
import type { ServerRoute, Snapshot } from '../../snapshot/snapshot.js';
import { mayUseTool } from '../router/access.js';

/** Higress's separator between server and tool in composed tool names. */
export const TOOLSET_SEPARATOR = '___';

interface Member {
  exposed: string;
  server: string;
  tool: string;
  definition: Record<string, unknown>;
}

/**
 * An MCP server composed of chosen tools of other gateway-hosted servers. Members are resolved
 * against the live snapshot (once per snapshot), so a change to a member server shows at once;
 * a member that no longer exists, is disabled or is itself a tool set is left out. Each call goes
 * through the member server's provider with the member server's consumer rules applied.
 */
export class ToolsetProvider implements ToolProvider {
  readonly serverInfo: { name: string; version: string };
  readonly instructions?: string;
  private cache?: { snapshot: Snapshot; members: Map<string, Member> };

  constructor(
    private readonly spec: McpServerSpec,
    private readonly current: () => Snapshot,
    version: string,
  ) {
    this.serverInfo = { name: spec.name, version };
    this.instructions = spec.description;
  }

  private members(): { snapshot: Snapshot; members: Map<string, Member> } {
    const snapshot = this.current();
    if (this.cache?.snapshot === snapshot) return this.cache;
    const members = new Map<string, Member>();
    for (const entry of this.spec.toolset ?? []) {
      const route = snapshot.servers.get(entry.server);
      if (!route?.provider || route.provider instanceof ToolsetProvider || !route.enabled || route.brokenReason) continue;
      // Tool sets list tools of hosted servers; a precomputed list does not depend on the caller.
      const definition = route.provider.listTools({ headers: {}, protocolVersion: '2025-06-18' } as CallerContext).find((t) => t.name === entry.tool);
      if (!definition) continue;
      const exposed = entry.name ?? `${entry.server}${TOOLSET_SEPARATOR}${entry.tool}`;
      members.set(exposed, { exposed, server: entry.server, tool: entry.tool, definition: { ...definition, name: exposed } });
    }
    this.cache = { snapshot, members };
    return this.cache;
  }

  private target(snapshot: Snapshot, m: Member): ServerRoute | undefined {
    return snapshot.servers.get(m.server);
  }

  listTools(ctx: CallerContext): Array<Record<string, unknown>> {
    const { snapshot, members } = this.members();
    const out: Array<Record<string, unknown>> = [];
    for (const m of members.values()) {
      const route = this.target(snapshot, m);
      if (route && mayUseTool(route, ctx.consumer, m.tool)) out.push(m.definition);
    }
    return out;
  }

  hasTool(name: string): boolean {
    return this.members().members.has(name);
  }

  async callTool(name: string, args: unknown, ctx: CallerContext): Promise<Record<string, unknown>> {
    const { snapshot, members } = this.members();
    const m = members.get(name);
    const route = m ? this.target(snapshot, m) : undefined;
    if (!m || !route?.provider) throw new ToolNotFoundError(`Unknown tool: ${name}`);
    if (!mayUseTool(route, ctx.consumer, m.tool)) {
      return { content: [{ type: 'text', text: `tool "${name}": consumer "${ctx.consumer ?? '(anonymous)'}" may not call tool "${m.tool}" of MCP server "${m.server}"` }], isError: true };
    }
    return route.provider.callTool(m.tool, args, ctx);
  }
}
