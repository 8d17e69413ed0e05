import type { Change, ResourceKind, Store } from '../store/types.js';
import { checkResource } from '../control/resources.js';
import { decryptSpec, encryptSpec, type SecretCipher } from '../control/secret-fields.js';
import type { Logger } from '../observe/logger.js';
import { importMark, type ImportedSpecs } from './nacos-mcp.js';

/** The stored-only marker the ResourceService treats as read-only (see control/resources.ts). */
const MANAGED_BY = '__managedBy';
const MANAGER = 'nacos';
const MARK_RE = /\(imported from Nacos registry "([^"]+)"\)$/;

function registryOf(spec: Record<string, unknown>): string | undefined {
  if (spec[MANAGED_BY] !== MANAGER || typeof spec.description !== 'string') return undefined;
  return MARK_RE.exec(spec.description)?.[1];
}

/**
 * Writes MCP servers imported from a registry into the store, marked read-only, and removes the
 * ones that disappeared (or whose registry is gone). Only changed resources are written, so an
 * unchanged poll does not trigger a snapshot rebuild.
 */
export class McpImportWriter {
  constructor(
    private readonly store: Store,
    private readonly cipher: SecretCipher,
    private readonly log: Logger,
  ) {}

  private async owned(kind: ResourceKind): Promise<Map<string, { registry: string | undefined; spec: Record<string, unknown> }>> {
    const out = new Map<string, { registry: string | undefined; spec: Record<string, unknown> }>();
    for (const row of await this.store.list(kind)) {
      const spec = decryptSpec(kind, row.spec, this.cipher);
      out.set(row.name, { registry: registryOf(spec), spec });
    }
    return out;
  }

  /** Makes the store's imports of `registry` equal `specs` (undefined = import nothing). */
  async reconcile(registry: string, specs: ImportedSpecs | undefined): Promise<void> {
    const services = await this.owned('services');
    const servers = await this.owned('mcp-servers');
    const changes: Change[] = [];
    const wanted = { services: new Set<string>(), servers: new Set<string>() };
    for (const server of specs?.mcpServers ?? []) {
      const service = specs!.services.find((s) => s.name === server.service);
      const clash = [servers.get(server.name), service ? services.get(service.name) : undefined].find((e) => e && e.registry !== registry);
      if (clash) {
        this.log.warn({ registry, server: server.name }, 'an imported MCP server or its service has the name of a resource not imported from this registry; skipped');
        continue;
      }
      const problems = [...checkResource('mcp-servers', server), ...(service ? checkResource('services', service) : [])];
      if (problems.length) {
        this.log.warn({ registry, server: server.name, problems }, 'an MCP server imported from Nacos is not valid; skipped');
        continue;
      }
      if (service) {
        wanted.services.add(service.name);
        this.put(changes, 'services', service as unknown as Record<string, unknown>, services.get(service.name)?.spec);
      }
      wanted.servers.add(server.name);
      this.put(changes, 'mcp-servers', server as unknown as Record<string, unknown>, servers.get(server.name)?.spec);
    }
    for (const [name, e] of servers) if (e.registry === registry && !wanted.servers.has(name)) changes.push({ op: 'delete', kind: 'mcp-servers', name });
    for (const [name, e] of services) if (e.registry === registry && !wanted.services.has(name)) changes.push({ op: 'delete', kind: 'services', name });
    if (changes.length === 0) return;
    await this.store.applyBatch(changes, { actor: `registry:${registry}` });
    this.log.info({ registry, changes: changes.map((c) => `${c.op} ${c.kind}/${c.name}`) }, 'MCP servers imported from Nacos changed');
  }

  /** Removes imports of registries that no longer import MCP servers. */
  async prune(active: ReadonlySet<string>): Promise<void> {
    const stale = new Set<string>();
    for (const kind of ['services', 'mcp-servers'] as const) {
      for (const e of (await this.owned(kind)).values()) if (e.registry && !active.has(e.registry)) stale.add(e.registry);
    }
    for (const registry of stale) await this.reconcile(registry, undefined);
  }

  private put(changes: Change[], kind: ResourceKind, spec: Record<string, unknown>, stored: Record<string, unknown> | undefined): void {
    const next = { ...spec, [MANAGED_BY]: MANAGER };
    if (stored && JSON.stringify(stored) === JSON.stringify(next)) return;
    changes.push({ op: 'put', kind, name: spec.name as string, spec: encryptSpec(kind, next, this.cipher) });
  }
}

export { importMark };
