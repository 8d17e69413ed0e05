import type { JsonSchema } from '../types.js';
import { primaryType, type SchemaValues } from '../schema-args.js';

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
