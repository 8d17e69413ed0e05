import type { McpServerSpec, ServiceSpec } from '../../config/resources.js';
import type { Logger } from '../../observe/logger.js';
import { JSONRPC_INVALID_REQUEST } from '../../protocol/jsonrpc.js';
import type { ServiceRuntime } from '../../snapshot/snapshot.js';
import type { RouteHandler, RoutedRequest, TransportContext } from '../../transport/context.js';
import { sendRpcError } from '../../transport/http-io.js';
import type { StdioCommand } from '../../transport/upstream/stdio/process.js';
import type { StdioSupervisor } from '../../transport/upstream/stdio/supervisor.js';
import { McpUpstream, UpstreamError } from '../../transport/upstream/streamable-client.js';
import { BridgeToSse } from './bridge-to-sse.js';
import type { ChannelOpener, MessageChannel } from './channel.js';
import { SseForward } from './sse-forward.js';
import { ProcessChannel } from './stdio-channel.js';
import { SharedProcess } from './stdio-shared.js';

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * The processes of one stdio service, for the life of its spec: a changed or removed service is
 * stopped (its sessions end with the reason), an unchanged one keeps them across rebuilds.
 */
export class StdioService {
  private readonly channels = new Set<ProcessChannel>();
  private shared?: SharedProcess;
  private stopped?: UpstreamError;

  constructor(
    readonly spec: ServiceSpec,
    private readonly supervisor: StdioSupervisor,
    private readonly log: Logger,
  ) {}

  get mode(): 'per-session' | 'shared' {
    return this.spec.mode ?? 'per-session';
  }

  get maxLineBytes(): number {
    return this.supervisor.limits.maxLineBytes;
  }

  get timeoutMs(): number {
    return this.spec.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  }

  private command(): StdioCommand {
    return { service: this.spec.name, command: this.spec.command ?? '', args: this.spec.args ?? [], env: this.spec.env ?? {}, cwd: this.spec.cwd, maxProcesses: this.spec.maxProcesses };
  }

  /** The channel of a new client session: its own process, or a view of the shared one. */
  async open(): Promise<MessageChannel> {
    if (this.stopped) throw this.stopped;
    const idleMs = this.supervisor.limits.idleMs;
    if (this.mode === 'shared') {
      this.shared ??= new SharedProcess({ service: this.spec.name, start: () => this.supervisor.start(this.command()), timeoutMs: this.timeoutMs, idleMs, log: this.log });
      return this.shared.attach();
    }
    const proc = await this.supervisor.start(this.command());
    if (this.stopped) {
      void proc.stop(this.stopped);
      throw this.stopped;
    }
    const channel: ProcessChannel = new ProcessChannel(proc, idleMs, () => this.channels.delete(channel));
    this.channels.add(channel);
    return channel;
  }

  /** Stops every process of this service (SIGTERM, then SIGKILL after the grace). */
  async stop(reason = new UpstreamError('UPSTREAM_GONE', 502, `stdio service "${this.spec.name}" was changed or removed; start a new session`)): Promise<void> {
    if (this.stopped) return;
    this.stopped = reason;
    await Promise.all([...[...this.channels].map((c) => c.stop(reason)), this.shared?.stop(reason)]);
  }
}

/**
 * A direct-proxy server whose service runs a stdio command. Both client transports are bridged to
 * the process's single message channel: Streamable HTTP at `/mcp-servers/{name}` (bridge-to-sse.ts,
 * ids mapped per session) and HTTP+SSE at `/sse` + `/message` (sse-forward.ts).
 */
class StdioProxy implements RouteHandler {
  private readonly bridge: BridgeToSse;
  private readonly sse: SseForward;

  constructor(spec: McpServerSpec, service: ServiceRuntime, stdio: StdioService) {
    const up = new McpUpstream(service, '', stdio.timeoutMs, stdio.maxLineBytes);
    const connect: ChannelOpener = () => stdio.open();
    this.bridge = new BridgeToSse(up, spec.name, connect);
    this.sse = new SseForward(up, spec.name, connect);
  }

  async handle(ctx: TransportContext, r: RoutedRequest): Promise<void> {
    const { rest } = r;
    const method = r.req.method;
    if (rest === '' || rest === '/') {
      if (method === 'POST') return this.bridge.post(ctx, r);
      if (method === 'GET') return this.bridge.get(ctx, r);
      if (method === 'DELETE') return this.bridge.delete(ctx, r);
      return notAllowed(r, 'GET, POST, DELETE, OPTIONS');
    }
    if (rest === '/sse') return method === 'GET' ? this.sse.open(ctx, r) : notAllowed(r, 'GET');
    if (rest === '/message' || rest === '/messages') return method === 'POST' ? this.sse.message(ctx, r) : notAllowed(r, 'POST');
    return sendRpcError(r.res, 404, JSONRPC_INVALID_REQUEST, 'ROUTE_NOT_FOUND', `Not found: /mcp-servers/${r.route.name}${rest}; this stdio server is served at /mcp-servers/${r.route.name} and /mcp-servers/${r.route.name}/sse`);
  }
}

function notAllowed(r: RoutedRequest, allow: string): void {
  sendRpcError(r.res, 405, JSONRPC_INVALID_REQUEST, 'METHOD_NOT_ALLOWED', `Method Not Allowed: ${r.req.method}`, null, { allow });
}

export function createStdioProxy(spec: McpServerSpec, service: ServiceRuntime): RouteHandler {
  if (!service.stdio) throw new Error(`service "${service.spec.name}" runs a stdio command, which this gateway was started without`);
  return new StdioProxy(spec, service, service.stdio);
}
