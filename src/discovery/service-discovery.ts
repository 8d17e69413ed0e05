import type { RegistrySpec, ServiceSpec } from '../config/resources.js';
import type { Logger } from '../observe/logger.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { EndpointSpec, ServiceEndpoints } from '../transport/upstream/http-pool.js';
import { DnsWatch } from './dns-source.js';
import { NacosClient, type NacosServiceRef } from './nacos-client.js';
import { convertMcpServers } from './nacos-mcp.js';
import type { McpImportWriter } from './mcp-import.js';

const DEFAULT_POLL_MS = 5_000;

export interface DiscoveryHooks {
  log: Logger;
  /** Asks for a snapshot rebuild: a service got its first endpoints or lost its last one. */
  rebuild(): void;
  /** Writes MCP servers imported from registries with mcpRegistry: true. */
  imports?: McpImportWriter;
}

type Listener = (list: EndpointSpec[]) => void;

/** Polls one Nacos registry (Nacos 3 has no HTTP push): subscribed services' instances and, optionally, its MCP servers. */
class RegistryPoller {
  readonly client: NacosClient;
  private readonly subs = new Map<string, { ref: NacosServiceRef; listeners: Set<Listener>; last?: string }>();
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private polling?: Promise<void>;
  private failing = new Set<string>();

  constructor(
    readonly spec: RegistrySpec,
    private readonly hooks: DiscoveryHooks,
  ) {
    this.client = new NacosClient(spec);
  }

  start(): void {
    this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.polling = this.poll().finally(() => this.schedule(this.spec.pollIntervalMs ?? DEFAULT_POLL_MS));
    }, ms);
    this.timer.unref();
  }

  subscribe(ref: NacosServiceRef, listener: Listener): () => void {
    const key = JSON.stringify([ref.service, ref.group ?? '', ref.namespace ?? '']);
    let sub = this.subs.get(key);
    if (!sub) {
      sub = { ref, listeners: new Set() };
      this.subs.set(key, sub);
    }
    sub.listeners.add(listener);
    const s = sub;
    // A new subscriber gets the current list at once; otherwise it would wait a whole interval.
    void this.fetch(key, s, true);
    return () => {
      s.listeners.delete(listener);
      if (s.listeners.size === 0) this.subs.delete(key);
    };
  }

  private async fetch(key: string, sub: { ref: NacosServiceRef; listeners: Set<Listener>; last?: string }, force = false): Promise<void> {
    try {
      const list = await this.client.instances(sub.ref);
      if (this.stopped) return;
      const digest = JSON.stringify(list.map((e) => `${e.address}/${e.weight}`).sort());
      if (this.failing.delete(key)) this.hooks.log.info({ registry: this.spec.name, service: sub.ref.service }, 'Nacos answers again');
      if (digest === sub.last && !force) return;
      sub.last = digest;
      for (const l of sub.listeners) l(list);
    } catch (err) {
      // Keep the last good list: a registry outage must not take backends away.
      if (!this.failing.has(key)) {
        this.failing.add(key);
        this.hooks.log.warn({ registry: this.spec.name, service: sub.ref.service, err: (err as Error).message }, 'Nacos instance list failed; keeping the last good list');
      }
    }
  }

  private async poll(): Promise<void> {
    await Promise.all([...this.subs.entries()].map(([key, sub]) => this.fetch(key, sub)));
    if (this.spec.mcpRegistry && this.hooks.imports && !this.stopped) {
      try {
        const details = await this.client.mcpServers();
        const specs = convertMcpServers(this.spec, details);
        for (const p of specs.problems) this.hooks.log.warn({ registry: this.spec.name }, p);
        if (!this.stopped) await this.hooks.imports.reconcile(this.spec.name, specs);
        this.failing.delete('#mcp');
      } catch (err) {
        if (!this.failing.has('#mcp')) {
          this.failing.add('#mcp');
          this.hooks.log.warn({ registry: this.spec.name, err: (err as Error).message }, 'Nacos MCP server import failed; keeping the imported servers');
        }
      }
    }
  }

  /** Polls now and waits for it (tests and the admin API). */
  async pollNow(): Promise<void> {
    await this.polling;
    await this.poll();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}

interface Watch {
  key: string;
  /** Undefined until the first answer. */
  list?: EndpointSpec[];
  endpoints?: ServiceEndpoints;
  stop(): void;
}

/**
 * Keeps the endpoint lists of DNS- and Nacos-sourced services current. Lists are swapped into the
 * live ServiceEndpoints in place, so the request path never waits on discovery; only a service
 * going from no endpoints to some (or back) asks for a snapshot rebuild, so routes that could not
 * be compiled without endpoints are built again.
 */
