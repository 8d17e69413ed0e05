import { randomBytes } from 'node:crypto';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { RESOURCE_KINDS, type Change, type ResourceKind, type Store } from '../store/types.js';
import { KIND_LABEL, RESOURCE_SCHEMAS } from '../config/schemas.js';
import { parseToolConfig } from '../config/tool-config.js';
import type { GatewayConfig, McpServerSpec, ServiceSpec } from '../config/resources.js';
import { Errors, GatewayError, type ErrorDetail } from '../errors.js';
import { decryptSpec, encryptSpec, maskSpec, restoreMaskedSecrets, type SecretCipher } from './secret-fields.js';

/** Stored-only marker of resources written by a declarative file, so re-applying it can prune. */
const MANAGED_BY = '__managedBy';

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validators = Object.fromEntries(RESOURCE_KINDS.map((k) => [k, ajv.compile(RESOURCE_SCHEMAS[k])])) as Record<ResourceKind, ValidateFunction>;

export type Specs = { [K in ResourceKind]: Array<Record<string, unknown>> };

function ajvDetail(e: ErrorObject, prefix: string): ErrorDetail {
  const path = `${prefix}${e.instancePath.replace(/\//g, '.')}`.replace(/^\./, '');
  if (e.keyword === 'additionalProperties') {
    const field = (e.params as { additionalProperty: string }).additionalProperty;
    return { path: path ? `${path}.${field}` : field, code: 'UNKNOWN_FIELD', message: `unknown field "${field}"` };
  }
  if (e.keyword === 'required') {
    const field = (e.params as { missingProperty: string }).missingProperty;
    return { path: path ? `${path}.${field}` : field, code: 'MISSING_FIELD', message: `"${field}" is required` };
  }
  if (e.keyword === 'enum') {
    return { path, code: 'INVALID_VALUE', message: `must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}` };
  }
  return { path, code: 'INVALID_VALUE', message: e.message ?? 'is invalid' };
}

