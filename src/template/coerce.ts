/**
 * Conversions between engine values and the Go parameter types Sprig functions declare, with the
 * same failures the fork's reflect-based call produces.
 */
import { goTypeName } from './fmt.js';
import { GoTime, JsonNode, JsonNumber, displayString, roundF6, type Value } from './value.js';

/** Failure inside a function; the executor prefixes the function name and the position. */
export class FuncError extends Error {}

/** Failure because a configured limit was reached. */
export class LimitError extends Error {}

/** Converts a value to the Go value the fork passes to a function (numbers become int or float64). */
export function toGoArg(v: Value): Value {
  if (v === undefined) return null;
  if (v instanceof JsonNumber) {
    const n = v.num;
    if (Number.isInteger(n) && Math.abs(n) < 2 ** 63) return isIntText(v.raw) ? BigInt(v.raw) : BigInt(n);
    return n;
  }
  if (typeof v === 'number') {
    const r = roundF6(v);
    if (Number.isInteger(r) && Math.abs(r) < 2 ** 63) return BigInt(r);
    return r;
  }
  return v;
}

function isIntText(raw: string): boolean {
  return /^-?\d{1,19}$/.test(raw) && BigInt(raw) === BigInt.asIntN(64, BigInt(raw));
}

function callTypeError(v: Value, want: string): FuncError {
  const got = v === null || v === undefined ? 'interface {}' : goTypeName(v);
  return new FuncError(`reflect: Call using ${got} as type ${want}`);
}

/** A Go `string` parameter. JSON arrays/objects arrive as their raw text, as in the fork. */
export function argString(v: Value): string {
  if (typeof v === 'string') return v;
  if (v instanceof JsonNode) return v.raw;
  // Lists, dicts and times reach the fork as their fmt.Sprint text, which string parameters accept.
  if (Array.isArray(v) || v instanceof Map || v instanceof GoTime) return displayString(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  throw callTypeError(v, 'string');
}

/** A Go `int` parameter. */
export function argInt(v: Value): number {
  if (typeof v === 'bigint') return Number(v);
  throw callTypeError(v, 'int');
}

/** A Go `bool` parameter. */
export function argBool(v: Value): boolean {
  if (typeof v === 'boolean') return v;
  throw callTypeError(v, 'bool');
}

/** A Go `time.Time` parameter. */
export function argTime(v: Value): GoTime {
  if (v instanceof GoTime) return v;
  throw callTypeError(v, 'time.Time');
}

/** A Go `map[string]interface{}` parameter; JSON objects are accepted (a copy, since Sprig mutates). */
export function argDict(v: Value): Map<string, Value> {
  if (v instanceof Map) return v;
  if (v instanceof JsonNode && !v.isArray) {
    const m = new Map<string, Value>();
    for (const [k, x] of v.entries()) m.set(k, toGoArg(x));
    return m;
  }
  throw callTypeError(v, 'map[string]interface {}');
}

/** A slice argument seen through reflect; null when the value is not a slice. */
export function asList(v: Value): Value[] | null {
  if (Array.isArray(v)) return v;
  if (v instanceof JsonNode && v.isArray) return v.items().map(toGoArg);
  if (v instanceof Uint8Array) return Array.from(v, (b) => BigInt(b));
  return null;
}

/** reflect Kind name of a value, for Sprig's error messages. */
export function goKind(v: Value): string {
  if (v === null || v === undefined) return 'invalid';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'boolean') return 'bool';
  if (typeof v === 'bigint') return 'int';
  if (typeof v === 'number') return 'float64';
  if (v instanceof JsonNumber) return Number.isInteger(v.num) ? 'int' : 'float64';
  if (v instanceof JsonNode) return v.isArray ? 'slice' : 'map';
  if (Array.isArray(v) || v instanceof Uint8Array) return 'slice';
  if (v instanceof Map) return 'map';
  return 'struct';
}

/** Sprig's strval: fmt %v, with strings, bytes and Stringers as themselves. */
export function strval(v: Value): string {
  if (typeof v === 'string') return v;
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return displayString(v);
}

