import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { McpServerSpec, ServiceSpec } from '../config/resources.js';

/*
 * Turns MCP servers registered in Nacos 3 (the admin API's McpServerDetailInfo, see
 * https://nacos.io/docs/latest/manual/admin/admin-api/ and https://nacos.io/docs/latest/manual/user/ai/mcp-registry/)
 * into gateway resources:
 * - protocol mcp-sse / mcp-streamable: a direct proxy over the serviceRef service and exportPath;
 * - protocol http / https with a toolSpec: an HTTP-to-MCP server whose tool YAML is built from each
 *   tool's inputSchema and toolsMeta[tool].templates["json-go-template"], plus toolSpec.securitySchemes.
 * Disabled servers and tools are left out; stdio and dubbo servers cannot be served and are reported.
 */

export interface ImportedSpecs {
  services: ServiceSpec[];
  mcpServers: McpServerSpec[];
  /** Servers that were skipped, with the reason (logged). */
  problems: string[];
}

/** The sentence that marks an imported resource's description with its source. */
export function importMark(registry: string): string {
  return `(imported from Nacos registry "${registry}")`;
}

/** A gateway resource name ([a-z0-9-]{1,63}) for a Nacos name; a hash keeps distinct names distinct. */
export function importedName(raw: string, prefix = ''): string {
  let name = `${prefix}${raw}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/-+/g, '-').replace(/^-|-$/g, '');
  const exact = name === `${prefix}${raw}`;
  if (!exact || name.length > 63 || name.length === 0) {
    const hash = createHash('sha256').update(raw).digest('hex').slice(0, 6);
    name = `${name.slice(0, 56).replace(/-$/, '')}-${hash}`.replace(/^-/, '');
  }
  return name;
}

type Json = Record<string, unknown>;

function obj(v: unknown): Json | undefined {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Json) : undefined;
}

function str(v: unknown): string | undefined {
  return typeof v === 'string' && v.length > 0 ? v : undefined;
}

const ARG_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object']);
const ARG_KEYWORDS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'minLength', 'maxLength', 'pattern', 'format', 'minItems', 'maxItems'];
const POSITIONS = new Set(['query', 'path', 'header', 'cookie', 'body']);
const REQUEST_KEYS = ['url', 'method', 'headers', 'body', 'argsToJsonBody', 'argsToUrlParam', 'argsToFormBody', 'security'];
const RESPONSE_KEYS = ['body', 'prependBody', 'appendBody'];
const SCHEME_KEYS = ['id', 'type', 'scheme', 'in', 'name', 'defaultCredential'];

function pick(source: Json, keys: string[]): Json {
  const out: Json = {};
  for (const k of keys) if (source[k] !== undefined && source[k] !== null) out[k] = source[k];
  return out;
}

/** One Nacos tool to a Higress tool entry; undefined when it is disabled or has no request template. */
function toolEntry(tool: Json, meta: Json | undefined): Json | undefined {
  if (meta?.enabled === false) return undefined;
  const name = str(tool.name);
  if (!name) return undefined;
  const template = obj(obj(meta?.templates)?.['json-go-template']);
  const request = obj(template?.requestTemplate);
  if (!template || !request || !str(request.url)) return undefined;
  const schema = obj(tool.inputSchema) ?? {};
  const properties = obj(schema.properties) ?? {};
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === 'string') : []);
  const positions = obj(template.argsPosition) ?? {};
  const args: Json[] = [];
  for (const [argName, raw] of Object.entries(properties)) {
    const p = obj(raw) ?? {};
    const arg: Json = { name: argName };
    if (typeof p.description === 'string') arg.description = p.description;
    if (typeof p.type === 'string' && ARG_TYPES.has(p.type)) arg.type = p.type;
    if (required.has(argName)) arg.required = true;
    if (p.default !== undefined) arg.default = p.default;
    if (Array.isArray(p.enum)) arg.enum = p.enum;
    if (obj(p.items)) arg.items = p.items;
    if (obj(p.properties)) arg.properties = p.properties;
    for (const k of ARG_KEYWORDS) if (p[k] !== undefined) arg[k] = p[k];
    const position = positions[argName];
    if (typeof position === 'string' && POSITIONS.has(position)) arg.position = position;
    args.push(arg);
  }
  const entry: Json = { name };
  if (typeof tool.description === 'string') entry.description = tool.description;
  if (args.length) entry.args = args;
  entry.requestTemplate = pick(request, REQUEST_KEYS);
  const response = obj(template.responseTemplate);
  if (response) {
    const r = pick(response, RESPONSE_KEYS);
    if (Object.keys(r).length) entry.responseTemplate = r;
  }
  if (typeof template.errorResponseTemplate === 'string') entry.errorResponseTemplate = template.errorResponseTemplate;
  const security = obj(template.security);
  if (security && str(security.id)) entry.security = pick(security, ['id', 'passthrough', 'credential']);
  return entry;
}

/** The Higress tool YAML of a Nacos http/https MCP server's toolSpec. */
export function toolYamlOf(serverName: string, toolSpec: Json): { yaml: string; tools: number } {
  const meta = obj(toolSpec.toolsMeta) ?? {};
  const tools: Json[] = [];
  for (const t of Array.isArray(toolSpec.tools) ? toolSpec.tools : []) {
    const tool = obj(t);
    if (!tool) continue;
    const entry = toolEntry(tool, obj(meta[String(tool.name)]));
    if (entry) tools.push(entry);
  }
  const server: Json = { name: serverName };
  const schemes = (Array.isArray(toolSpec.securitySchemes) ? toolSpec.securitySchemes : []).map((s) => obj(s)).filter((s): s is Json => !!s && !!str(s.id));
  if (schemes.length) server.securitySchemes = schemes.map((s) => pick(s, SCHEME_KEYS));
  return { yaml: stringify({ server, tools }), tools: tools.length };
}

/** Converts the detail records of one registry into services and MCP servers to import. */
export function convertMcpServers(registry: { name: string; namespace?: string }, details: Json[]): ImportedSpecs {
  const out: ImportedSpecs = { services: [], mcpServers: [], problems: [] };
  const mark = importMark(registry.name);
  const taken = new Set<string>();
  for (const d of details) {
    const rawName = str(d.name);
    if (!rawName) {
      out.problems.push('an MCP server without a name was skipped');
      continue;
    }
    if (d.enabled === false) continue;
    const name = importedName(rawName);
    if (taken.has(name)) {
      out.problems.push(`MCP server "${rawName}" maps to the name "${name}" already used by another imported server; skipped`);
      continue;
    }
    const protocol = str(d.protocol);
    const front = str(d.frontProtocol) ?? protocol;
    const remote = obj(d.remoteServerConfig);
    const ref = obj(remote?.serviceRef);
    const refService = str(ref?.serviceName);
    const description = `${str(d.description) ?? rawName} ${mark}`.slice(0, 4096);
    // `protocol` is what the backend speaks; `frontProtocol` only says how it is exposed (an http backend may be exposed as mcp-sse).
    const backend = protocol ?? front;
    if (backend !== 'mcp-sse' && backend !== 'mcp-streamable' && backend !== 'http' && backend !== 'https') {
      out.problems.push(`MCP server "${rawName}" uses protocol "${backend ?? '?'}", which the gateway cannot serve from a registry`);
      continue;
    }
    if (!refService) {
      out.problems.push(`MCP server "${rawName}" (${protocol ?? 'no protocol'}) has no remoteServerConfig.serviceRef; only remote servers backed by a Nacos service can be served`);
      continue;
    }
    const nacos = { registry: registry.name, service: refService, group: str(ref?.groupName) ?? 'DEFAULT_GROUP', namespace: str(ref?.namespaceId) ?? registry.namespace ?? 'public' };
    const serviceName = importedName(rawName, 'nacos-');
    if (backend === 'mcp-sse' || backend === 'mcp-streamable') {
      const sse = backend === 'mcp-sse';
      let path = str(remote?.exportPath) ?? (sse ? '/sse' : '/mcp');
      if (!path.startsWith('/')) path = `/${path}`;
      out.services.push({ name: serviceName, description: mark, protocol: 'mcp', nacos });
      out.mcpServers.push({ name, type: 'direct-proxy', description, service: serviceName, transport: sse ? 'sse' : 'streamable-http', path });
    } else {
      const toolSpec = obj(d.toolSpec);
      if (!toolSpec) {
        out.problems.push(`MCP server "${rawName}" (${backend}) has no toolSpec`);
        continue;
      }
      const { yaml } = toolYamlOf(rawName, toolSpec);
      out.services.push({ name: serviceName, description: mark, protocol: backend, nacos });
      out.mcpServers.push({ name, type: 'http-to-mcp', description, service: serviceName, tools: yaml });
    }
    taken.add(name);
  }
  return out;
}
