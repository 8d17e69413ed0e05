import fs from 'node:fs';
import { LineCounter, parseDocument, isScalar, type Document, type Node } from 'yaml';
import { stringify } from 'yaml';
import { MAX_NESTING_DEPTH, nestingDepth } from '../openapi/nesting.js';
import type { GatewayConfig } from '../config/resources.js';
import { Errors, type ErrorDetail } from '../errors.js';
import { checkReferences, checkResource, type ResourceService, type Specs } from './resources.js';
import { RESOURCE_KINDS, type ResourceKind } from '../store/types.js';
import { FILE_KEYS } from '../config/schemas.js';
import type { Logger } from '../observe/logger.js';

const TOP_KEYS = new Set(Object.values(FILE_KEYS));

function nodePos(doc: Document, lines: LineCounter, path: Array<string | number>): { line?: number; column?: number; node?: Node } {
  let p = path;
  while (p.length > 0) {
    const node = doc.getIn(p, true) as Node | undefined;
    if (node && node.range) {
      const pos = lines.linePos(node.range[0]);
      return { line: pos.line, column: pos.col, node };
    }
    p = p.slice(0, -1);
  }
  return {};
}

/** Maps a detail's dotted path (e.g. mcpServers.0.tools) to its place in the file. */
function locate(doc: Document, lines: LineCounter, detail: ErrorDetail): ErrorDetail {
  if (!detail.path) return detail;
  const [head] = detail.path.split(':');
  const path = head.trim().split('.').filter(Boolean).map((s) => (/^\d+$/.test(s) ? Number(s) : s));
  const pos = nodePos(doc, lines, path);
  if (pos.line === undefined) return detail;
  // An error inside an embedded tool YAML has a line relative to that text.
  if (detail.line !== undefined && path[path.length - 1] === 'tools' && isScalar(pos.node)) {
    const block = pos.node.type === 'BLOCK_LITERAL' || pos.node.type === 'BLOCK_FOLDED';
    return { ...detail, line: pos.line + detail.line - (block ? 0 : 1), column: detail.column };
  }
  return { ...detail, line: pos.line, column: pos.column };
}

/** Parses and validates a declarative file (YAML or JSON); errors carry line and column. */
export function parseDeclarative(text: string, fileName = 'config'): Partial<GatewayConfig> {
  if (nestingDepth(text, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
    throw Errors.validation(`${fileName}:1:1: the file nests deeper than ${MAX_NESTING_DEPTH} levels`, [{ line: 1, column: 1, code: 'TOO_DEEP', message: `nesting deeper than ${MAX_NESTING_DEPTH} levels` }]);
  }
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length) {
    const details = doc.errors.map((e) => ({ code: 'YAML_SYNTAX', message: e.message.split('\n')[0], line: (e.linePos?.[0] ?? lines.linePos(e.pos[0])).line, column: (e.linePos?.[0] ?? lines.linePos(e.pos[0])).col }));
    throw Errors.validation(`${fileName}:${details[0].line ?? 1}:${details[0].column ?? 1}: YAML syntax error: ${details[0].message}`, details);
  }
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    // The yaml library bounds alias expansion (billion laughs) by throwing.
    throw Errors.validation(`${fileName}:1:1: YAML could not be read: ${(err as Error).message}`, [{ line: 1, column: 1, code: 'YAML_ALIASES', message: (err as Error).message }]);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw Errors.validation(`${fileName}: the file must be a map with services, registries, mcpServers and consumers`, [{ line: 1, column: 1, code: 'NOT_A_MAP', message: 'expected a map' }]);
  }
  const details: ErrorDetail[] = [];
  for (const key of Object.keys(value)) {
    if (!TOP_KEYS.has(key)) details.push(locate(doc, lines, { path: key, code: 'UNKNOWN_FIELD', message: `unknown top-level key "${key}" (expected ${[...TOP_KEYS].join(', ')})` }));
  }
  const v = value as Record<string, unknown>;
  const specs = {} as Specs;
  for (const kind of RESOURCE_KINDS) {
    const key = FILE_KEYS[kind];
    const list = v[key];
    if (list === undefined || list === null) {
      specs[kind] = [];
      continue;
    }
    if (!Array.isArray(list)) {
      details.push(locate(doc, lines, { path: key, code: 'INVALID_VALUE', message: `"${key}" must be a list` }));
      specs[kind] = [];
      continue;
    }
    specs[kind] = list as Array<Record<string, unknown>>;
    list.forEach((item, i) => {
      for (const d of checkResource(kind as ResourceKind, item)) {
        details.push(locate(doc, lines, { ...d, path: `${key}.${i}${d.path ? `.${d.path.split(':')[0]}` : ''}`, message: d.message }));
      }
    });
  }
  if (details.length === 0) {
    const byName = (kind: ResourceKind, name: string) => specs[kind].findIndex((s) => s.name === name);
    for (const d of checkReferences(specs)) {
      // Reference paths name resources; turn them into list indexes for the file position.
      const [key, name, ...rest] = (d.path ?? '').split('.');
      const kind = RESOURCE_KINDS.find((k) => FILE_KEYS[k] === key);
      const index = kind ? byName(kind, name) : -1;
      details.push(locate(doc, lines, { ...d, path: index >= 0 ? [key, index, ...rest].join('.') : d.path }));
    }
  }
  if (details.length) {
    const first = details[0];
    throw Errors.validation(`${fileName}:${first.line ?? 1}:${first.column ?? 1}: ${first.message}`, details);
  }
  return value as Partial<GatewayConfig>;
}

