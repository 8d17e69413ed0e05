import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes, randomUUID } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { Settings } from './config/settings.js';
import { openStore } from './store/index.js';
import type { Store } from './store/types.js';
import { SecretBox } from './control/secrets.js';
import { ResourceService } from './control/resources.js';
import { buildAdminApi, parseNamedTokens } from './control/admin-api.js';
import type { AdminExtension } from './control/admin-extensions.js';
import { ConfigFileWatcher } from './control/declarative.js';
import { buildSnapshot, type Snapshot, type ServiceRuntime } from './snapshot/snapshot.js';
import { ExternalAgents } from './transport/upstream/http-pool.js';
import { DataPlane } from './transport/data-plane.js';
import { SessionRegistry } from './protocol/session.js';
import { createLogger, type Logger } from './observe/logger.js';
import { StdioSupervisor } from './transport/upstream/stdio/supervisor.js';
import { GatewayMetrics } from './observe/metrics.js';
import { tracingFromEnv, type Tracing } from './observe/tracing.js';
import { Redis } from 'ioredis';
import { MemoryCounters, RateLimiter, RedisCounters } from './limits/rate-limit.js';
import { GATEWAY_VERSION } from './version.js';
import { TIME_SERVER } from './config/seed.js';
import type { Authenticator } from './transport/context.js';
import { consumerAuthenticator } from './auth/authenticator.js';
import { ServiceDiscovery } from './discovery/service-discovery.js';
import { McpImportWriter } from './discovery/mcp-import.js';
import { McpRouter } from './modes/router/provider.js';
import { routerAwareAuthenticator } from './modes/router/auth.js';
import { LoopbackClient } from './modes/router/loopback.js';
import { Cluster } from './cluster/index.js';
import { DependencyProbe } from './cluster/dependencies.js';

export interface GatewayOptions {
  settings: Settings;
  log?: Logger;
  /** Where a generated admin token is announced (stderr by default). */
  announce?: (line: string) => void;
  extensions?: AdminExtension[];
  /** Where the standard OTEL_* variables are read (process.env by default). */
  env?: Record<string, string | undefined>;
}

const ADMIN_TOKEN_FILE = 'admin-token';

/** Reads the admin token from settings, else from the data dir, else generates and announces one. */
export function loadAdminToken(settings: Settings, announce: (line: string) => void): string {
  if (settings.adminToken) return settings.adminToken;
  const file = path.join(settings.dataDir, ADMIN_TOKEN_FILE);
  try {
    const existing = fs.readFileSync(file, 'utf8').trim();
    if (existing) return existing;
  } catch {
    // first start: generate below
  }
  const token = `mgw_${randomBytes(24).toString('base64url')}`;
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  announce(`Generated admin token (stored in ${file}; shown once): ${token}`);
  return token;
}

/**
 * The composition root: store, control plane, snapshot and both listeners. Configuration changes
 * from any source reach the store; every store change rebuilds the snapshot, which the data plane
 * swaps in atomically.
 */
export class Gateway {
  readonly settings: Settings;
  readonly log: Logger;
  readonly instanceId = randomUUID();
  store!: Store;
  resources!: ResourceService;
  cipher!: SecretBox;
  adminToken!: string;
  dataPlane!: DataPlane;
  admin!: FastifyInstance;
  sessions!: SessionRegistry;
  port = 0;
  adminPort = 0;
  private current!: Snapshot;
  private readonly external = new ExternalAgents();
  readonly metrics = new GatewayMetrics();
  /** OpenTelemetry tracing; undefined unless an OTLP endpoint is configured. */
  tracing?: Tracing;
  private loopback?: LoopbackClient;
  private redis?: Redis;
  /** Cluster mode (Redis configured): session ids any replica continues, relays to stream owners. */
  cluster?: Cluster;
  private dependencies?: DependencyProbe;
  private limiter!: RateLimiter;
  private unwatch?: () => void;
  private rebuilding: Promise<void> = Promise.resolve();
  private rebuildQueued = false;
  private fileWatcher?: ConfigFileWatcher;
  private heartbeat?: NodeJS.Timeout;
  private ready = false;
  private readonly startedAt = new Date().toISOString();
  private authenticator!: Authenticator;
  /** DNS and Nacos sources; endpoint lists are swapped into live pools (see discovery/). */
  discovery?: ServiceDiscovery;
  private router?: McpRouter;
  /** Every stdio server process (caps, shutdown). */
  readonly stdio: StdioSupervisor;

  constructor(private readonly opts: GatewayOptions) {
    this.settings = opts.settings;
    this.authenticator = consumerAuthenticator(() => this.current, opts.settings.publicUrl, { header: opts.settings.consumerKeyHeader.toLowerCase(), query: opts.settings.consumerKeyQuery });
    this.log = opts.log ?? createLogger(opts.settings.logLevel);
    const st = opts.settings;
    this.stdio = new StdioSupervisor(
      { maxProcesses: st.stdioMaxProcesses, maxProcessesPerService: st.stdioMaxProcessesPerService, idleMs: st.stdioIdleMs, killGraceMs: st.stdioKillGraceMs, maxLineBytes: st.stdioMaxLineBytes },
      this.log.child({ component: 'stdio' }),
    );
  }

