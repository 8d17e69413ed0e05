import { Ajv2020 } from 'ajv/dist/2020.js';
import { parse } from 'yaml';

const TOOL_NAME = /^[A-Za-z0-9_.-]{1,128}$/;
const POSITIONS = new Set(['path', 'query', 'header', 'cookie', 'body']);
const ARG_META = new Set(['name', 'description', 'required', 'position', 'nullable']);

export interface OutputCheck {
  /** Problems found; empty when the YAML is a well-formed tool configuration. */
  problems: string[];
  tools: Array<Record<string, any>>;
  server: Record<string, any>;
}

/** The JSON Schema an arg stands for: the arg minus the tool-format fields. */
export function argSchema(arg: Record<string, unknown>): Record<string, unknown> {
  const schema: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(arg)) if (!ARG_META.has(k)) schema[k] = v;
  return schema;
}

/**
 * Independent check of converter output: parses the YAML, checks tool names, arg positions
 * and request templates, and (unless `compile: false`) compiles each tool's input schema (all
 * args) and output schema with ajv 2020-12.
 */
export function checkToolYaml(yamlText: string, opts: { compile?: boolean } = {}): OutputCheck {
  const compile = opts.compile ?? true;
  const problems: string[] = [];
  const doc = parse(yamlText, { maxAliasCount: -1 }) as { server: Record<string, any>; tools: Array<Record<string, any>> };
  const ajv = new Ajv2020({ strict: false, validateFormats: false, logger: false });
  const tools = doc?.tools ?? [];
  if (!doc?.server?.name) problems.push('server.name missing');
  const names = new Set<string>();
  const schemeIds = new Set((doc.server?.securitySchemes ?? []).map((s: { id: string }) => s.id));
  for (const tool of tools) {
    const label = String(tool.name);
    if (!TOOL_NAME.test(label)) problems.push(`${label}: invalid tool name`);
    if (names.has(label)) problems.push(`${label}: duplicate tool name`);
    names.add(label);
    const properties: Record<string, unknown> = {};
    const required: string[] = [];
    const argNames = new Set<string>();
    for (const arg of tool.args ?? []) {
      if (argNames.has(arg.name)) problems.push(`${label}: duplicate arg ${arg.name}`);
      argNames.add(arg.name);
      if (!POSITIONS.has(arg.position)) problems.push(`${label}: arg ${arg.name} has position ${arg.position}`);
      properties[arg.name] = argSchema(arg);
      if (arg.required) required.push(arg.name);
    }
    const rt = tool.requestTemplate ?? {};
    if (typeof rt.url !== 'string' || !/^(GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS)$/.test(rt.method)) problems.push(`${label}: bad requestTemplate`);
    for (const m of String(rt.url).matchAll(/\{([^}{]+)\}/g)) {
      if (!(tool.args ?? []).some((a: { name: string; position: string }) => a.name === m[1] && a.position === 'path')) {
        problems.push(`${label}: URL placeholder {${m[1]}} has no path arg`);
      }
    }
    if (rt.security && !schemeIds.has(rt.security.id)) problems.push(`${label}: unknown security scheme ${rt.security.id}`);
    if (tool.outputSchema && tool.outputSchema.type !== 'object') problems.push(`${label}: outputSchema is not an object schema`);
    if (!compile) continue;
    try {
      ajv.compile({ type: 'object', properties, ...(required.length ? { required } : {}) });
    } catch (err) {
      problems.push(`${label}: input schema does not compile: ${(err as Error).message}`);
    }
    if (tool.outputSchema) {
      try {
        ajv.compile(tool.outputSchema);
      } catch (err) {
        problems.push(`${label}: output schema does not compile: ${(err as Error).message}`);
      }
    }
  }
  return { problems, tools, server: doc?.server ?? {} };
}