/** Schema and field-combination checks of one resource; returns problems (empty = valid). */
export function checkResource(kind: ResourceKind, spec: unknown): ErrorDetail[] {
  const validate = validators[kind];
  if (!validate(spec)) {
    const details = (validate.errors ?? []).filter((e) => e.keyword !== 'anyOf').map((e) => ajvDetail(e, ''));
    const seen = new Set<string>();
    return details.filter((d) => (seen.has(`${d.path}|${d.message}`) ? false : (seen.add(`${d.path}|${d.message}`), true)));
  }
  const s = spec as Record<string, unknown>;
  const out: ErrorDetail[] = [];
  if (kind === 'services') {
    const svc = s as unknown as ServiceSpec;
    const sources = [svc.endpoints?.length ? 'endpoints' : undefined, svc.dns ? 'dns' : undefined, svc.nacos ? 'nacos' : undefined].filter(Boolean);
    if (svc.protocol === 'stdio') {
      if (!svc.command) out.push({ path: 'command', code: 'MISSING_FIELD', message: 'a stdio service needs "command"' });
      if (sources.length) out.push({ path: sources[0], code: 'INVALID_COMBINATION', message: 'a stdio service has no endpoints, dns or nacos source' });
    } else {
      if (sources.length === 0) out.push({ path: 'endpoints', code: 'MISSING_FIELD', message: 'give one source: endpoints, dns or nacos' });
      if (sources.length > 1) out.push({ path: sources[1], code: 'INVALID_COMBINATION', message: `endpoints, dns and nacos are exclusive; found ${sources.join(' and ')}` });
      for (const f of ['command', 'args', 'env', 'cwd', 'mode', 'maxProcesses'] as const) {
        if (svc[f] !== undefined) out.push({ path: f, code: 'INVALID_COMBINATION', message: `"${f}" applies only to protocol stdio` });
      }
    }
    const a = svc.auth;
    if (a?.type === 'basic' && (!a.username || a.password === undefined)) out.push({ path: 'auth', code: 'MISSING_FIELD', message: 'basic auth needs username and password' });
    if (a?.type === 'bearer' && !a.token) out.push({ path: 'auth.token', code: 'MISSING_FIELD', message: 'bearer auth needs token' });
    if (a?.type === 'api-key' && (!a.key || !a.in || !a.name)) out.push({ path: 'auth', code: 'MISSING_FIELD', message: 'api-key auth needs key, in (header or query) and name' });
  }
  if (kind === 'mcp-servers') {
    const m = s as unknown as McpServerSpec;
    if (m.type === 'direct-proxy') {
      if (!m.service) out.push({ path: 'service', code: 'MISSING_FIELD', message: 'a direct-proxy server needs "service"' });
      if (m.tools !== undefined) out.push({ path: 'tools', code: 'INVALID_COMBINATION', message: '"tools" applies only to http-to-mcp servers' });
    } else {
      if (m.transport !== undefined) out.push({ path: 'transport', code: 'INVALID_COMBINATION', message: '"transport" applies only to direct-proxy servers' });
      if (m.path !== undefined) out.push({ path: 'path', code: 'INVALID_COMBINATION', message: '"path" applies only to direct-proxy servers' });
    }
    if (m.type === 'http-to-mcp') {
      if (m.toolset !== undefined) out.push({ path: 'toolset', code: 'INVALID_COMBINATION', message: '"toolset" applies only to toolset servers' });
      if (m.tools !== undefined) {
        const parsed = parseToolConfig(m.tools);
        if (!parsed.ok) {
          for (const e of parsed.errors) out.push({ path: e.path ? `tools: ${e.path}` : 'tools', line: e.line, column: e.column, code: e.code, message: e.message });
        }
      }
    }
    if (m.type === 'toolset' && !m.toolset?.length) out.push({ path: 'toolset', code: 'MISSING_FIELD', message: 'a toolset server needs at least one entry in "toolset"' });
  }
  if (kind === 'consumers') {
    (s.credentials as Array<Record<string, unknown>> | undefined)?.forEach((c, i) => {
      if (c.type === 'jwt' && !c.issuer) out.push({ path: `credentials.${i}.issuer`, code: 'MISSING_FIELD', message: 'jwt needs "issuer"' });
      if (c.type === 'jwt' && !c.jwksUrl && !c.secret) out.push({ path: `credentials.${i}`, code: 'MISSING_FIELD', message: 'jwt needs "jwksUrl" or "secret"' });
    });
  }
  return out;
}

/** Checks references between resources of a whole (prospective) configuration. */
export function checkReferences(specs: Specs): ErrorDetail[] {
  const out: ErrorDetail[] = [];
  const services = new Map(specs.services.map((s) => [s.name as string, s as unknown as ServiceSpec]));
  const registries = new Set(specs.registries.map((r) => r.name as string));
  const consumers = new Set(specs.consumers.map((c) => c.name as string));
  const servers = new Map(specs['mcp-servers'].map((m) => [m.name as string, m as unknown as McpServerSpec]));
  for (const svc of services.values()) {
    if (svc.nacos && !registries.has(svc.nacos.registry)) out.push({ path: `services.${svc.name}.nacos.registry`, code: 'REFERENCE_NOT_FOUND', message: `registry "${svc.nacos.registry}" does not exist` });
  }
  for (const m of servers.values()) {
    if (m.service) {
      const svc = services.get(m.service);
      if (!svc) out.push({ path: `mcpServers.${m.name}.service`, code: 'REFERENCE_NOT_FOUND', message: `service "${m.service}" does not exist` });
      else if (m.type === 'direct-proxy' && svc.protocol !== 'mcp' && svc.protocol !== 'stdio') {
        out.push({ path: `mcpServers.${m.name}.service`, code: 'INVALID_REFERENCE', message: `a direct-proxy server needs a service with protocol mcp or stdio; "${svc.name}" is ${svc.protocol}` });
      } else if (m.type === 'http-to-mcp' && svc.protocol !== 'http' && svc.protocol !== 'https') {
        out.push({ path: `mcpServers.${m.name}.service`, code: 'INVALID_REFERENCE', message: `an http-to-mcp server needs a service with protocol http or https; "${svc.name}" is ${svc.protocol}` });
      }
    }
    for (const c of m.consumerAuth?.allowedConsumers ?? []) {
      if (!consumers.has(c)) out.push({ path: `mcpServers.${m.name}.consumerAuth.allowedConsumers`, code: 'REFERENCE_NOT_FOUND', message: `consumer "${c}" does not exist` });
    }
    for (const t of m.toolset ?? []) {
      if (!servers.has(t.server)) out.push({ path: `mcpServers.${m.name}.toolset`, code: 'REFERENCE_NOT_FOUND', message: `MCP server "${t.server}" does not exist` });
    }
  }
  return out;
}

