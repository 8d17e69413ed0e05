import type { ConvertWarning } from './errors.js';

const MAX_NAME = 128;
const INVALID_RUN = /[^A-Za-z0-9_.-]+/g;

function shortHash(text: string): string {
  // FNV-1a keeps truncated names distinct without pulling in crypto.
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

function fit(name: string, full: string): string {
  return name.length <= MAX_NAME ? name : `${name.slice(0, MAX_NAME - 9)}_${shortHash(full)}`;
}

/** Gives each operation a valid (`[A-Za-z0-9_.-]{1,128}`) and unique MCP tool name. */
export class ToolNamer {
  private readonly used = new Set<string>();
  private readonly prefix: string;

  constructor(prefix = '') {
    this.prefix = prefix.replace(INVALID_RUN, '_');
  }

  /** operationId when present, else method + path as Higress does (`get_users_id`). */
  name(operationId: string | undefined, method: string, path: string, warn: (w: ConvertWarning) => void, operation: string): string {
    let base: string;
    if (operationId) {
      base = operationId.replace(INVALID_RUN, '_');
      if (base !== operationId) {
        warn({ code: 'TOOL_NAME_CHANGED', message: `operationId "${operationId}" is not a valid MCP tool name; using "${base}"`, operation });
      }
    } else {
      base = `${method}${path.replace(/\//g, '_').replace(/[{}]/g, '')}`.replace(INVALID_RUN, '_').replace(/_+$/, '');
    }
    if (base === '' || base === '_') base = `${method}_root`;
    const full = this.prefix + base;
    let name = fit(full, full);
    if (this.used.has(name)) {
      let n = 2;
      while (this.used.has(fit(`${full}_${n}`, `${full}_${n}`))) n++;
      const renamed = fit(`${full}_${n}`, `${full}_${n}`);
      warn({ code: 'TOOL_NAME_DUPLICATE', message: `tool name "${name}" is already taken; using "${renamed}"`, operation });
      name = renamed;
    }
    this.used.add(name);
    return name;
  }
}
