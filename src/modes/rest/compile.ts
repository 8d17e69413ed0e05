import { Ajv2020 } from 'ajv/dist/2020.js';
import { goJson } from './args.js';
import type { ValidateFunction } from 'ajv';
import { compileTemplate, type CompiledTemplate } from '../../template/index.js';
import {
  inputSchemaOf,
  parseToolConfig,
  type ArgPosition,
  type SecurityRequirement,
  type SecurityScheme,
  type ToolArg,
  type ToolConfig,
  type ToolDefinition,
} from '../../config/tool-config.js';

/** A tool as `tools/list` shows it. */
export interface McpToolEntry {
  name: string;
  title?: string;
  description?: string;
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

export interface CompiledRestTool {
  name: string;
  entry: McpToolEntry;
  args: ToolArg[];
  positions: Map<string, ArgPosition>;
  validateArgs: ValidateFunction;
  directResponse: boolean;
  method: string;
  url?: CompiledTemplate;
  /** Where the URL template's host comes from, which decides the hosts a rendered URL may reach. */
  urlHost: UrlHostRule;
  headers: Array<{ key: string; template: CompiledTemplate }>;
  body?: CompiledTemplate;
  argsToJsonBody: boolean;
  argsToUrlParam: boolean;
  argsToFormBody: boolean;
  response?: CompiledTemplate;
  prependBody: string;
  appendBody: string;
  errorResponse?: CompiledTemplate;
  hasOutputSchema: boolean;
  /** Gateway-to-backend credential. */
  upstream?: { scheme: SecurityScheme; credential?: string };
  /** Client-to-gateway credential the tool may pass through. */
  downstream?: { scheme: SecurityScheme; passthrough: boolean };
}

export interface CompiledRestServer {
  configJson: string;
  tools: Map<string, CompiledRestTool>;
  /** tools/list entries in configuration order, after allowTools. */
  toolList: McpToolEntry[];
  passthroughAuthHeader: boolean;
  securitySchemes: SecurityScheme[];
}

export class ToolConfigCompileError extends Error {
  readonly code = 'TOOL_CONFIG_INVALID';
  constructor(
    message: string,
    readonly problems: Array<{ code: string; message: string; line?: number; column?: number; path?: string }>,
  ) {
    super(message);
  }
}

const argAjv = new Ajv2020({ allErrors: true, strict: false, validateFormats: false, coerceTypes: false });

function resolveScheme(config: ToolConfig, req: SecurityRequirement | undefined): SecurityScheme | undefined {
  if (!req) return undefined;
  return config.server.securitySchemes?.find((s) => s.id === req.id);
}

function compileTool(config: ToolConfig, tool: ToolDefinition): CompiledRestTool {
  const rt = tool.requestTemplate ?? {};
  const name = tool.name;
  const inputSchema = inputSchemaOf(tool);
  const entry: McpToolEntry = { name, inputSchema };
  if (tool.title) entry.title = tool.title;
  if (tool.description !== undefined) entry.description = tool.description;
  if (tool.outputSchema) entry.outputSchema = tool.outputSchema;
  if (tool.annotations) entry.annotations = tool.annotations;
  const positions = new Map<string, ArgPosition>();
  for (const a of tool.args ?? []) if (a.position) positions.set(a.name, a.position.toLowerCase() as ArgPosition);
  // Defaults from configuration may not match their declared type (Higress accepts that), so only
  // client-supplied values are validated: drop defaults and let required/type checks speak.
  const validationSchema = { ...inputSchema, properties: Object.fromEntries(Object.entries(inputSchema.properties as Record<string, Record<string, unknown>>).map(([k, v]) => {
    const { default: _d, ...rest } = v;
    return [k, rest];
  })) };
  const upReq = rt.security ?? config.server.defaultUpstreamSecurity;
  const upScheme = resolveScheme(config, upReq);
  const downReq = tool.security ?? config.server.defaultDownstreamSecurity;
  const downScheme = resolveScheme(config, downReq);
  const t = (source: string | undefined, field: string) => (source ? compileTemplate(source, { name: `${name}/${field}` }) : undefined);
  return {
    name,
    entry,
    // A repeated argument keeps its last definition (as Higress's map does).
    args: [...new Map((tool.args ?? []).map((a) => [a.name, a])).values()],
    positions,
    validateArgs: argAjv.compile(validationSchema),
    directResponse: !rt.url,
    method: (rt.method ?? 'GET').toUpperCase(),
    url: t(rt.url, 'requestTemplate.url'),
    urlHost: urlHostRule(rt.url),
    headers: (rt.headers ?? []).filter((h) => h.key).map((h, i) => ({ key: h.key, template: compileTemplate(String(h.value), { name: `${name}/requestTemplate.headers[${i}]` }) })),
    body: t(rt.body, 'requestTemplate.body'),
    argsToJsonBody: !!rt.argsToJsonBody,
    argsToUrlParam: !!rt.argsToUrlParam,
    argsToFormBody: !!rt.argsToFormBody,
    response: t(tool.responseTemplate?.body, 'responseTemplate.body'),
    prependBody: tool.responseTemplate?.prependBody ?? '',
    appendBody: tool.responseTemplate?.appendBody ?? '',
    errorResponse: t(tool.errorResponseTemplate, 'errorResponseTemplate'),
    hasOutputSchema: !!tool.outputSchema && Object.keys(tool.outputSchema).length > 0,
    upstream: upScheme ? { scheme: upScheme, credential: upReq?.credential || upScheme.defaultCredential } : undefined,
    downstream: downScheme ? { scheme: downScheme, passthrough: !!downReq?.passthrough } : undefined,
  };
}

/** Parses, validates and compiles tool YAML once, at configuration time. */
export function compileRestServer(toolsYaml: string, serverName: string): CompiledRestServer {
  const parsed = parseToolConfig(toolsYaml);
  if (!parsed.ok) {
    throw new ToolConfigCompileError(`MCP server "${serverName}": ${parsed.errors[0].message}`, parsed.errors);
  }
  return compileRestConfig(parsed.config);
}

export function compileRestConfig(config: ToolConfig): CompiledRestServer {
  const allow = config.allowTools ?? config.server.allowTools;
  const allowSet = allow && allow.length > 0 ? new Set(allow) : undefined;
  const tools = new Map<string, CompiledRestTool>();
  const toolList: McpToolEntry[] = [];
  for (const def of config.tools) {
    if (allowSet && !allowSet.has(def.name)) continue;
    const compiled = compileTool(config, def);
    tools.set(def.name, compiled);
    toolList.push(compiled.entry);
  }
  return {
    // Higress passes `"config":null` when a server has no config.
    configJson: config.server.config ? goJson(config.server.config) : 'null',
    tools,
    toolList,
    passthroughAuthHeader: !!config.server.passthroughAuthHeader,
    securitySchemes: config.server.securitySchemes ?? [],
  };
}

/**
 * The host of a tool URL: written in the template (`literal`), taken only from operator settings
 * (`config`), built from anything else such as arguments (`dynamic`), or absent because the URL is a path
 * sent to the server's service (`path`).
 */
export type UrlHostRule = { kind: 'path' } | { kind: 'literal'; host: string } | { kind: 'config' } | { kind: 'dynamic' };

export function urlHostRule(source: string | undefined): UrlHostRule {
  const text = (source ?? '').trim();
  if (!text.startsWith('{{') && !/^[a-z][a-z0-9+.-]*:/i.test(text)) return { kind: 'path' };
  // The authority ends at the first "/", "?" or "#" after the scheme that is not inside an action.
  const afterScheme = text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  let end = 0;
  let depth = 0;
  for (; end < afterScheme.length; end++) {
    if (afterScheme.startsWith('{{', end)) depth++;
    else if (afterScheme.startsWith('}}', end) && depth > 0) depth--;
    else if (depth === 0 && '/?#'.includes(afterScheme[end])) break;
  }
  const authority = afterScheme.slice(0, end);
  const actions = authority.match(/{{[\s\S]*?}}/g) ?? [];
  if (actions.length === 0) {
    try {
      return { kind: 'literal', host: new URL(`${text.slice(0, text.length - afterScheme.length)}${authority}/`).host.toLowerCase() };
    } catch {
      return { kind: 'dynamic' };
    }
  }
  // Operator settings (.config.*) are trusted like the template itself; anything else may come from the caller.
  const configOnly = actions.every((a) => /^{{-?\s*\.config\.[A-Za-z0-9_.]+\s*-?}}$/.test(a));
  return configOnly ? { kind: 'config' } : { kind: 'dynamic' };
}
