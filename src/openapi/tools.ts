import { pointerJoin, type ConvertWarning } from './errors.js';
import { isJsonMedia, mediaKind, type Operation } from './document.js';
import type { ToolNamer } from './naming.js';
import { describeResponse } from './response.js';
import { FULL_DEPTH, isObject, type JsonSchema, type SchemaConverter, type SchemaState } from './schema.js';
import type { SecurityMap } from './security.js';

/** Schema node budgets per tool (all args together; output schema) and response description lines. */
export interface ToolBudget {
  args: number;
  output: number;
  describeLines: number;
}
/** The usual budget, and a smaller one for documents with thousands of operations. */
export const NORMAL_BUDGET: ToolBudget = { args: 800, output: 150, describeLines: 80 };
export const LARGE_DOCUMENT_BUDGET: ToolBudget = { args: 300, output: 60, describeLines: 30 };
/** The tool format's limit on arg names. */
const MAX_ARG_NAME = 256;
/** JSON Schema keywords an arg may carry besides type/enum/items/properties/default. */
const ARG_KEYWORDS = [
  'format', 'minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum', 'multipleOf', 'minLength', 'maxLength', 'pattern',
  'minItems', 'maxItems', 'uniqueItems', 'oneOf', 'anyOf', 'not', 'const', 'title', 'additionalProperties', 'minProperties', 'maxProperties',
] as const;

export type Position = 'path' | 'query' | 'header' | 'cookie' | 'body';

export interface ToolArg {
  name: string;
  description?: string;
  type?: string;
  required?: boolean;
  default?: unknown;
  enum?: unknown[];
  items?: unknown;
  properties?: unknown;
  position: Position;
  [keyword: string]: unknown;
}

export interface Tool {
  name: string;
  description: string;
  args: ToolArg[];
  requestTemplate: {
    url: string;
    method: string;
    headers?: Array<{ key: string; value: string }>;
    body?: string;
    security?: { id: string };
  };
  responseTemplate: { prependBody?: string };
  outputSchema?: JsonSchema;
}

/** Builds the tool-format arg for one value, lifting the JSON Schema keywords the format allows. */
function toArg(name: string, description: string | undefined, schema: JsonSchema | boolean, required: boolean, position: Position): ToolArg {
  const s: JsonSchema = typeof schema === 'boolean' ? {} : schema;
  const arg = { name } as ToolArg;
  const desc = description ?? (typeof s.description === 'string' ? s.description : undefined);
  if (desc) arg.description = desc;
  let nullable = false;
  let alternatives: JsonSchema[] | undefined;
  if (typeof s.type === 'string') arg.type = s.type === 'null' ? undefined : s.type;
  else if (Array.isArray(s.type)) {
    const nonNull = (s.type as string[]).filter((t) => t !== 'null');
    nullable = nonNull.length < s.type.length;
    if (nonNull.length === 1) arg.type = nonNull[0];
    else if (nonNull.length > 1 && s.anyOf === undefined && s.oneOf === undefined) alternatives = nonNull.map((t) => ({ type: t }));
  }
  if (arg.type === undefined) delete arg.type;
  if (required) arg.required = true;
  if (s.default !== undefined) arg.default = s.default;
  if (Array.isArray(s.enum)) arg.enum = s.enum;
  if (s.items !== undefined) arg.items = s.items;
  if (s.properties !== undefined) arg.properties = s.properties;
  // position comes after the schema fields, as in Higress's files.
  arg.position = position;
  for (const k of ARG_KEYWORDS) if (s[k] !== undefined) arg[k] = s[k];
  if (alternatives) arg.anyOf = alternatives;
  if (nullable) arg.nullable = true;
  return arg;
}

function escapeTemplate(text: string): string {
  // The URL is a Go-style template: literal braces pairs must not start an action.
  return text.includes('{{') || text.includes('}}') ? text.replace(/\{\{|\}\}/g, (m) => `{{"${m}"}}`) : text;
}

export interface ToolContext {
  converter: SchemaConverter;
  namer: ToolNamer;
  security: SecurityMap;
  warn: (w: ConvertWarning) => void;
  budget: ToolBudget;
}

interface ArgsResult {
  args: ToolArg[];
  headers: Array<{ key: string; value: string }>;
  body?: string;
  warnings: ConvertWarning[];
}

