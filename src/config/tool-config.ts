import { LineCounter, parseDocument, isMap, isScalar, type Document, type Node } from 'yaml';
import { MAX_NESTING_DEPTH, nestingDepth } from '../openapi/nesting.js';
import { Ajv2020 } from 'ajv/dist/2020.js';
import type { ErrorObject } from 'ajv';
import { compileTemplate, TemplateError } from '../template/index.js';
import { paramHeaders } from '../protocol/modern.js';

/**
 * Higress-compatible MCP tool configuration (`server` / `tools` YAML) — parsing and validation
 * with line and column for every error. Field reference: Higress `plugins/wasm-go/pkg/mcp/server/`.
 */

export interface SecurityScheme {
  id: string;
  type: 'http' | 'apiKey';
  scheme?: 'basic' | 'bearer';
  in?: 'header' | 'query';
  name?: string;
  defaultCredential?: string;
  tokenSource?: TokenSourceSpec;
}

/** Where a bearer scheme gets a temporary token: OAuth 2.0 client credentials or a login request. */
export type TokenSourceSpec =
  | { type: 'client-credentials'; tokenUrl: string; clientId: string; clientSecret: string; scope?: string; audience?: string }
  | {
      type: 'login';
      url: string;
      method?: string;
      headers?: Array<{ key: string; value: string }>;
      /** Template rendered over {"config": server.config}. */
      body?: string;
      /** GJSON path of the token in the login answer. */
      tokenPath: string;
      /** GJSON path of its lifetime in seconds; else expiresInSeconds; else 300. */
      expiresInPath?: string;
      expiresInSeconds?: number;
    };

export interface SecurityRequirement {
  id: string;
  credential?: string;
  passthrough?: boolean;
}

export type ArgPosition = 'query' | 'path' | 'header' | 'cookie' | 'body';

export interface ToolArg {
  name: string;
  description?: string;
  type?: 'string' | 'number' | 'integer' | 'boolean' | 'array' | 'object';
  required?: boolean;
  default?: unknown;
  enum?: unknown[];
  items?: unknown;
  properties?: unknown;
  position?: ArgPosition;
  [schemaKeyword: string]: unknown;
}

export interface RequestTemplate {
  url?: string;
  method?: string;
  headers?: Array<{ key: string; value: string }>;
  body?: string;
  argsToJsonBody?: boolean;
  argsToUrlParam?: boolean;
  argsToFormBody?: boolean;
  security?: SecurityRequirement;
}

export interface ResponseTemplate {
  body?: string;
  prependBody?: string;
  appendBody?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  args?: ToolArg[];
  requestTemplate?: RequestTemplate;
  responseTemplate?: ResponseTemplate;
  errorResponseTemplate?: string;
  outputSchema?: Record<string, unknown>;
  security?: SecurityRequirement;
  /** Tool-level annotations passed to tools/list as MCP annotations. */
  annotations?: Record<string, unknown>;
  title?: string;
}

export interface ToolConfig {
  server: {
    name: string;
    config?: Record<string, unknown>;
    securitySchemes?: SecurityScheme[];
    defaultDownstreamSecurity?: SecurityRequirement;
    defaultUpstreamSecurity?: SecurityRequirement;
    passthroughAuthHeader?: boolean;
    allowTools?: string[];
  };
  tools: ToolDefinition[];
  allowTools?: string[];
}

export interface ToolConfigError {
  code: string;
  message: string;
  path?: string;
  line?: number;
  column?: number;
}

export type ToolConfigResult = { ok: true; config: ToolConfig; warnings: ToolConfigError[] } | { ok: false; errors: ToolConfigError[] };

export const ARG_SCHEMA_KEYWORDS = [
  'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'pattern', 'format',
  'minItems', 'maxItems', 'uniqueItems', 'oneOf', 'anyOf', 'allOf', 'not', 'const', 'examples', 'nullable', 'additionalProperties',
  'title', 'minProperties', 'maxProperties', 'x-mcp-header',
] as const;

const SECURITY_REQ = {
  type: 'object',
  additionalProperties: false,
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1 }, credential: { type: 'string' }, passthrough: { type: 'boolean' } },
};