  snapshot(): Snapshot {
    return this.current;
  }

  /** Health of every balanced endpoint of the served services, for the endpoint gauge. */
  private *endpointStates(): Iterable<{ service: string; address: string; healthy: boolean }> {
    for (const [service, runtime] of this.current?.services ?? []) {
      for (const e of runtime.endpoints?.describe() ?? []) yield { service, address: e.address, healthy: !e.ejected && !e.down };
    }
  }

  /** Replaces how callers are authenticated (consumer auth installs itself here). */
  setAuthenticator(a: Authenticator): void {
    this.authenticator = a;
  }

  async start(): Promise<void> {
    const s = this.settings;
    fs.mkdirSync(s.dataDir, { recursive: true });
    const announce = this.opts.announce ?? ((line: string) => process.stderr.write(`${line}\n`));
    this.adminToken = loadAdminToken(s, announce);
    this.cipher = await SecretBox.load({ dataDir: s.dataDir, key: s.secretKey });
    this.store = await openStore({ dataDir: s.dataDir, databaseUrl: s.databaseUrl, onError: (err) => this.log.warn({ err }, 'store background error') });
    this.resources = new ResourceService(this.store, this.cipher);

    if (s.seed && (await this.store.revision()) === 0) {
      await this.resources.put('mcp-servers', TIME_SERVER.name, TIME_SERVER, { actor: 'seed' });
      this.log.info('seeded the example MCP server "time"');
    }
    if (s.configFile) {
      this.fileWatcher = new ConfigFileWatcher(path.resolve(s.configFile), this.resources, this.log);
      await this.fileWatcher.applyNow();
    }
    this.discovery = new ServiceDiscovery({ log: this.log, rebuild: () => this.scheduleRebuild(), imports: new McpImportWriter(this.store, this.cipher, this.log) });
    // The router and the admin tool list reach proxied servers through this gateway's own data plane
    // (loopback unless bound to one address).
    const host = s.host === '0.0.0.0' || s.host === '::' || !s.host ? '127.0.0.1' : s.host.includes(':') ? `[${s.host}]` : s.host;
    const selfUrl = () => (this.port ? `http://${host}:${this.port}` : undefined);
    const loopback = new LoopbackClient(selfUrl);
    this.loopback = loopback;
    if (s.routerName) {
      this.router = new McpRouter(s.routerName, () => this.current, GATEWAY_VERSION, loopback, ['authorization', s.consumerKeyHeader.toLowerCase()]);
    }
    await this.rebuild();
    this.unwatch = this.store.watch(() => this.scheduleRebuild());

    this.sessions = new SessionRegistry(s.sessionTtlMs, s.maxSessions, s.maxSessionsPerConsumer);
    if (s.redisUrl) {
      this.redis = new Redis(s.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 2, enableOfflineQueue: true });
      this.redis.on('error', (err) => this.log.warn({ err: err.message }, 'redis error'));
      this.cluster = new Cluster({
        redis: this.redis,
        prefix: s.redisPrefix,
        instanceId: this.instanceId,
        key: this.cipher.deriveKey('cluster session ids'),
        sessions: this.sessions,
        maxSessions: s.clusterMaxSessions,
        sessionTtlMs: s.sessionTtlMs,
        selfUrl,
        log: this.log,
      });
      await this.cluster.start();
    }
    this.tracing = tracingFromEnv(this.opts.env ?? process.env, GATEWAY_VERSION);
    if (s.redisUrl || s.databaseUrl) this.dependencies = new DependencyProbe(this.store, this.redis);
    this.limiter = new RateLimiter(this.redis ? new RedisCounters(this.redis, `${s.redisPrefix}rl:`) : new MemoryCounters());
    this.dataPlane = new DataPlane(
      {
        snapshot: () => this.current,
        sessions: this.sessions,
        log: this.log,
        maxBodyBytes: s.maxBodyBytes,
        keepAliveMs: s.keepAliveMs,
        authenticate: routerAwareAuthenticator(() => this.authenticator, () => this.current, { header: s.consumerKeyHeader.toLowerCase(), query: s.consumerKeyQuery }),
        metrics: this.metrics,
        limiter: this.limiter,
        // access lines hold only fields the gateway picks, so path redaction (most of a line's cost) is skipped
        accessLog: s.accessLog ? this.log.child({ component: 'access' }, { redact: [] }) : undefined,
        tracing: this.tracing,
        relay: this.cluster?.relay,
      },
      { allowedOrigins: s.allowedOrigins, publicUrl: s.publicUrl, dependencies: this.dependencies && (() => this.dependencies!.status()) },
    );
    this.admin = await buildAdminApi({
      resources: this.resources,
      store: this.store,
      cipher: this.cipher,
      adminToken: this.adminToken,
      namedTokens: parseNamedTokens(s.adminTokens),
      snapshot: () => this.current,
      log: this.log,
      version: GATEWAY_VERSION,
      maxBodyBytes: s.maxBodyBytes,
      ready: () => this.ready,
      dependencies: this.dependencies && (() => this.dependencies!.status()),
      metrics: this.metrics,
      listProxyTools: async (server) => {
        const result = await this.loopback!.call(server, {}, 'tools/list', {});
        return { tools: (result.tools as unknown[]) ?? [] };
      },
      beforeScrape: () => {
        this.metrics.sessions.set(this.sessions.size);
        this.metrics.recordEndpoints(this.endpointStates());
      },
      extensions: this.opts.extensions,
    });
    this.port = await this.dataPlane.listen(s.port, s.host);
    await this.admin.listen({ port: s.adminPort, host: s.adminHost });
    const addr = this.admin.server.address();
    this.adminPort = typeof addr === 'object' && addr ? addr.port : s.adminPort;
    this.fileWatcher?.start();
    await this.beat();
    this.heartbeat = setInterval(() => void this.beat(), 10_000);
    this.heartbeat.unref();
    this.ready = true;
    this.dataPlane.setReady(true);
    this.log.info({ port: this.port, adminPort: this.adminPort, store: this.store.kind, revision: this.current.revision }, 'gateway started');
  }

  private async beat(): Promise<void> {
    try {
      await this.store.heartbeat({
        id: this.instanceId,
        address: `${os.hostname()}:${this.port}`,
        version: GATEWAY_VERSION,
        startedAt: this.startedAt,
        lastHeartbeat: new Date().toISOString(),
      });
    } catch (err) {
      this.log.warn({ err: (err as Error).message }, 'heartbeat failed');
    }
  }

  private scheduleRebuild(): void {
    if (this.rebuildQueued) return;
    this.rebuildQueued = true;
    this.rebuilding = this.rebuilding.then(async () => {
      this.rebuildQueued = false;
      try {
        await this.rebuild();
      } catch (err) {
        this.log.error({ err }, 'snapshot rebuild failed; serving the previous configuration');
      }
    });
  }

  /** Waits until every change seen so far is in the served snapshot. */
  async settled(): Promise<void> {
    await this.rebuilding;
  }

  private async rebuild(): Promise<void> {
    const revision = await this.store.revision();
    const specs = await this.resources.loadAll();
    const { snapshot, retired } = buildSnapshot(
      {
        revision,
        services: specs.services as never,
        registries: specs.registries as never,
        mcpServers: specs['mcp-servers'] as never,
        consumers: specs.consumers as never,
      },
      this.current,
      {
        version: GATEWAY_VERSION,
        external: this.external,
        maxResponseBytes: this.settings.maxResponseBytes,
        maxMessageBytes: this.settings.maxMessageBytes,
        maxUpstreamConcurrency: this.settings.maxUpstreamConcurrency,
        defaultTimeoutMs: 30_000,
        consumerHeader: this.settings.consumerHeader,
        discovery: this.discovery,
        current: () => this.current,
        router: this.router?.route,
        stdio: { supervisor: this.stdio, log: this.log.child({ component: 'stdio' }) },
      },
    );
    const previous = this.current;
    this.current = snapshot;
    this.metrics.reloads.inc();
    this.metrics.snapshotRevision.set(revision);
    if (previous && this.sessions) {
      for (const name of previous.servers.keys()) {
        const now = snapshot.servers.get(name);
        if (!now || !now.enabled) this.sessions.endServer(name);
      }
    }
    this.discovery?.sync(snapshot);
    this.retire(retired);
    this.log.debug({ revision }, 'snapshot built');
  }

  /** Old pools close once in-flight calls on them are done (undici's close waits for them). */
  private retire(retired: ServiceRuntime[]): void {
    for (const r of retired) {
      void r.endpoints?.close();
      void r.stdio?.stop();
    }
  }

  async stop(): Promise<void> {
    this.ready = false;
    this.dataPlane?.setReady(false);
    clearInterval(this.heartbeat);
    this.fileWatcher?.stop();
    this.unwatch?.();
    this.discovery?.close();
    this.sessions?.close();
    this.dependencies?.close();
    this.cluster?.close();
    await Promise.allSettled([this.dataPlane?.close(), this.admin?.close()]);
    await this.rebuilding.catch(() => undefined);
    await this.stdio.stopAll();
    for (const svc of this.current?.services.values() ?? []) await svc.endpoints?.close();
    await this.external.close();
    await this.store?.close();
    this.redis?.disconnect();
    await this.tracing?.shutdown().catch(() => undefined);
  }
}
