/**
 * Template engine compatible with Higress's gjson_template: Go text/template syntax over raw JSON
 * data with GJSON field access, Sprig v3 functions, and getSocketIP/getRealIP.
 */
import type { ArgNode, ListNode, Node, PipeNode } from './ast.js';
import { EngineFault, SourceMap, TemplateError } from './errors.js';
import { Execution } from './exec.js';
import { parseTemplate } from './parser.js';
import { compileGoRegex } from './sprig/misc.js';
import { JsonNode } from './value.js';

export { TemplateError } from './errors.js';
/** The stable error codes a TemplateError carries. */
export type { TemplateErrorCode } from './errors.js';

/** Request facts used by getSocketIP and getRealIP (x-forwarded-for first, then x-real-ip, then remoteAddress). */
export interface RenderContext {
  remoteAddress?: string;
  headers?: Record<string, string | string[] | undefined>;
}

/** Compilation options; limits apply to every render of the compiled template. */
export interface CompileOptions {
  /** Template name used in error messages (default "template"). */
  name?: string;
  /** Largest output one render may produce (default 1 MiB). */
  maxOutputBytes?: number;
  /** Deepest nesting of {{template}} calls (default 100). */
  maxDepth?: number;
  /** Most evaluation steps one render may take (default 1e6). */
  maxSteps?: number;
}

/** A template compiled once and rendered many times. */
export interface CompiledTemplate {
  /** The template text as given. */
  readonly source: string;
  /**
   * Renders the template with `json` (a JSON object or array, as text) as dot. Throws TemplateError
   * (TEMPLATE_EXEC or TEMPLATE_LIMIT) when execution fails.
   */
  render(json: string, ctx?: RenderContext): string;
}

const DEFAULTS = { maxOutputBytes: 1 << 20, maxDepth: 100, maxSteps: 1_000_000 };

function toTemplateError(e: unknown, map: SourceMap, name: string): TemplateError {
  if (e instanceof TemplateError) return e;
  if (e instanceof EngineFault) {
    const [line, col] = map.locate(e.pos);
    return new TemplateError(e.code, e.message, name, line, col);
  }
  if (e instanceof RangeError && /call stack/i.test(e.message)) {
    return new TemplateError('TEMPLATE_LIMIT', 'template nesting too deep', name, 1, 1);
  }
  const msg = e instanceof Error ? e.message : String(e);
  return new TemplateError('TEMPLATE_EXEC', `internal error: ${msg}`, name, 1, 1);
}

/** Pre-compiles regular expressions given as literal patterns so renders never compile them. */
function warmRegexes(templates: Map<string, ListNode>): void {
  const visitArgs = (args: ArgNode[]): void => {
    const first = args[0];
    if (first.kind === 'identifier' && /^(must)?[rR]egex(?!QuoteMeta)/.test(first.name) && args[1]?.kind === 'string') {
      try {
        compileGoRegex(args[1].text);
      } catch {
        /* reported at render time, as Go does */
      }
    }
    for (const a of args) if (a.kind === 'pipe') visitPipe(a);
  };
  const visitPipe = (p: PipeNode | null): void => {
    if (p) for (const c of p.cmds) visitArgs(c.args);
  };
  const visitList = (l: ListNode | null): void => {
    if (l) for (const n of l.nodes) visitNode(n);
  };
  const visitNode = (n: Node): void => {
    switch (n.kind) {
      case 'action':
        visitPipe(n.pipe);
        break;
      case 'if':
      case 'with':
      case 'range':
        visitPipe(n.pipe);
        visitList(n.list);
        visitList(n.elseList);
        break;
      case 'template':
        visitPipe(n.pipe);
        break;
    }
  };
  for (const l of templates.values()) visitList(l);
}

/**
 * Compiles a template. Throws TemplateError (TEMPLATE_SYNTAX or TEMPLATE_UNKNOWN_FUNCTION, with a
 * 1-based line and column) for syntax errors, unknown functions and wrong argument counts.
 */
export function compileTemplate(source: string, opts: CompileOptions = {}): CompiledTemplate {
  const name = opts.name ?? 'template';
  const limits = {
    maxOutputBytes: opts.maxOutputBytes ?? DEFAULTS.maxOutputBytes,
    maxDepth: opts.maxDepth ?? DEFAULTS.maxDepth,
    maxSteps: opts.maxSteps ?? DEFAULTS.maxSteps,
  };
  const map = new SourceMap(source);
  let parsed: ReturnType<typeof parseTemplate>;
  try {
    parsed = parseTemplate(source, name);
  } catch (e) {
    throw toTemplateError(e, map, name);
  }
  const { root, templates } = parsed;
  warmRegexes(templates);
  // Templates that are plain text need no execution at all.
  const constant = root.nodes.every((n) => n.kind === 'text') ? root.nodes.map((n) => (n.kind === 'text' ? n.text : '')).join('') : null;

  return {
    source,
    render(json: string, ctx?: RenderContext): string {
      const dataRoot = rootValue(json);
      if (!dataRoot) throw new TemplateError('TEMPLATE_EXEC', 'data must be a valid JSON object or array', name, 1, 1);
      if (constant !== null) {
        if (constant.length > limits.maxOutputBytes) throw new TemplateError('TEMPLATE_LIMIT', `output exceeds ${limits.maxOutputBytes} bytes`, name, 1, 1);
        return constant;
      }
      try {
        return new Execution(templates, limits, ctx, dataRoot).run(dataRoot, root);
      } catch (e) {
        throw toTemplateError(e, map, name);
      }
    },
  };
}

/** The document root as dot; null unless it is a JSON object or array (as the fork requires). */
function rootValue(json: string): JsonNode | null {
  let i = 0;
  while (i < json.length && (json[i] === ' ' || json[i] === '\t' || json[i] === '\n' || json[i] === '\r')) i++;
  const c = json[i];
  if (c !== '{' && c !== '[') return null;
  // Like gjson.Parse, the raw text runs to the end of the input.
  return new JsonNode(i === 0 ? json : json.slice(i), c === '[');
}