/** Gives every key-auth credential without a key a random one; returns their indexes. */
function generateMissingKeys(spec: Record<string, unknown>): number[] {
  const out: number[] = [];
  (spec.credentials as Array<Record<string, unknown>> | undefined)?.forEach((c, i) => {
    if (c.type === 'key-auth' && (c.key === undefined || c.key === '')) {
      c.key = `mck_${randomBytes(24).toString('base64url')}`;
      out.push(i);
    }
  });
  return out;
}

/**
 * The control plane's resource operations: validation, secret encryption and masking, reference
 * checks and the store write. Everything the admin API, the declarative file and the CLI change
 * goes through here.
 */
export class ResourceService {
  constructor(
    readonly store: Store,
    private readonly cipher: SecretCipher,
  ) {}

  /** Decrypted specs of every kind (for the snapshot and reference checks). */
  async loadAll(): Promise<Specs> {
    const out = {} as Specs;
    for (const kind of RESOURCE_KINDS) {
      const rows = await this.store.list(kind);
      out[kind] = rows.map((r) => this.clean(decryptSpec(kind, r.spec, this.cipher)));
    }
    return out;
  }

  private clean(spec: Record<string, unknown>): Record<string, unknown> {
    if (!(MANAGED_BY in spec)) return spec;
    const { [MANAGED_BY]: _m, ...rest } = spec;
    return rest;
  }

  async list(kind: ResourceKind): Promise<Array<Record<string, unknown>>> {
    const rows = await this.store.list(kind);
    return rows.map((r) => maskSpec(kind, this.clean(decryptSpec(kind, r.spec, this.cipher))));
  }

  async get(kind: ResourceKind, name: string): Promise<Record<string, unknown>> {
    const row = await this.store.get(kind, name);
    if (!row) throw Errors.notFound(KIND_LABEL[kind], name);
    return maskSpec(kind, this.clean(decryptSpec(kind, row.spec, this.cipher)));
  }