/** Renders a configuration as the declarative YAML `export` prints. */
export function renderDeclarative(config: GatewayConfig): string {
  return stringify(config, { lineWidth: 0, blockQuote: 'literal' });
}

/**
 * Applies MCPGW_CONFIG at start and again whenever the file changes; a bad edit is logged with its
 * line and column and the previous configuration stays in force.
 */
export class ConfigFileWatcher {
  private watcher?: fs.FSWatcher;
  private timer?: NodeJS.Timeout;
  private lastText?: string;
  private poller?: NodeJS.Timeout;

  constructor(
    private readonly file: string,
    private readonly resources: ResourceService,
    private readonly log: Logger,
  ) {}

  /** Applies the file once; throws on errors (the first start must fail loudly). */
  async applyNow(): Promise<void> {
    const text = fs.readFileSync(this.file, 'utf8');
    this.lastText = text;
    const config = parseDeclarative(text, this.file);
    const counts = await this.resources.apply(config, { actor: `file:${this.file}`, source: `file:${this.file}` });
    this.log.info({ file: this.file, ...counts }, 'declarative configuration applied');
  }

  start(): void {
    const schedule = () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reapply(), 100);
    };
    try {
      this.watcher = fs.watch(this.file, schedule);
      this.watcher.on('error', () => undefined);
    } catch {
      // Some file systems cannot be watched; the poller below still sees changes.
    }
    // Editors replace files (new inode), which fs.watch may miss: poll as a safety net.
    this.poller = setInterval(schedule, 2000);
    this.poller.unref();
  }

  private async reapply(): Promise<void> {
    let text: string;
    try {
      text = fs.readFileSync(this.file, 'utf8');
    } catch (err) {
      this.log.warn({ file: this.file, err: (err as Error).message }, 'declarative file unreadable; keeping the current configuration');
      return;
    }
    if (text === this.lastText) return;
    this.lastText = text;
    try {
      const config = parseDeclarative(text, this.file);
      const counts = await this.resources.apply(config, { actor: `file:${this.file}`, source: `file:${this.file}` });
      this.log.info({ file: this.file, ...counts }, 'declarative configuration re-applied');
    } catch (err) {
      const e = err as Error & { details?: unknown };
      this.log.error({ file: this.file, error: e.message, details: e.details }, 'declarative file rejected; keeping the current configuration');
    }
  }

  stop(): void {
    this.watcher?.close();
    clearTimeout(this.timer);
    clearInterval(this.poller);
  }
}
