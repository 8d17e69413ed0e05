import type { JsonSchema } from './types.js';

/** Form state: one text per argument (checkbox values as 'true'/'false'). */
export type SchemaValues = Record<string, string>;

/** The JSON type a form control is chosen by (the first non-null one; `string` when unknown). */
export function primaryType(s: JsonSchema): string {
  const t = Array.isArray(s.type) ? s.type.find((x) => x !== 'null') : s.type;
  return t ?? (s.properties ? 'object' : 'string');
}

/** Initial form texts from the schema defaults. */
export function initialValues(schema?: JsonSchema): SchemaValues {
  const values: SchemaValues = {};
  for (const [name, p] of Object.entries(schema?.properties ?? {})) {
    const t = primaryType(p);
    if (p.default !== undefined) values[name] = typeof p.default === 'string' ? p.default : JSON.stringify(p.default);
    else values[name] = t === 'boolean' ? 'false' : '';
  }
  return values;
}

/**
 * Converts the form texts into tool arguments following the schema's types; blank optional fields are left out.
 * Returns per-field problems instead of guessing when a value does not fit its type.
 */
export function toArguments(schema: JsonSchema | undefined, values: SchemaValues): { args: Record<string, unknown>; problems: Record<string, string> } {
  const args: Record<string, unknown> = {};
  const problems: Record<string, string> = {};
  const required = new Set(schema?.required ?? []);
  for (const [name, p] of Object.entries(schema?.properties ?? {})) {
    const raw = values[name] ?? '';
    const t = primaryType(p);
    if (t === 'boolean') {
      if (raw === 'true' || required.has(name)) args[name] = raw === 'true';
      continue;
    }
    if (raw.trim() === '') {
      if (required.has(name)) problems[name] = 'Required';
      continue;
    }
    if (t === 'number' || t === 'integer') {
      const n = Number(raw);
      if (!Number.isFinite(n) || (t === 'integer' && !Number.isInteger(n))) problems[name] = `Expected ${t === 'integer' ? 'an integer' : 'a number'}`;
      else args[name] = n;
    } else if (t === 'object' || t === 'array') {
      try {
        args[name] = JSON.parse(raw);
      } catch {
        problems[name] = `Expected JSON (${t})`;
      }
    } else {
      args[name] = raw;
    }
  }
  return { args, problems };
}

