import type { JsonSchema } from '../types';

/** Form state: one text per argument (checkbox values as 'true'/'false'). */
export type SchemaValues = Record<string, string>;

function primaryType(s: JsonSchema): string {
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

/** Inputs generated from a tool's inputSchema. */
export function SchemaForm(props: { schema?: JsonSchema; values: SchemaValues; problems: Record<string, string>; onChange: (v: SchemaValues) => void }) {
  const entries = Object.entries(props.schema?.properties ?? {});
  const required = new Set(props.schema?.required ?? []);
  if (entries.length === 0) return <p className="muted">This tool takes no arguments.</p>;
  const set = (name: string, value: string) => props.onChange({ ...props.values, [name]: value });
  return (
    <div className="schema-form">
      {entries.map(([name, p]) => {
        const t = primaryType(p);
        const id = `arg-${name}`;
        const value = props.values[name] ?? '';
        return (
          <div className={`field${props.problems[name] ? ' has-error' : ''}`} key={name}>
            <label htmlFor={id}>
              {name}
              {required.has(name) && <span className="required" aria-label="required"> *</span>} <span className="muted">({t})</span>
            </label>
            {p.enum ? (
              <select id={id} value={value} onChange={(e) => set(name, e.target.value)}>
                <option value="">—</option>
                {p.enum.map((v) => (
                  <option key={String(v)} value={String(v)}>
                    {String(v)}
                  </option>
                ))}
              </select>
            ) : t === 'boolean' ? (
              <input id={id} type="checkbox" checked={value === 'true'} onChange={(e) => set(name, e.target.checked ? 'true' : 'false')} />
            ) : t === 'object' || t === 'array' ? (
              <textarea id={id} rows={3} value={value} placeholder={t === 'array' ? '[ ]' : '{ }'} onChange={(e) => set(name, e.target.value)} />
            ) : (
              <input id={id} type={t === 'number' || t === 'integer' ? 'number' : 'text'} value={value} onChange={(e) => set(name, e.target.value)} />
            )}
            {p.description && <div className="hint">{p.description}</div>}
            {props.problems[name] && (
              <div className="field-error" role="alert">
                {props.problems[name]}
              </div>
            )}
          </div>
        );
      })}
    </div>
  );
}
