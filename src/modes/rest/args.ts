import type { ToolArg } from '../../config/tool-config.js';

/**
 * Keeps only declared arguments and converts strings to the declared type the way Higress does
 * ("true" -> true, "42" -> 42 for integer/number); anything else passes unchanged for validation.
 */
export function coerceArgs(specs: ToolArg[], raw: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const spec of specs) {
    if (!Object.prototype.hasOwnProperty.call(raw, spec.name)) continue;
    const v = raw[spec.name];
    switch (spec.type) {
      case 'boolean':
        out[spec.name] = v === 'true' ? true : v === 'false' ? false : v;
        break;
      case 'integer':
        if (typeof v === 'number' && Number.isFinite(v)) out[spec.name] = Math.trunc(v);
        else if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) out[spec.name] = Number(v.trim());
        else out[spec.name] = v;
        break;
      case 'number':
        if (typeof v === 'string' && v.trim() !== '' && Number.isFinite(Number(v))) out[spec.name] = Number(v);
        else out[spec.name] = v;
        break;
      default:
        out[spec.name] = v;
    }
  }
  return out;
}

/** An argument as it appears in a query string, header, path or form field. */
export function stringifyArg(v: unknown): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (v === null || v === undefined) return '';
  return JSON.stringify(v);
}

/**
 * JSON as Go's encoding/json writes a map, which is how Higress builds template data: object keys
 * sorted (at every depth) and `<`, `>`, `&` escaped. Templates that print `.args` whole see the same text.
 */
export function goJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v === null || typeof v !== 'object') return v;
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(v as Record<string, unknown>).sort()) out[k] = sortKeys((v as Record<string, unknown>)[k]);
  return out;
}
