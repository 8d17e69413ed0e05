import type { ConsumerSpec, McpServerSpec, RegistrySpec, ServiceSpec } from '../config/resources.js';
import type { ToolProvider } from '../protocol/dispatch.js';
import type { RouteHandler } from '../transport/context.js';
import { createDirectProxy } from '../modes/proxy/index.js';
import { StdioService } from '../modes/proxy/stdio-proxy.js';
import type { StdioSupervisor } from '../transport/upstream/stdio/supervisor.js';
import type { Logger } from '../observe/logger.js';
import { ConsumerDirectory } from '../auth/consumers.js';
import { compileRestServer, ToolConfigCompileError } from '../modes/rest/compile.js';
import { RestToolProvider } from '../modes/rest/provider.js';
import { tokenTarget, type RestServerRuntime } from '../modes/rest/call.js';
import { BackendTokenSource } from '../auth/backend-tokens.js';
import { ExternalAgents, ServiceEndpoints, type EndpointSpec } from '../transport/upstream/http-pool.js';
import { ToolsetProvider } from '../modes/toolset/provider.js';

/** A data-plane route to one MCP server, compiled. */
export interface ServerRoute {
  name: string;
  spec: McpServerSpec;
  enabled: boolean;
  /** Lower-cased Host names that may reach it; empty = any. */
  domains: string[];
  provider?: ToolProvider;
  /** Direct proxy (and other raw handlers): receives every request under /mcp-servers/{name}. */
  proxy?: RouteHandler;
  /** Per-consumer tool allow-lists (consumerAuth.allowedTools), precompiled. */
  toolAcl?: ReadonlyMap<string, ReadonlySet<string>>;
  /** Set when the server could not be compiled: calls get this message. */
  brokenReason?: string;
}

export interface ServiceRuntime {
  spec: ServiceSpec;
  endpoints?: ServiceEndpoints;
  /** The processes of a stdio service (stopped when this runtime is retired). */
  stdio?: StdioService;
  /** The spec it was built from, to reuse pools when nothing changed. */
  key: string;
}

/** An immutable, compiled view of the whole configuration; the data plane reads only this. */
export interface Snapshot {
  revision: number;
  builtAt: number;
  servers: ReadonlyMap<string, ServerRoute>;
  services: ReadonlyMap<string, ServiceRuntime>;
  consumers: ReadonlyMap<string, ConsumerSpec>;
  consumerDirectory: ConsumerDirectory;
  registries: ReadonlyMap<string, RegistrySpec>;
}

export interface SnapshotInput {
  revision: number;
  services: ServiceSpec[];
  registries: RegistrySpec[];
  mcpServers: McpServerSpec[];
  consumers: ConsumerSpec[];
}

export interface SnapshotDeps {
  version: string;
  external: ExternalAgents;
  maxResponseBytes: number;
  /** Largest single message read from a direct-proxy backend (default 16 MiB). */
  maxMessageBytes?: number;
  /** Most HTTP-to-MCP calls in flight to one service (default 512). */
  maxUpstreamConcurrency?: number;
  defaultTimeoutMs: number;
  consumerHeader: string;
  /** Endpoints found so far for DNS- and Nacos-sourced services (discovery swaps later changes in place). */
  discovery?: { known(spec: ServiceSpec): EndpointSpec[] | undefined };
  /** The live snapshot, for providers that resolve other servers at call time (tool sets). */
  current?: () => Snapshot;
  /** The built-in MCP router, served under its name unless a configured server has that name. */
  router?: ServerRoute;
  /** Runs stdio services' commands; without it a stdio server is reported broken. */
  stdio?: { supervisor: StdioSupervisor; log: Logger };
}

export function staticEndpoints(spec: ServiceSpec): EndpointSpec[] {
  return (spec.endpoints ?? []).map((e) => (typeof e === 'string' ? { address: e, weight: 1 } : { address: e.address, weight: e.weight ?? 1 }));
}

function buildService(spec: ServiceSpec, previous: ServiceRuntime | undefined, deps: SnapshotDeps): ServiceRuntime {
  const discovered = spec.dns || spec.nacos ? (deps.discovery?.known(spec) ?? []) : undefined;
  // A discovered service is rebuilt only when it gains its first endpoint or loses its last; other changes are swapped in place.
  const key = `${JSON.stringify(spec)}${discovered ? (discovered.length ? '|up' : '|down') : ''}`;
  if (previous && previous.key === key) return previous;
  let endpoints: ServiceEndpoints | undefined;
  if ((spec.protocol === 'http' || spec.protocol === 'https' || spec.protocol === 'mcp') && (spec.endpoints?.length || discovered)) {
    const scheme = spec.protocol === 'https' ? 'https' : 'http';
    endpoints = new ServiceEndpoints(spec.name, scheme, discovered ?? staticEndpoints(spec), spec.tls, { policy: spec.loadBalancing, healthCheck: spec.healthCheck });
  }
  const stdio = spec.protocol === 'stdio' && deps.stdio ? new StdioService(spec, deps.stdio.supervisor, deps.stdio.log) : undefined;
  return { spec, endpoints, stdio, key };
}