function buildArgs(op: Operation, ctx: ToolContext, st: SchemaState): ArgsResult {
  const warnings: ConvertWarning[] = [];
  const operation = op.label;
  const args: ToolArg[] = [];
  const taken = new Set<string>();
  const headers: Array<{ key: string; value: string }> = [];
  let body: string | undefined;
  const order: Position[] = ['path', 'query', 'header', 'cookie'];
  for (const where of order) {
    for (const p of op.parameters) {
      if (p.in !== where) continue;
      if (p.name === '' || p.name.length > MAX_ARG_NAME) {
        warnings.push({ code: 'ARG_NAME_INVALID', message: `${p.in} parameter name "${p.name.slice(0, 40)}" is empty or too long; skipped`, operation });
        continue;
      }
      if (taken.has(p.name)) {
        warnings.push({ code: 'PARAM_NAME_CONFLICT', message: `${p.in} parameter "${p.name}" has the same name as another parameter; skipped`, operation });
        continue;
      }
      taken.add(p.name);
      args.push(toArg(p.name, p.description, ctx.converter.convert(p.schema, p.at, 0, st), p.required, p.in));
    }
    if (where === 'path') {
      for (const m of op.path.matchAll(/\{([^}]+)\}/g)) {
        if (taken.has(m[1])) continue;
        taken.add(m[1]);
        warnings.push({ code: 'PATH_PARAM_UNDECLARED', message: `path template "{${m[1]}}" has no parameter; added as a required string`, operation });
        args.push({ name: m[1], type: 'string', required: true, position: 'path' });
      }
    }
  }
  const rb = op.body;
  if (rb) {
    const kind = mediaKind(rb.mediaType);
    const offered = rb.offered.join(', ');
    if (kind === 'multipart') {
      warnings.push({ code: 'BODY_MULTIPART_SKIPPED', message: `request body ${rb.mediaType} cannot be sent by a tool; the tool sends no body`, operation });
    } else if (kind === 'other') {
      warnings.push({ code: 'BODY_MEDIA_TYPE_UNSUPPORTED', message: `request body media type(s) ${offered} not supported (JSON, form or text only); the tool sends no body`, operation });
    } else if (kind === 'text') {
      const name = taken.has('body') ? 'requestBody' : 'body';
      args.push({ name, ...(rb.description ? { description: rb.description } : {}), type: 'string', ...(rb.required ? { required: true } : {}), position: 'body' });
      headers.push({ key: 'Content-Type', value: rb.mediaType });
      body = `{{.args.${name}}}`;
    } else if (rb.schema === undefined) {
      warnings.push({ code: 'BODY_NO_SCHEMA', message: `request body ${rb.mediaType} has no schema; the tool sends no body`, operation });
    } else {
      const flat = ctx.converter.flatten(rb.schema, rb.schemaAt, st);
      const s = flat.schema;
      const props = isObject(s.properties) ? s.properties : undefined;
      const objectLike = (s.type === 'object' || s.type === undefined) && props !== undefined && Object.keys(props).length > 0 && !s.oneOf && !s.anyOf;
      const arrayLike = s.type === 'array' || (s.type === undefined && s.items !== undefined);
      const contentType = isJsonMedia(rb.mediaType) && rb.mediaType.includes('*') ? 'application/json' : rb.mediaType;
      const required = Array.isArray(s.required) ? s.required : [];
      const bodyBase = flat.refs.length ? flat.refs[flat.refs.length - 1].slice(1) : rb.schemaAt;
      const conflicts = props ? Object.keys(props).filter((k) => taken.has(k)) : [];
      const emptyObject = (s.type === 'object' || s.type === undefined) && props !== undefined && Object.keys(props).length === 0 && !s.oneOf && !s.anyOf;
      if (emptyObject && (kind === 'form' || s.additionalProperties === false)) {
        // An object with no fields: nothing to send.
      } else if (objectLike && (conflicts.length === 0 || kind === 'form')) {
        st.stack.push(...flat.refs);
        try {
          for (const [name, raw] of Object.entries(props)) {
            if (raw === undefined || raw === null) continue;
            if (name === '' || name.length > MAX_ARG_NAME) {
              warnings.push({ code: 'ARG_NAME_INVALID', message: `body field name "${name.slice(0, 40)}" is empty or too long; skipped`, operation });
              continue;
            }
            if (taken.has(name)) {
              warnings.push({ code: 'PARAM_NAME_CONFLICT', message: `form field "${name}" has the same name as a parameter; skipped`, operation });
              continue;
            }
            const at = pointerJoin(pointerJoin(bodyBase, 'properties'), name);
            const resolved = ctx.converter.flatten(raw, at, st).schema;
            // Server-set fields do not belong in a request.
            if (resolved.readOnly === true) continue;
            taken.add(name);
            args.push(toArg(name, undefined, ctx.converter.convert(raw, at, 1, st), required.includes(name), 'body'));
          }
        } finally {
          st.stack.length -= flat.refs.length;
        }
        headers.push({ key: 'Content-Type', value: contentType });
      } else if (kind === 'json') {
        // Arrays go in "items" as Higress does; anything else (or a name clash) in one "body" arg.
        let name = arrayLike ? 'items' : 'body';
        if (taken.has(name)) name = 'requestBody';
        if (conflicts.length > 0) {
          warnings.push({ code: 'BODY_NAME_CONFLICT', message: `body field(s) ${conflicts.join(', ')} clash with parameters; the body is one "${name}" arg`, operation });
        }
        const schema = ctx.converter.convert(rb.schema, rb.schemaAt, 0, st);
        taken.add(name);
        args.push(toArg(name, rb.description, schema, rb.required, 'body'));
        headers.push({ key: 'Content-Type', value: contentType });
        body = `{{.args.${name}}}`;
      } else {
        warnings.push({ code: 'BODY_FORM_NOT_OBJECT', message: `form body is not an object with properties; the tool sends no body`, operation });
      }
    }
  }
  const result: ArgsResult = { args, headers, warnings };
  if (body !== undefined) result.body = body;
  return result;
}