export class ServiceDiscovery {
  private readonly watches = new Map<string, Watch>();
  private readonly pollers = new Map<string, { key: string; poller: RegistryPoller }>();
  private importing = '';
  private closed = false;

  constructor(private readonly hooks: DiscoveryHooks) {}

  /** Identifies a service's discovery source; undefined for static services. */
  private sourceKey(spec: ServiceSpec, registries: ReadonlyMap<string, RegistrySpec>): string | undefined {
    if (spec.dns) return `dns:${spec.dns}`;
    if (spec.nacos) return `nacos:${JSON.stringify(spec.nacos)}:${JSON.stringify(registries.get(spec.nacos.registry) ?? null)}`;
    return undefined;
  }

  /** The endpoints last discovered for a service, for building its pool. */
  known(spec: ServiceSpec): EndpointSpec[] | undefined {
    return this.watches.get(spec.name)?.list;
  }

  /** Starts, stops and rebinds sources after a snapshot swap. */
  sync(snapshot: Snapshot): void {
    if (this.closed) return;
    for (const [name, spec] of snapshot.registries) {
      const key = JSON.stringify(spec);
      const existing = this.pollers.get(name);
      if (existing?.key === key) continue;
      existing?.poller.stop();
      const poller = new RegistryPoller(spec, this.hooks);
      this.pollers.set(name, { key, poller });
      poller.start();
    }
    for (const [name, p] of this.pollers) {
      if (!snapshot.registries.has(name)) {
        p.poller.stop();
        this.pollers.delete(name);
      }
    }
    const wanted = new Set<string>();
    for (const [name, svc] of snapshot.services) {
      const key = this.sourceKey(svc.spec, snapshot.registries);
      if (!key) continue;
      wanted.add(name);
      let w = this.watches.get(name);
      if (w && w.key !== key) {
        w.stop();
        w = undefined;
      }
      if (!w) w = this.startWatch(name, svc.spec, key);
      if (!w) continue;
      w.endpoints = svc.endpoints;
      if (w.list && svc.endpoints) svc.endpoints.update(w.list);
    }
    for (const [name, w] of this.watches) {
      if (!wanted.has(name)) {
        w.stop();
        this.watches.delete(name);
      }
    }
    const active = [...snapshot.registries.values()].filter((r) => r.mcpRegistry).map((r) => r.name).sort();
    const activeKey = active.join(',');
    if (this.hooks.imports && activeKey !== this.importing) {
      this.importing = activeKey;
      void this.hooks.imports.prune(new Set(active)).catch((err) => this.hooks.log.warn({ err: (err as Error).message }, 'removing MCP servers of a removed registry failed'));
    }
  }

  private startWatch(name: string, spec: ServiceSpec, key: string): Watch | undefined {
    const w: Watch = { key, stop: () => undefined };
    const onList = (list: EndpointSpec[]) => {
      if (this.watches.get(name) !== w) return;
      const wasEmpty = !w.list?.length;
      w.list = list;
      w.endpoints?.update(list);
      this.hooks.log.info({ service: name, endpoints: list.map((e) => e.address) }, 'service endpoints changed');
      if (wasEmpty !== (list.length === 0)) this.hooks.rebuild();
    };
    if (spec.dns) {
      const dns = new DnsWatch(spec.dns, onList, (err) => this.hooks.log.warn({ service: name, err: err.message }, 'DNS resolution failed; keeping the last good list'));
      w.stop = () => dns.stop();
      this.watches.set(name, w);
      dns.start();
      return w;
    }
    if (spec.nacos) {
      const p = this.pollers.get(spec.nacos.registry);
      if (!p) {
        this.hooks.log.warn({ service: name, registry: spec.nacos.registry }, 'service refers to a registry that does not exist');
        return undefined;
      }
      this.watches.set(name, w);
      w.stop = p.poller.subscribe({ service: spec.nacos.service, group: spec.nacos.group, namespace: spec.nacos.namespace }, onList);
      return w;
    }
    return undefined;
  }

  /** Polls every registry now (tests; the admin API could expose it). */
  async pollNow(): Promise<void> {
    await Promise.all([...this.pollers.values()].map((p) => p.poller.pollNow()));
  }

  close(): void {
    this.closed = true;
    for (const w of this.watches.values()) w.stop();
    for (const p of this.pollers.values()) p.poller.stop();
    this.watches.clear();
    this.pollers.clear();
  }
}
