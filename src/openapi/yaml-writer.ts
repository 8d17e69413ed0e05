/**
 * A small block-style YAML writer for plain JSON data. The `yaml` package's stringify spent
 * most of the time on large documents (stripe.com: 6 s of 7); this writes the same shape
 * (Higress-style block maps and sequences, `|` literals for multi-line text) in one pass.
 */

const RESERVED = new Set(['true', 'false', 'null', 'yes', 'no', 'on', 'off', 'y', 'n', '~']);
const PLAIN_START = /^[A-Za-z_$/]/;
// Characters that force quoting anywhere: control chars, separators YAML treats as line breaks, BOM, surrogates.
const UNSAFE_CHARS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\ufeff\ud800-\udfff]/;
const UNSAFE_BLOCK_CHARS = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\ufeff\ud800-\udfff]/;

function isPlain(s: string): boolean {
  return (
    s.length > 0 &&
    s.length <= 1024 &&
    PLAIN_START.test(s) &&
    !UNSAFE_CHARS.test(s) &&
    s.trim() === s &&
    !s.includes(': ') &&
    !s.includes(' #') &&
    !s.endsWith(':') &&
    !RESERVED.has(s.toLowerCase())
  );
}

function scalar(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (typeof v === 'string') return isPlain(v) ? v : JSON.stringify(v);
  if (typeof v === 'number') return Number.isFinite(v) ? String(v) : v > 0 ? '.inf' : v < 0 ? '-.inf' : '.nan';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  // Nested arrays and other non-block values are written in JSON flow style, which is valid YAML.
  return JSON.stringify(v) ?? 'null';
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function blockLiteral(s: string, pad: string, out: string[]): boolean {
  if (!s.includes('\n') || s.includes('\r') || UNSAFE_BLOCK_CHARS.test(s) || /^\n*[ \t]/.test(s) || /^\n*$/.test(s)) return false;
  const trailing = s.length - s.replace(/\n+$/, '').length;
  const header = trailing === 0 ? '|-' : trailing === 1 ? '|' : '|+';
  out.push(` ${header}\n`);
  const lines = s.split('\n');
  if (trailing > 0) lines.pop();
  for (const line of lines) out.push(line === '' ? '\n' : `${pad}${line}\n`);
  return true;
}

function writeValue(v: unknown, pad: string, out: string[]): void {
  // Called after "key:" or "-": writes the rest of the line and any nested block.
  if (Array.isArray(v)) {
    if (v.length === 0) out.push(' []\n');
    else {
      out.push('\n');
      writeSeq(v, pad, out);
    }
  } else if (isMap(v)) {
    const keys = Object.keys(v).filter((k) => v[k] !== undefined);
    if (keys.length === 0) out.push(' {}\n');
    else {
      out.push('\n');
      writeMap(v, keys, pad, out);
    }
  } else if (typeof v === 'string' && blockLiteral(v, pad, out)) {
    // written as a literal block
  } else {
    out.push(` ${scalar(v)}\n`);
  }
}

function writeMap(m: Record<string, unknown>, keys: string[], pad: string, out: string[], firstPrefix?: string): void {
  const inner = `${pad}  `;
  keys.forEach((k, i) => {
    out.push(i === 0 && firstPrefix !== undefined ? firstPrefix : pad, `${scalar(k)}:`);
    writeValue(m[k], inner, out);
  });
}

function writeSeq(a: unknown[], pad: string, out: string[]): void {
  const inner = `${pad}  `;
  for (const item of a) {
    if (isMap(item)) {
      const keys = Object.keys(item).filter((k) => item[k] !== undefined);
      if (keys.length === 0) out.push(`${pad}- {}\n`);
      else writeMap(item, keys, inner, out, `${pad}- `);
    } else if (Array.isArray(item)) {
      out.push(`${pad}- ${JSON.stringify(item)}\n`);
    } else {
      out.push(`${pad}-`);
      writeValue(item, inner, out);
    }
  }
}

/** Serialises JSON-compatible data as block-style YAML. */
export function toYaml(value: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of Object.keys(value)) {
    const v = value[key];
    if (v === undefined) continue;
    if (Array.isArray(v) && v.length > 0) {
      // Top-level lists (the tools) are joined item by item to keep each join small.
      parts.push(`${scalar(key)}:\n`);
      for (const item of v) {
        const out: string[] = [];
        writeSeq([item], '  ', out);
        parts.push(out.join(''));
      }
    } else {
      const out: string[] = [];
      writeMap({ [key]: v }, [key], '', out);
      parts.push(out.join(''));
    }
  }
  return parts.join('');
}