/** How a bearer scheme obtains its token instead of holding a static one (gateway extension). */
const TOKEN_SOURCE = {
  type: 'object',
  additionalProperties: false,
  required: ['type'],
  properties: {
    type: { enum: ['client-credentials', 'login'] },
    tokenUrl: { type: 'string', minLength: 1 },
    clientId: { type: 'string', minLength: 1 },
    clientSecret: { type: 'string' },
    scope: { type: 'string' },
    audience: { type: 'string' },
    url: { type: 'string', minLength: 1 },
    method: { enum: ['GET', 'POST', 'PUT', 'get', 'post', 'put'] },
    headers: { type: 'array', items: { type: 'object', additionalProperties: false, required: ['key', 'value'], properties: { key: { type: 'string' }, value: { type: 'string' } } } },
    body: { type: 'string' },
    tokenPath: { type: 'string', minLength: 1 },
    expiresInPath: { type: 'string' },
    expiresInSeconds: { type: 'integer', minimum: 1 },
  },
};

const argKeywordProps = Object.fromEntries(ARG_SCHEMA_KEYWORDS.map((k) => [k, {}]));

const TOOL_CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['server'],
  properties: {
    server: {
      type: 'object',
      additionalProperties: false,
      required: ['name'],
      properties: {
        name: { type: 'string', minLength: 1, maxLength: 256 },
        description: { type: 'string' },
        config: { type: 'object' },
        securitySchemes: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['id', 'type'],
            properties: {
              id: { type: 'string', minLength: 1 },
              type: { enum: ['http', 'apiKey'] },
              scheme: { enum: ['basic', 'bearer'] },
              in: { enum: ['header', 'query'] },
              name: { type: 'string', minLength: 1 },
              defaultCredential: { type: 'string' },
              tokenSource: TOKEN_SOURCE,
            },
          },
        },
        defaultDownstreamSecurity: SECURITY_REQ,
        defaultUpstreamSecurity: SECURITY_REQ,
        passthroughAuthHeader: { type: 'boolean' },
        allowTools: { type: 'array', items: { type: 'string' } },
      },
    },
    allowTools: { type: 'array', items: { type: 'string' } },
    tools: {
      type: 'array',
      maxItems: 100_000,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name'],
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 128 },
          title: { type: 'string' },
          description: { type: 'string' },
          security: SECURITY_REQ,
          annotations: { type: 'object' },
          args: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['name'],
              properties: {
                name: { type: 'string', minLength: 1, maxLength: 256 },
                description: { type: 'string' },
                type: { enum: ['string', 'number', 'integer', 'boolean', 'array', 'object'] },
                required: { type: 'boolean' },
                default: {},
                enum: { type: 'array' },
                items: { type: ['object', 'boolean'] },
                properties: { type: 'object' },
                position: { enum: ['query', 'path', 'header', 'cookie', 'body'] },
                ...argKeywordProps,
              },
            },
          },
          requestTemplate: {
            type: 'object',
            additionalProperties: false,
            properties: {
              url: { type: 'string' },
              method: { type: 'string', pattern: '^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS|get|post|put|patch|delete|head|options)$' },
              headers: {
                type: 'array',
                items: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['key', 'value'],
                  properties: { key: { type: 'string', pattern: '^[!#$%&\'*+.^_`|~0-9A-Za-z-]+$' }, value: { type: ['string', 'number', 'boolean'] } },
                },
              },
              body: { type: 'string' },
              argsToJsonBody: { type: 'boolean' },
              argsToUrlParam: { type: 'boolean' },
              argsToFormBody: { type: 'boolean' },
              security: SECURITY_REQ,
            },
          },
          responseTemplate: {
            type: 'object',
            additionalProperties: false,
            properties: { body: { type: 'string' }, prependBody: { type: 'string' }, appendBody: { type: 'string' } },
          },
          errorResponseTemplate: { type: 'string' },
          outputSchema: { type: 'object' },
        },
      },
    },
  },
};

const ajv = new Ajv2020({ allErrors: true, strict: false });
const validateStructure = ajv.compile(TOOL_CONFIG_SCHEMA);
/** A separate instance for compiling user schemas so they cannot pollute the structure validator. */
const schemaAjv = new Ajv2020({ allErrors: false, strict: false, validateFormats: false });

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;

