/**
 * OpenAPI / Swagger -> MCP tool configuration (Higress `server`/`tools` YAML).
 * A library with no gateway imports: text in, YAML text and warnings out.
 */
import { OpenApiError, type ConvertWarning } from './errors.js';
import { DocumentReader, METHODS, detectVersion } from './document.js';
import { ToolNamer } from './naming.js';
import { parseText } from './parse.js';
import { RefResolver } from './refs.js';
import { SchemaConverter, isObject } from './schema.js';
import { SecurityMap } from './security.js';
import { LARGE_DOCUMENT_BUDGET, NORMAL_BUDGET, operationToTool, type Tool } from './tools.js';
import { toYaml } from './yaml-writer.js';

export { OpenApiError } from './errors.js';
export { nestingDepth, MAX_NESTING_DEPTH } from './nesting.js';
export type { ConvertWarning, OpenApiErrorCode } from './errors.js';

export interface ConvertOptions {
  /** `server.name`; defaults to a slug of `info.title`, else "openapi-server". */
  serverName?: string;
  /** Prepended to every tool name. */
  toolPrefix?: string;
  /** Largest accepted document, in bytes of UTF-8 (default 64 MiB). */
  maxBytes?: number;
}

export interface ConvertResult {
  yaml: string;
  warnings: ConvertWarning[];
  toolCount: number;
}

const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
/** Repeats of one warning code beyond this are counted, not listed. */
const MAX_WARNINGS_PER_CODE = 100;

class WarningList {
  readonly list: ConvertWarning[] = [];
  private readonly counts = new Map<string, number>();

  add = (w: ConvertWarning): void => {
    const n = (this.counts.get(w.code) ?? 0) + 1;
    this.counts.set(w.code, n);
    if (n <= MAX_WARNINGS_PER_CODE) this.list.push(w);
  };

  finish(): ConvertWarning[] {
    for (const [code, n] of this.counts) {
      if (n > MAX_WARNINGS_PER_CODE) {
        this.list.push({ code: 'WARNINGS_OMITTED', message: `${n - MAX_WARNINGS_PER_CODE} more ${code} warnings not listed (${n} in all)` });
      }
    }
    return this.list;
  }
}

/** Above this many operations each tool gets a smaller schema budget (output stays proportionate). */
const LARGE_DOCUMENT_OPERATIONS = 2000;

function countOperations(doc: Record<string, unknown>): number {
  let n = 0;
  if (!isObject(doc.paths)) return 0;
  for (const item of Object.values(doc.paths)) {
    if (isObject(item)) for (const m of METHODS) if (item[m] !== undefined) n++;
  }
  return n;
}

/** "GET /a/b" -> "/paths/~1a~1b/get". */
function operationPointer(label: string): string {
  const space = label.indexOf(' ');
  return `/paths/${label.slice(space + 1).replace(/~/g, '~0').replace(/\//g, '~1')}/${label.slice(0, space).toLowerCase()}`;
}

function defaultServerName(root: Record<string, unknown>): string {
  const title = isObject(root.info) && typeof root.info.title === 'string' ? root.info.title : '';
  const slug = title
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return slug || 'openapi-server';
}

/** Converts a parsed document. */
function convertDocument(root: unknown, opts: ConvertOptions = {}): ConvertResult {
  const version = detectVersion(root);
  const doc = root as Record<string, unknown>;
  const warnings = new WarningList();
  const resolver = new RefResolver(doc);
  const converter = new SchemaConverter(resolver);
  const security = new SecurityMap(doc, version, resolver, warnings.add);
  const operations = countOperations(doc);
  const budget = operations > LARGE_DOCUMENT_OPERATIONS ? LARGE_DOCUMENT_BUDGET : NORMAL_BUDGET;
  if (budget === LARGE_DOCUMENT_BUDGET) {
    warnings.add({ code: 'LARGE_DOCUMENT', message: `${operations} operations: schemas and response descriptions are kept shorter per tool` });
  }
  const ctx = { converter, namer: new ToolNamer(opts.toolPrefix ?? ''), security, warn: warnings.add, budget };
  const reader = new DocumentReader(doc, version, resolver, warnings.add);
  const tools: Tool[] = [];
  for (const { label, read } of reader.operations()) {
    try {
      tools.push(operationToTool(read(), ctx));
    } catch (err) {
      if (err instanceof OpenApiError) throw err;
      if (err instanceof RangeError) throw new OpenApiError('OPENAPI_INVALID', `operation ${label} is nested too deeply`, operationPointer(label));
      // One odd operation should not sink the document: skip it and say why.
      warnings.add({ code: 'OPERATION_SKIPPED', message: `could not convert: ${(err as Error).message}`, operation: label });
    }
  }
  if (tools.length === 0) warnings.add({ code: 'NO_OPERATIONS', message: 'the document has no operations to turn into tools' });
  const server: Record<string, unknown> = { name: opts.serverName ?? defaultServerName(doc) };
  if (security.schemes.length > 0) server.securitySchemes = security.schemes;
  const yaml = toYaml({ server, tools });
  return { yaml, warnings: warnings.finish(), toolCount: tools.length };
}

/**
 * Converts an OpenAPI 3.0/3.1 or Swagger 2.0 document (JSON or YAML text) into MCP tool
 * YAML: one tool per operation. Never fetches anything: external `$ref`s are refused.
 * Throws {@link OpenApiError} (with `code` and `location`) for documents it cannot convert.
 */
export async function convertOpenApi(content: string, opts: ConvertOptions = {}): Promise<ConvertResult> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  try {
    const root = await parseText(content, maxBytes);
    return convertDocument(root, opts);
  } catch (err) {
    if (err instanceof OpenApiError) throw err;
    if (err instanceof RangeError) throw new OpenApiError('OPENAPI_INVALID', 'document is nested too deeply to convert');
    throw new OpenApiError('OPENAPI_INVALID', `document could not be converted: ${(err as Error).message}`);
  }
}
