import { ToolNotFoundError, type CallerContext, type ToolProvider } from '../../protocol/dispatch.js';
import { callRestTool, type RestServerRuntime } from './call.js';

/** An HTTP-to-MCP server as the dispatcher sees it. */
export class RestToolProvider implements ToolProvider {
  readonly serverInfo: { name: string; version: string };
  private readonly toolList: Array<Record<string, unknown>>;

  constructor(
    private readonly runtime: RestServerRuntime,
    version: string,
    readonly instructions?: string,
  ) {
    this.serverInfo = { name: runtime.serverName, version };
    this.toolList = runtime.compiled.toolList as unknown as Array<Record<string, unknown>>;
  }

  listTools(_ctx: CallerContext): Array<Record<string, unknown>> {
    return this.toolList;
  }

  hasTool(name: string): boolean {
    return this.runtime.compiled.tools.has(name);
  }

  tool(name: string): Record<string, unknown> | undefined {
    return this.runtime.compiled.tools.get(name)?.entry as unknown as Record<string, unknown> | undefined;
  }

  async callTool(name: string, args: unknown, ctx: CallerContext): Promise<Record<string, unknown>> {
    const tool = this.runtime.compiled.tools.get(name);
    if (!tool) throw new ToolNotFoundError(`Unknown tool: ${name}`);
    const result = await callRestTool(this.runtime, tool, {
      arguments: args,
      headers: ctx.headers,
      remoteAddress: ctx.remoteAddress,
      consumer: ctx.consumer,
      signal: ctx.signal,
      cancel: ctx.cancel,
      trace: ctx.trace,
      upstreamTimed: ctx.upstreamTimed,
    });
    return result as unknown as Record<string, unknown>;
  }
}