/** Builds the MCP `inputSchema` of a tool from its args, as Higress does (type defaults to string). */
export function inputSchemaOf(tool: ToolDefinition): Record<string, unknown> {
  const properties: Record<string, unknown> = {};
  const required: string[] = [];
  for (const arg of tool.args ?? []) {
    // Without a type, string is Higress's default, unless oneOf/anyOf say what the value may be.
    const type = arg.type ?? (arg.oneOf || arg.anyOf ? undefined : 'string');
    const schema: Record<string, unknown> = type ? { type } : {};
    if (arg.description !== undefined) schema.description = arg.description;
    if (arg.enum && arg.enum.length > 0) schema.enum = arg.enum;
    if (arg.default !== undefined) schema.default = arg.default;
    if (type === 'array' && arg.items !== undefined) schema.items = arg.items;
    if (type === 'object' && arg.properties !== undefined) schema.properties = arg.properties;
    const nested = (arg as unknown as Record<symbol, string[] | undefined>)[NESTED_REQUIRED];
    if (type === 'object' && nested) schema.required = nested;
    for (const k of ARG_SCHEMA_KEYWORDS) if (arg[k] !== undefined && k !== 'nullable') schema[k] = arg[k];
    properties[arg.name] = schema;
    if (arg.required && !required.includes(arg.name)) required.push(arg.name);
    else if (!arg.required && required.includes(arg.name)) required.splice(required.indexOf(arg.name), 1);
  }
  const out: Record<string, unknown> = { type: 'object', properties };
  if (required.length > 0) out.required = required;
  return out;
}

/** Compiles a JSON Schema with ajv 2020-12; returns the error message or undefined. */
export function jsonSchemaProblem(schema: unknown): string | undefined {
  try {
    schemaAjv.compile(schema as object);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

interface Located {
  doc: Document;
  lines: LineCounter;
}

function positionOf(loc: Located, path: Array<string | number>): { line?: number; column?: number } {
  let node: unknown = loc.doc.getIn(path, true);
  // Walk up until a node with a range is found.
  let p = path;
  while ((!node || !(node as Node).range) && p.length > 0) {
    p = p.slice(0, -1);
    node = p.length === 0 ? loc.doc.contents : loc.doc.getIn(p, true);
  }
  const range = (node as Node | undefined)?.range;
  if (!range) return {};
  const pos = loc.lines.linePos(range[0]);
  return { line: pos.line, column: pos.col };
}

/** Position of a map key (where a reader looks for a field), falling back to its value. */
function keyPositionOf(loc: Located, path: Array<string | number>): { line?: number; column?: number } {
  const parent = path.length > 1 ? loc.doc.getIn(path.slice(0, -1), true) : loc.doc.contents;
  if (isMap(parent)) {
    const last = path[path.length - 1];
    const pair = parent.items.find((it) => (isScalar(it.key) ? it.key.value : it.key) === last);
    const range = (pair?.key as Node | undefined)?.range;
    if (range) {
      const pos = loc.lines.linePos(range[0]);
      return { line: pos.line, column: pos.col };
    }
  }
  return positionOf(loc, path);
}

function pathString(path: Array<string | number>): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : i === 0 ? p : `.${p}`)).join('');
}

/** Describes a tool for messages: its name when known, else its index. */
function toolLabel(config: ToolConfig, index: number): string {
  const name = config.tools?.[index]?.name;
  return name ? `tool "${name}"` : `tools[${index}]`;
}

function ajvErrorToProblem(e: ErrorObject, loc: Located): ToolConfigError {
  const path = e.instancePath.split('/').slice(1).map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, '/').replace(/~0/g, '~')));
  let message: string;
  let code = 'TOOL_CONFIG_INVALID';
  let at = path;
  if (e.keyword === 'additionalProperties') {
    const field = (e.params as { additionalProperty: string }).additionalProperty;
    at = [...path, field];
    code = 'TOOL_CONFIG_UNKNOWN_FIELD';
    message = `unknown field "${field}"${path.length ? ` in ${pathString(path)}` : ' at top level'}`;
    return { code, message, path: pathString(at), ...keyPositionOf(loc, at) };
  } else if (e.keyword === 'required') {
    const field = (e.params as { missingProperty: string }).missingProperty;
    code = 'TOOL_CONFIG_MISSING_FIELD';
    message = `${path.length ? pathString(path) : 'top level'}: missing required field "${field}"`;
  } else if (e.keyword === 'enum') {
    message = `${pathString(path)} must be one of ${(e.params as { allowedValues: unknown[] }).allowedValues.map((v) => JSON.stringify(v)).join(', ')}`;
  } else {
    message = `${pathString(path) || 'document'} ${e.message ?? 'is invalid'}`;
  }
  return { code, message, path: pathString(at), ...positionOf(loc, at) };
}