/** Sprig's empty(): the zero value of its type, or nil. */
export function isEmpty(v: Value): boolean {
  if (v === null || v === undefined) return true;
  switch (typeof v) {
    case 'string':
      return v.length === 0;
    case 'boolean':
      return !v;
    case 'bigint':
      return v === 0n;
    case 'number':
      return v === 0;
  }
  if (v instanceof JsonNumber) return v.num === 0;
  if (v instanceof JsonNode) return !v.truthy();
  if (Array.isArray(v)) return v.length === 0;
  if (v instanceof Map) return v.size === 0;
  if (v instanceof Uint8Array) return v.length === 0;
  return false;
}

/** cast.ToInt64E semantics (errors become 0), as a 64-bit bigint. */
export function toInt64(v: Value): bigint {
  v = toGoArg(v);
  if (typeof v === 'bigint') return v;
  // int64(f) on amd64: NaN and out-of-range floats become the minimum int64.
  if (typeof v === 'number') return Number.isNaN(v) || v >= 2 ** 63 || v < -(2 ** 63) ? -(2n ** 63n) : BigInt(Math.trunc(v));
  if (typeof v === 'boolean') return v ? 1n : 0n;
  if (typeof v === 'string') {
    let s = v;
    // cast trims a zero decimal part ("1.0" -> "1") before parsing with base 0.
    const m = /^([^.]*)\.0*$/.exec(s);
    if (m && m[1] !== '') s = m[1];
    const r = parseIntBase0(s);
    return r ?? 0n;
  }
  return 0n;
}

/** strconv.ParseInt(s, 0, 64); null on error. */
export function parseIntBase0(s: string): bigint | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*|0[bB][01](?:_?[01])*|0[oO][0-7](?:_?[0-7])*|0(?:_?[0-7])*|[1-9](?:_?\d)*)$/.exec(s);
  if (!m) return null;
  let body = m[2].replace(/_/g, '');
  if (/^0[0-7]+$/.test(body)) body = '0o' + body.slice(1);
  let n = BigInt(body);
  if (m[1] === '-') n = -n;
  if (n !== BigInt.asIntN(64, n)) return null;
  return n;
}

/** cast.ToFloat64E semantics (errors become 0). */
export function toFloat64(v: Value): number {
  v = toGoArg(v);
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const f = parseGoFloatString(v);
    return f ?? 0;
  }
  return 0;
}

/** strconv.ParseFloat(s, 64) for decimal and special forms; null on error. */
export function parseGoFloatString(s: string): number | null {
  if (/^[+-]?(inf|infinity)$/i.test(s)) return s.startsWith('-') ? -Infinity : Infinity;
  if (/^[+-]?nan$/i.test(s)) return NaN;
  if (/^[+-]?(\d(_?\d)*\.?(\d(_?\d)*)?|\.\d(_?\d)*)([eE][+-]?\d+)?$/.test(s)) return Number(s.replace(/_/g, ''));
  if (/^[+-]?0[xX]/.test(s)) {
    // Hex floats need a p exponent in strconv.ParseFloat.
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
    if (!m) return null;
    const mant = parseInt((m[2] || '0') + (m[3] ?? ''), 16) / 16 ** (m[3]?.length ?? 0);
    const v = mant * 2 ** Number(m[4] ?? 0);
    return m[1] === '-' ? -v : v;
  }
  return null;
}

/** Go's reflect.DeepEqual over engine values (ints of any origin compare by value). */
export function deepEqual(a: Value, b: Value): boolean {
  a = toGoArg(a);
  b = toGoArg(b);
  if (a === b) return true;
  if (a === null || b === null || a === undefined || b === undefined) return a === b;
  if (typeof a !== typeof b) return false;
  if (typeof a === 'number') return a === b;
  if (a instanceof JsonNode) return b instanceof JsonNode && a.raw === b.raw;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  if (a instanceof Map) {
    if (!(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, x] of a) if (!b.has(k) || !deepEqual(x, b.get(k))) return false;
    return true;
  }
  if (a instanceof GoTime) return b instanceof GoTime && a.unixNanos === b.unixNanos && a.offset === b.offset;
  if (a instanceof Uint8Array) return b instanceof Uint8Array && Buffer.from(a).equals(Buffer.from(b));
  return false;
}