const routeKeys = new WeakMap<ServerRoute, string>();

/** What a route's compiled form depends on: its own spec and its service's spec. */
function routeKey(spec: McpServerSpec, services: Map<string, ServiceRuntime>): string {
  const svc = spec.service ? services.get(spec.service) : undefined;
  return `${JSON.stringify(spec)}\u0000${svc?.key ?? ''}`;
}

/**
 * Compiles a snapshot. Services whose spec did not change keep their connection pools; a server
 * that fails to compile is kept as a broken route (it answers with the reason) so others still serve.
 */
export function buildSnapshot(input: SnapshotInput, previous: Snapshot | undefined, deps: SnapshotDeps): { snapshot: Snapshot; retired: ServiceRuntime[] } {
  const services = new Map<string, ServiceRuntime>();
  for (const spec of input.services) services.set(spec.name, buildService(spec, previous?.services.get(spec.name), deps));
  const retired: ServiceRuntime[] = [];
  for (const [name, old] of previous?.services ?? []) if (services.get(name) !== old) retired.push(old);

  const servers = new Map<string, ServerRoute>();
  for (const spec of input.mcpServers) {
    // Recompiling tool YAML is the costly part of a rebuild: reuse a route whose inputs did not change.
    const old = previous?.servers.get(spec.name);
    const key = routeKey(spec, services);
    if (old && routeKeys.get(old) === key) {
      servers.set(spec.name, old);
      continue;
    }
    const route: ServerRoute = {
      name: spec.name,
      spec,
      enabled: spec.enabled !== false,
      domains: (spec.domains ?? []).map((d) => d.toLowerCase()),
    };
    const acl = spec.consumerAuth?.enabled ? spec.consumerAuth.allowedTools : undefined;
    if (acl) route.toolAcl = new Map(Object.entries(acl).map(([consumer, tools]) => [consumer, new Set(tools)]));
    try {
      if (spec.type === 'http-to-mcp') {
        const compiled = compileRestServer(spec.tools ?? 'server:\n  name: empty\ntools: []\n', spec.name);
        const service = spec.service ? services.get(spec.service) : undefined;
        if (spec.service && !service) throw new Error(`service "${spec.service}" does not exist`);
        const runtime: RestServerRuntime = {
          serverName: spec.name,
          compiled,
          service: service?.endpoints,
          allowPrivateNetworks: !!spec.allowPrivateNetworks,
          allowedHosts: spec.allowedHosts ?? [],
          retryToolCalls: spec.retryToolCalls,
          timeoutMs: service?.spec.timeoutMs ?? deps.defaultTimeoutMs,
          maxResponseBytes: deps.maxResponseBytes,
          maxUpstreamConcurrency: deps.maxUpstreamConcurrency,
          external: deps.external,
          consumerHeader: deps.consumerHeader,
        };
        const sources = new Map<string, BackendTokenSource>();
        for (const scheme of compiled.securitySchemes) {
          if (scheme.tokenSource) sources.set(scheme.id, new BackendTokenSource(scheme.id, scheme.tokenSource, compiled.configJson, tokenTarget(runtime), runtime.timeoutMs));
        }
        if (sources.size) runtime.tokenSources = sources;
        route.provider = new RestToolProvider(runtime, deps.version, spec.description);
      } else if (spec.type === 'direct-proxy') {
        const service = spec.service ? services.get(spec.service) : undefined;
        if (!service) throw new Error(`service "${spec.service}" does not exist`);
        route.proxy = createDirectProxy(spec, service, previous?.servers.get(spec.name)?.proxy, deps.maxMessageBytes);
      } else if (spec.type === 'toolset') {
        if (!deps.current) throw new Error('tool sets need the live snapshot');
        route.provider = new ToolsetProvider(spec, deps.current, deps.version);
      }
    } catch (err) {
      route.brokenReason = err instanceof ToolConfigCompileError ? err.message : `MCP server "${spec.name}" cannot be served: ${(err as Error).message}`;
    }
    routeKeys.set(route, key);
    servers.set(spec.name, route);
  }
  if (deps.router && !servers.has(deps.router.name)) servers.set(deps.router.name, deps.router);
  const snapshot: Snapshot = {
    revision: input.revision,
    builtAt: Date.now(),
    servers,
    services,
    consumers: new Map(input.consumers.map((c) => [c.name, c])),
    consumerDirectory: new ConsumerDirectory(input.consumers),
    registries: new Map(input.registries.map((r) => [r.name, r])),
  };
  return { snapshot, retired };
}