function templateProblem(err: unknown, loc: Located, path: Array<string | number>, label: string, field: string): ToolConfigError {
  const node = loc.doc.getIn(path, true) as Node | undefined;
  const base = positionOf(loc, path);
  if (err instanceof TemplateError) {
    // Map the template's own line to the YAML line: block scalars start on the next line.
    const isBlock = isScalar(node) && (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED');
    const line = base.line !== undefined ? base.line + (err.line - 1) + (isBlock ? 1 : 0) : undefined;
    const column = err.line === 1 && !isBlock && base.column !== undefined ? base.column + err.column : err.column;
    return {
      code: 'TOOL_CONFIG_TEMPLATE',
      message: `${label} ${field}: ${err.message} (template line ${err.line}, column ${err.column})`,
      path: pathString(path),
      line,
      column,
    };
  }
  return { code: 'TOOL_CONFIG_TEMPLATE', message: `${label} ${field}: ${(err as Error).message}`, path: pathString(path), ...base };
}

/** The template fields of a tool, with their YAML paths. */
export function templateFieldsOf(tool: ToolDefinition, index: number): Array<{ path: Array<string | number>; field: string; source: string }> {
  const out: Array<{ path: Array<string | number>; field: string; source: string }> = [];
  const rt = tool.requestTemplate;
  if (rt?.url) out.push({ path: ['tools', index, 'requestTemplate', 'url'], field: 'requestTemplate.url', source: rt.url });
  rt?.headers?.forEach((h, i) =>
    out.push({ path: ['tools', index, 'requestTemplate', 'headers', i, 'value'], field: `requestTemplate.headers[${i}] (${h.key})`, source: String(h.value) }),
  );
  if (rt?.body) out.push({ path: ['tools', index, 'requestTemplate', 'body'], field: 'requestTemplate.body', source: rt.body });
  if (tool.responseTemplate?.body) out.push({ path: ['tools', index, 'responseTemplate', 'body'], field: 'responseTemplate.body', source: tool.responseTemplate.body });
  if (tool.errorResponseTemplate) out.push({ path: ['tools', index, 'errorResponseTemplate'], field: 'errorResponseTemplate', source: tool.errorResponseTemplate });
  return out;
}

/**
 * Parses and validates Higress tool YAML. Every problem is reported (not just the first), each
 * with a stable code, the field path and its line and column in the text.
 */
export function parseToolConfig(text: string): ToolConfigResult {
  if (nestingDepth(text, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
    return { ok: false, errors: [{ code: 'TOOL_CONFIG_TOO_DEEP', message: `tool configuration nests deeper than ${MAX_NESTING_DEPTH} levels`, line: 1, column: 1 }] };
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: false, strict: true });
  const loc: Located = { doc, lines };
  if (doc.errors.length > 0) {
    return {
      ok: false,
      errors: doc.errors.map((e) => {
        const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
        return { code: 'TOOL_CONFIG_YAML', message: `YAML syntax error: ${e.message.split('\n')[0]}`, line: pos?.line, column: pos?.col };
      }),
    };
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    return { ok: false, errors: [{ code: 'TOOL_CONFIG_YAML', message: `YAML could not be read: ${(err as Error).message}` }] };
  }
  if (value === null || value === undefined || typeof value !== 'object' || Array.isArray(value)) {
    return { ok: false, errors: [{ code: 'TOOL_CONFIG_NOT_A_MAP', message: 'tool configuration must be a YAML map with "server" and "tools"', line: 1, column: 1 }] };
  }
  const warnings: ToolConfigError[] = [];
  normalizeConfig(value as Record<string, unknown>, loc, warnings);
  if (!validateStructure(value)) {
    const errors = (validateStructure.errors ?? [])
      // anyOf/if noise adds nothing a user can act on.
      .filter((e) => e.keyword !== 'if')
      .map((e) => ajvErrorToProblem(e, loc));
    return { ok: false, errors: dedupe(errors) };
  }
  const config = value as unknown as ToolConfig;
  config.tools ??= [];
  const errors: ToolConfigError[] = [];
  const at = (path: Array<string | number>) => ({ path: pathString(path), ...positionOf(loc, path) });
  const schemeIds = new Set((config.server.securitySchemes ?? []).map((s) => s.id));

  (config.server.securitySchemes ?? []).forEach((s, i) => {
    const p = ['server', 'securitySchemes', i];
    if (s.type === 'http' && !s.scheme) errors.push({ code: 'TOOL_CONFIG_INVALID', message: `security scheme "${s.id}": type http needs scheme basic or bearer`, ...at(p) });
    if (s.tokenSource && !(s.type === 'http' && s.scheme === 'bearer')) errors.push({ code: 'TOOL_CONFIG_INVALID', message: `security scheme "${s.id}": tokenSource works only with type http, scheme bearer`, ...at([...p, 'tokenSource']) });
    const ts = s.tokenSource as Record<string, unknown> | undefined;
    const needs = ts?.type === 'client-credentials' ? ['tokenUrl', 'clientId', 'clientSecret'] : ts?.type === 'login' ? ['url', 'tokenPath'] : [];
    for (const f of needs) {
      if (ts && ts[f] === undefined) errors.push({ code: 'TOOL_CONFIG_MISSING_FIELD', message: `security scheme "${s.id}": tokenSource of type ${String(ts.type)} needs "${f}"`, ...at([...p, 'tokenSource']) });
    }
    if (s.tokenSource?.type === 'login' && s.tokenSource.body) {
      try {
        compileTemplate(s.tokenSource.body, { name: `securityScheme ${s.id}/tokenSource.body` });
      } catch (err) {
        errors.push(templateProblem(err, loc, [...p, 'tokenSource', 'body'], `security scheme "${s.id}"`, 'tokenSource.body'));
      }
    }
    if (s.type === 'apiKey' && (!s.in || !s.name)) errors.push({ code: 'TOOL_CONFIG_INVALID', message: `security scheme "${s.id}": type apiKey needs "in" (header or query) and "name"`, ...at(p) });
  });
  const checkRef = (req: SecurityRequirement | undefined, path: Array<string | number>, label: string) => {
    if (req && !schemeIds.has(req.id)) {
      errors.push({ code: 'TOOL_CONFIG_UNKNOWN_SECURITY_SCHEME', message: `${label}: security scheme "${req.id}" is not defined in server.securitySchemes`, ...at([...path, 'id']) });
    }
  };
  checkRef(config.server.defaultDownstreamSecurity, ['server', 'defaultDownstreamSecurity'], 'server.defaultDownstreamSecurity');
  checkRef(config.server.defaultUpstreamSecurity, ['server', 'defaultUpstreamSecurity'], 'server.defaultUpstreamSecurity');

  const seen = new Map<string, number>();
  config.tools.forEach((tool, i) => {
    const label = toolLabel(config, i);
    if (seen.has(tool.name)) {
      errors.push({ code: 'TOOL_CONFIG_DUPLICATE_TOOL', message: `${label} is defined twice (also tools[${seen.get(tool.name)}])`, ...at(['tools', i, 'name']) });
    }
    seen.set(tool.name, i);
    if (!TOOL_NAME.test(tool.name)) {
      warnings.push({ code: 'TOOL_CONFIG_TOOL_NAME', message: `${label}: MCP tool names should match [A-Za-z0-9_.-]{1,128}`, ...at(['tools', i, 'name']) });
    }
    const rt = tool.requestTemplate;
    const argNames = new Set<string>();
    (tool.args ?? []).forEach((arg, j) => {
      // Higress keeps the last definition of a repeated argument; so do we, with a warning.
      if (argNames.has(arg.name)) warnings.push({ code: 'TOOL_CONFIG_DUPLICATE_ARG', message: `${label}: argument "${arg.name}" is defined twice; the last definition is used`, ...at(['tools', i, 'args', j, 'name']) });
      argNames.add(arg.name);
      if (arg.enum && arg.default !== undefined && !arg.enum.some((v) => JSON.stringify(v) === JSON.stringify(arg.default))) {
        warnings.push({ code: 'TOOL_CONFIG_DEFAULT_NOT_IN_ENUM', message: `${label}: default of argument "${arg.name}" is not one of its enum values`, ...at(['tools', i, 'args', j, 'default']) });
      }
    });
    if (rt) {
      const exclusive = [rt.argsToJsonBody, rt.argsToUrlParam, rt.argsToFormBody].filter(Boolean).length;
      if (exclusive > 1) {
        const second = (['argsToJsonBody', 'argsToUrlParam', 'argsToFormBody'] as const).filter((k) => rt[k])[1];
        errors.push({ code: 'TOOL_CONFIG_EXCLUSIVE_OPTIONS', message: `${label}: only one of argsToJsonBody, argsToUrlParam and argsToFormBody may be true`, path: pathString(['tools', i, 'requestTemplate', second]), ...keyPositionOf(loc, ['tools', i, 'requestTemplate', second]) });
      }
      if (rt.url && !rt.method) errors.push({ code: 'TOOL_CONFIG_MISSING_FIELD', message: `${label}: requestTemplate.method is required when requestTemplate.url is set`, ...at(['tools', i, 'requestTemplate']) });
      if (!rt.url && (rt.method || rt.body || rt.headers?.length)) {
        errors.push({ code: 'TOOL_CONFIG_MISSING_FIELD', message: `${label}: requestTemplate has no url`, ...at(['tools', i, 'requestTemplate']) });
      }
      if (rt.body && (rt.argsToJsonBody || rt.argsToFormBody)) {
        warnings.push({ code: 'TOOL_CONFIG_BODY_OVERRIDES', message: `${label}: requestTemplate.body is used; argsToJsonBody/argsToFormBody are ignored`, ...at(['tools', i, 'requestTemplate', 'body']) });
      }
      checkRef(rt.security, ['tools', i, 'requestTemplate', 'security'], `${label} requestTemplate.security`);
    }
    checkRef(tool.security, ['tools', i, 'security'], `${label} security`);
    const resp = tool.responseTemplate;
    if (resp?.body && (resp.prependBody || resp.appendBody)) {
      errors.push({ code: 'TOOL_CONFIG_EXCLUSIVE_OPTIONS', message: `${label}: responseTemplate.prependBody and appendBody cannot be used with responseTemplate.body`, ...at(['tools', i, 'responseTemplate']) });
    }
    if (!rt?.url && !resp?.body) {
      errors.push({ code: 'TOOL_CONFIG_MISSING_FIELD', message: `${label}: a tool without requestTemplate.url is a direct-response tool and needs responseTemplate.body`, ...at(['tools', i]) });
    }
    for (const t of templateFieldsOf(tool, i)) {
      try {
        compileTemplate(t.source, { name: `${tool.name}/${t.field}` });
      } catch (err) {
        errors.push(templateProblem(err, loc, t.path, label, t.field));
      }
    }
    const inputSchema = inputSchemaOf(tool);
    const inputProblem = jsonSchemaProblem(inputSchema);
    if (inputProblem) errors.push({ code: 'TOOL_CONFIG_INPUT_SCHEMA', message: `${label}: its input schema does not compile: ${inputProblem}`, ...at(['tools', i, 'args']) });
    // 2026-07-28 clients drop a tool whose x-mcp-header annotations break the spec's rules; refuse it here instead.
    const headers = paramHeaders(inputSchema);
    if (!Array.isArray(headers)) errors.push({ code: 'TOOL_CONFIG_INPUT_SCHEMA', message: `${label}: ${headers.invalid}`, ...at(['tools', i, 'args']) });
    if (tool.outputSchema) {
      const outProblem = jsonSchemaProblem(tool.outputSchema);
      if (outProblem) errors.push({ code: 'TOOL_CONFIG_OUTPUT_SCHEMA', message: `${label}: outputSchema does not compile: ${outProblem}`, ...at(['tools', i, 'outputSchema']) });
      else if (tool.outputSchema.type !== 'object') warnings.push({ code: 'TOOL_CONFIG_OUTPUT_SCHEMA', message: `${label}: MCP requires outputSchema.type to be "object"`, ...at(['tools', i, 'outputSchema']) });
    }
  });
  for (const [list, path] of [
    [config.allowTools, ['allowTools']],
    [config.server.allowTools, ['server', 'allowTools']],
  ] as const) {
    list?.forEach((name, k) => {
      if (!seen.has(name)) warnings.push({ code: 'TOOL_CONFIG_UNKNOWN_ALLOWED_TOOL', message: `allowTools names "${name}", which is not a tool here`, ...at([...path, k]) });
    });
  }
  if (errors.length > 0) return { ok: false, errors };
  return { ok: true, config, warnings };
}

/** Hidden (non-enumerable) slot on an arg for the required list of its object properties. */
const NESTED_REQUIRED = Symbol('nestedRequired');

const TYPE_ALIASES: Record<string, string> = {
  int: 'integer', int32: 'integer', int64: 'integer', long: 'integer', uint: 'integer',
  float: 'number', float32: 'number', float64: 'number', double: 'number', decimal: 'number',
  bool: 'boolean', str: 'string', text: 'string', list: 'array', map: 'object', dict: 'object',
};

/**
 * Repairs what real configurations get wrong in ways Higress tolerates, each with a warning:
 * type aliases (`int` -> `integer`) and `required: true` inside nested properties (hoisted into the
 * parent's `required` list, as JSON Schema wants).
 */
function normalizeConfig(value: Record<string, unknown>, loc: Located, warnings: ToolConfigError[]): void {
  const tools = Array.isArray(value.tools) ? value.tools : [];
  tools.forEach((tool: unknown, i: number) => {
    const args = tool && typeof tool === 'object' ? (tool as Record<string, unknown>).args : undefined;
    if (!Array.isArray(args)) return;
    args.forEach((arg: unknown, j: number) => {
      if (!arg || typeof arg !== 'object') return;
      const a = arg as Record<string, unknown>;
      const path = ['tools', i, 'args', j];
      fixType(a, path, loc, warnings);
      if (a.items && typeof a.items === 'object') normalizeSchema(a.items as Record<string, unknown>, [...path, 'items'], loc, warnings);
      if (a.properties && typeof a.properties === 'object') normalizeProperties(a as Record<string, unknown>, 'properties', path, loc, warnings, false);
    });
  });
}

function fixType(schema: Record<string, unknown>, path: Array<string | number>, loc: Located, warnings: ToolConfigError[]): void {
  const t = schema.type;
  if (typeof t === 'string' && TYPE_ALIASES[t.toLowerCase()]) {
    schema.type = TYPE_ALIASES[t.toLowerCase()];
    warnings.push({ code: 'TOOL_CONFIG_TYPE_ALIAS', message: `${pathString(path)}: type "${t}" is read as "${schema.type}"`, path: pathString([...path, 'type']), ...positionOf(loc, [...path, 'type']) });
  }
}

function normalizeSchema(schema: Record<string, unknown>, path: Array<string | number>, loc: Located, warnings: ToolConfigError[]): void {
  fixType(schema, path, loc, warnings);
  if (schema.items && typeof schema.items === 'object') normalizeSchema(schema.items as Record<string, unknown>, [...path, 'items'], loc, warnings);
  if (schema.properties && typeof schema.properties === 'object') normalizeProperties(schema, 'properties', path, loc, warnings, true);
}

/** Hoists boolean `required` of each property into the holder's `required` array (when `hoist`). */
function normalizeProperties(holder: Record<string, unknown>, key: string, path: Array<string | number>, loc: Located, warnings: ToolConfigError[], hoist: boolean): void {
  const props = holder[key] as Record<string, unknown>;
  const required: string[] = Array.isArray(holder.required) ? [...(holder.required as string[])] : [];
  for (const [name, sub] of Object.entries(props)) {
    if (!sub || typeof sub !== 'object' || Array.isArray(sub)) continue;
    const s = sub as Record<string, unknown>;
    const subPath = [...path, key, name];
    if (typeof s.required === 'boolean') {
      if (s.required && !required.includes(name)) required.push(name);
      delete s.required;
      warnings.push({ code: 'TOOL_CONFIG_NESTED_REQUIRED', message: `${pathString(subPath)}: "required: true/false" belongs in the parent's required list; moved there`, path: pathString(subPath), ...positionOf(loc, [...subPath, 'required']) });
    }
    normalizeSchema(s, subPath, loc, warnings);
  }
  // An arg's own `required` is the tool-level flag; nested lists only go on nested schemas.
  if (hoist && required.length) holder.required = required;
  else if (!hoist && required.length) Object.defineProperty(holder, NESTED_REQUIRED, { value: required, enumerable: false });
}

function dedupe(errors: ToolConfigError[]): ToolConfigError[] {
  const seen = new Set<string>();
  return errors.filter((e) => {
    const key = `${e.code}|${e.message}|${e.line}|${e.column}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

