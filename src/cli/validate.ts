import { parseDocument } from 'yaml';
import { parseToolConfig } from '../config/tool-config.js';
import { MAX_NESTING_DEPTH, nestingDepth } from '../openapi/nesting.js';
import { parseDeclarative } from '../control/declarative.js';
import { GatewayError } from '../errors.js';
import { readInput } from './input.js';

/** Tool YAML has `server`/`tools` at the top; anything else is read as a declarative file. */
function looksLikeToolYaml(text: string): boolean {
  if (nestingDepth(text, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) return /^(server|tools)\s*:/m.test(text);
  const doc = parseDocument(text);
  const js = doc.errors.length ? undefined : (doc.toJS({ maxAliasCount: 100 }) as unknown);
  if (js && typeof js === 'object' && !Array.isArray(js)) return 'server' in js || 'tools' in js;
  return /^(server|tools)\s*:/m.test(text);
}

/** `validate FILE`: prints FILE:LINE:COL: CODE message for every problem; exit 1 when any. */
export async function runValidate(file: string): Promise<number> {
  const text = readInput(file);
  const name = file === '-' ? 'stdin' : file;
  if (looksLikeToolYaml(text)) {
    const result = parseToolConfig(text);
    if (!result.ok) {
      for (const e of result.errors) process.stderr.write(`${name}:${e.line ?? 1}:${e.column ?? 1}: ${e.code} ${e.message}\n`);
      return 1;
    }
    for (const w of result.warnings) process.stderr.write(`${name}:${w.line ?? 1}:${w.column ?? 1}: warning ${w.code} ${w.message}\n`);
    process.stdout.write(`${name}: valid tool configuration, ${result.config.tools.length} tool(s)\n`);
    return 0;
  }
  try {
    const config = parseDeclarative(text, name);
    const counts = [`${config.services?.length ?? 0} service(s)`, `${config.registries?.length ?? 0} registr(y/ies)`, `${config.mcpServers?.length ?? 0} MCP server(s)`, `${config.consumers?.length ?? 0} consumer(s)`];
    process.stdout.write(`${name}: valid declarative configuration: ${counts.join(', ')}\n`);
    return 0;
  } catch (err) {
    if (!(err instanceof GatewayError)) throw err;
    const details = err.details.length ? err.details : [{ message: err.message }];
    for (const d of details) process.stderr.write(`${name}:${d.line ?? 1}:${d.column ?? 1}: ${d.code ?? err.code} ${d.path ? `${d.path}: ` : ''}${d.message}\n`);
    return 1;
  }
}