  /** Creates (409 when it exists) or upserts a resource; returns the masked spec and whether it was new. */
  async put(kind: ResourceKind, name: string | undefined, body: unknown, opts: { actor: string; createOnly?: boolean }): Promise<{ spec: Record<string, unknown>; created: boolean }> {
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw Errors.validation('the body must be a JSON object', [{ message: 'expected an object' }]);
    const incoming = { ...(body as Record<string, unknown>) };
    if (name !== undefined) {
      if (incoming.name !== undefined && incoming.name !== name) {
        throw Errors.validation(`the body's name "${String(incoming.name)}" differs from the URL's "${name}"`, [{ path: 'name', code: 'NAME_MISMATCH', message: 'must match the URL' }]);
      }
      incoming.name = name;
    }
    const problems = checkResource(kind, incoming);
    if (problems.length) throw Errors.validation(`invalid ${KIND_LABEL[kind]}: ${problems[0].path ? `${problems[0].path}: ` : ''}${problems[0].message}`, problems);
    const resourceName = incoming.name as string;
    const existing = await this.store.get(kind, resourceName);
    if (existing && opts.createOnly) throw Errors.conflict(`${KIND_LABEL[kind]} "${resourceName}" already exists`);
    if (existing && existing.spec[MANAGED_BY] === 'nacos') throw Errors.readOnly(`${KIND_LABEL[kind]} "${resourceName}" is imported from a registry and read-only`);
    const previous = existing ? decryptSpec(kind, existing.spec, this.cipher) : undefined;
    const spec = restoreMaskedSecrets(kind, incoming, previous);
    const generated = kind === 'consumers' ? generateMissingKeys(spec) : [];
    const all = await this.loadAll();
    const before = new Set(checkReferences(all).map((d) => `${d.path}|${d.message}`));
    all[kind] = [...all[kind].filter((s) => s.name !== resourceName), spec];
    // Only problems this write introduces are refused; older ones are not this caller's doing.
    const introduced = checkReferences(all).filter((d) => !before.has(`${d.path}|${d.message}`));
    if (introduced.length) throw Errors.validation(`invalid ${KIND_LABEL[kind]}: ${introduced[0].path}: ${introduced[0].message}`, introduced);
    const { created } = await this.store.put(kind, resourceName, encryptSpec(kind, spec, this.cipher), { actor: opts.actor });
    const masked = maskSpec(kind, spec);
    // A key the gateway generated is shown in this answer only; afterwards it is masked like any secret.
    for (const i of generated) ((masked.credentials as Array<Record<string, unknown>>)[i]).key = (spec.credentials as Array<Record<string, unknown>>)[i].key;
    return { spec: masked, created };
  }

  async delete(kind: ResourceKind, name: string, opts: { actor: string }): Promise<void> {
    const existing = await this.store.get(kind, name);
    if (!existing) throw Errors.notFound(KIND_LABEL[kind], name);
    if (existing.spec[MANAGED_BY] === 'nacos') {
      throw Errors.readOnly(`${KIND_LABEL[kind]} "${name}" is imported from a Nacos registry and follows it; remove it there, or set mcpRegistry: false on the registry`);
    }
    const all = await this.loadAll();
    const users = this.usersOf(kind, name, all);
    if (users.length) throw Errors.inUse(`${KIND_LABEL[kind]} "${name}" is used by ${users.join(', ')}`);
    await this.store.delete(kind, name, { actor: opts.actor });
  }

  private usersOf(kind: ResourceKind, name: string, all: Specs): string[] {
    const servers = all['mcp-servers'] as unknown as McpServerSpec[];
    if (kind === 'services') return servers.filter((m) => m.service === name).map((m) => `MCP server "${m.name}"`);
    if (kind === 'registries') return (all.services as unknown as ServiceSpec[]).filter((s) => s.nacos?.registry === name).map((s) => `service "${s.name}"`);
    if (kind === 'consumers') return servers.filter((m) => m.consumerAuth?.allowedConsumers?.includes(name)).map((m) => `MCP server "${m.name}"`);
    return servers.filter((m) => m.toolset?.some((t) => t.server === name)).map((m) => `tool set "${m.name}"`);
  }