/** Maps one operation to one tool in the Higress tool format. */
export function operationToTool(op: Operation, ctx: ToolContext): Tool {
  const operation = op.label;
  const name = ctx.namer.name(op.operationId, op.method, op.path, ctx.warn, operation);
  const description =
    op.summary && op.description ? `${op.summary} - ${op.description}` : (op.summary ?? op.description ?? `${op.method.toUpperCase()} ${op.path}`);
  const built = ctx.converter.bounded(ctx.budget.args, (st) => buildArgs(op, ctx, st));
  for (const w of built.value.warnings) ctx.warn(w);
  if (built.depth < FULL_DEPTH) {
    ctx.warn({ code: 'SCHEMA_TRUNCATED', message: `argument schemas are large; nested fields below depth ${built.depth} are omitted`, operation });
  }
  let cycles = built.cycles;
  const requestTemplate: Tool['requestTemplate'] = { url: escapeTemplate(op.baseUrl + op.path), method: op.method.toUpperCase() };
  if (built.value.headers.length > 0) requestTemplate.headers = built.value.headers;
  if (built.value.body !== undefined) requestTemplate.body = built.value.body;
  const schemeId = ctx.security.schemeFor(op.security, ctx.warn, operation);
  if (schemeId !== undefined) requestTemplate.security = { id: schemeId };
  const tool: Tool = { name, description, args: built.value.args, requestTemplate, responseTemplate: {} };
  const resp = op.response;
  if (resp?.schema !== undefined && resp.mediaType) {
    const out = ctx.converter.bounded(ctx.budget.output, (st) => ctx.converter.convert(resp.schema, resp.schemaAt, 0, st));
    cycles ||= out.cycles;
    if (out.depth < FULL_DEPTH) {
      ctx.warn({ code: 'SCHEMA_TRUNCATED', message: `response schema is large; nested fields below depth ${out.depth} are omitted`, operation });
    }
    const schema: JsonSchema = typeof out.value === 'boolean' ? {} : out.value;
    tool.responseTemplate.prependBody = describeResponse(schema, resp.mediaType, ctx.budget.describeLines);
    const objectLike = schema.type === 'object' || (schema.type === undefined && isObject(schema.properties));
    if (objectLike && isJsonMedia(resp.mediaType)) {
      const { description: schemaDescription, type: _type, ...rest } = schema;
      const description = resp.description ?? schemaDescription;
      tool.outputSchema = { type: 'object', ...(description ? { description } : {}), ...rest };
    }
  }
  if (cycles) ctx.warn({ code: 'CIRCULAR_SCHEMA', message: 'a schema refers to itself; the recursive part is shown once, without its fields', operation });
  return tool;
}