  /**
   * Applies a declarative configuration in one transaction. With `source`, resources it wrote
   * before and no longer lists are deleted (the file is their source of truth).
   */
  async apply(config: Partial<GatewayConfig>, opts: { actor: string; source?: string; prune?: boolean }): Promise<{ created: number; updated: number; deleted: number; unchanged: number }> {
    const desired: Specs = { services: [], registries: [], 'mcp-servers': [], consumers: [] };
    desired.services = (config.services ?? []) as unknown as Array<Record<string, unknown>>;
    desired.registries = (config.registries ?? []) as unknown as Array<Record<string, unknown>>;
    desired['mcp-servers'] = (config.mcpServers ?? []) as unknown as Array<Record<string, unknown>>;
    desired.consumers = (config.consumers ?? []) as unknown as Array<Record<string, unknown>>;
    const problems: ErrorDetail[] = [];
    const fileKey: Record<ResourceKind, string> = { services: 'services', registries: 'registries', 'mcp-servers': 'mcpServers', consumers: 'consumers' };
    for (const kind of RESOURCE_KINDS) {
      const names = new Set<string>();
      desired[kind].forEach((spec, i) => {
        for (const p of checkResource(kind, spec)) problems.push({ ...p, path: `${fileKey[kind]}.${i}${p.path ? `.${p.path}` : ''}` });
        const n = (spec as { name?: unknown }).name;
        if (typeof n === 'string') {
          if (names.has(n)) problems.push({ path: `${fileKey[kind]}.${i}.name`, code: 'DUPLICATE_NAME', message: `${KIND_LABEL[kind]} "${n}" is listed twice` });
          names.add(n);
        }
      });
    }
    if (problems.length) throw Errors.validation(`invalid configuration: ${problems[0].path}: ${problems[0].message}`, problems);

    const current = await this.rawAll();
    const changes: Change[] = [];
    const counts = { created: 0, updated: 0, deleted: 0, unchanged: 0 };
    const resulting = {} as Specs;
    for (const kind of RESOURCE_KINDS) {
      const desiredNames = new Set(desired[kind].map((s) => s.name as string));
      const now = new Map(current[kind].map((r) => [r.name as string, r]));
      const keep = current[kind].filter((r) => {
        if (desiredNames.has(r.name as string)) return false;
        const prune = opts.prune || (opts.source !== undefined && r[MANAGED_BY] === opts.source);
        if (prune) {
          changes.push({ op: 'delete', kind, name: r.name as string });
          counts.deleted++;
        }
        return !prune;
      });
      resulting[kind] = [...keep, ...desired[kind]].map((s) => this.clean(s));
      for (const spec of desired[kind]) {
        const name = spec.name as string;
        const old = now.get(name);
        const merged = restoreMaskedSecrets(kind, spec, old ? this.clean(old) : undefined);
        const stored = opts.source ? { ...merged, [MANAGED_BY]: opts.source } : merged;
        if (old && JSON.stringify(old) === JSON.stringify(stored)) {
          counts.unchanged++;
          continue;
        }
        changes.push({ op: 'put', kind, name, spec: encryptSpec(kind, stored, this.cipher) });
        if (old) counts.updated++;
        else counts.created++;
      }
    }
    const refs = checkReferences(resulting);
    if (refs.length) throw Errors.validation(`invalid configuration: ${refs[0].path}: ${refs[0].message}`, refs);
    if (changes.length) await this.store.applyBatch(changes, { actor: opts.actor });
    return counts;
  }

  /** Decrypted specs including stored-only markers. */
  private async rawAll(): Promise<Specs> {
    const out = {} as Specs;
    for (const kind of RESOURCE_KINDS) out[kind] = (await this.store.list(kind)).map((r) => decryptSpec(kind, r.spec, this.cipher));
    return out;
  }

  /** The whole configuration with secrets masked (or in clear text, for backups, when asked). */
  async exportConfig(opts: { revealSecrets?: boolean } = {}): Promise<GatewayConfig> {
    const all = await this.loadAll();
    const view = (kind: ResourceKind) => all[kind].map((s) => (opts.revealSecrets ? s : maskSpec(kind, s)));
    return {
      services: view('services') as unknown as GatewayConfig['services'],
      registries: view('registries') as unknown as GatewayConfig['registries'],
      mcpServers: view('mcp-servers') as unknown as GatewayConfig['mcpServers'],
      consumers: view('consumers') as unknown as GatewayConfig['consumers'],
    };
  }
}

export { GatewayError };
