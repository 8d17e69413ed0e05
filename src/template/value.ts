/**
 * The engine's value model: Go-like values as the fork produces them.
 *
 * | Go / fork                         | here                                  |
 * |-----------------------------------|---------------------------------------|
 * | missing gjson result (no value)   | `undefined`                           |
 * | JSON null, template `nil`         | `null`                                |
 * | bool                              | `boolean`                             |
 * | string                            | `string`                              |
 * | int, int64 (function results)     | `bigint` (wrapped to 64 bits)         |
 * | float64 (function results)        | `number`                              |
 * | JSON number from the data         | `JsonNumber` (keeps its text)         |
 * | JSON array/object from the data   | `JsonNode` (keeps its raw text)       |
 * | []interface{}, []string, []int    | `Value[]`                             |
 * | map[string]interface{}            | `Map<string, Value>`                  |
 * | time.Time                         | `GoTime`                              |
 * | []byte                            | `Uint8Array`                          |
 */
import { get as gjsonGet, parse as gjsonParse, type Result } from './gjson/index.js';

/** Any value a pipeline stage can produce (see the table above). */
export type Value =
  | undefined
  | null
  | boolean
  | string
  | bigint
  | number
  | JsonNumber
  | JsonNode
  | Value[]
  | Map<string, Value>
  | GoTime
  | Uint8Array;

/** A number taken from the JSON data; prints as written. */
export class JsonNumber {
  constructor(
    readonly raw: string,
    readonly num: number,
  ) {}
}

/** A JSON array or object taken from the data; prints as its raw JSON. */
export class JsonNode {
  private cachedItems: Value[] | undefined;
  private cachedMap: Map<string, Value> | undefined;
  private cachedPairs: [string, Value][] | undefined;
  constructor(
    readonly raw: string,
    readonly isArray: boolean,
  ) {}

  /** The elements (array) or values (object) as engine values. */
  items(): Value[] {
    if (this.cachedItems) return this.cachedItems;
    const out: Value[] = [];
    gjsonParse(this.raw).forEach((_k, v) => {
      out.push(fromResult(v));
      return true;
    });
    this.cachedItems = out;
    return out;
  }

  /** Members in document order, duplicates included (for arrays, keys are the indexes). */
  pairs(): [string, Value][] {
    if (this.cachedPairs) return this.cachedPairs;
    const out: [string, Value][] = [];
    let i = 0;
    gjsonParse(this.raw).forEach((k, v) => {
      out.push([this.isArray ? String(i++) : k.str, fromResult(v)]);
      return true;
    });
    this.cachedPairs = out;
    return out;
  }

  /** Members by key; with duplicate keys the first wins, as in a GJSON lookup. */
  entries(): Map<string, Value> {
    if (this.cachedMap) return this.cachedMap;
    const m = new Map<string, Value>();
    for (const [k, v] of this.pairs()) if (!m.has(k)) m.set(k, v);
    this.cachedMap = m;
    return m;
  }

  /** Truthiness exactly as the fork tests it: the raw text is not `[]` or `{}`. */
  truthy(): boolean {
    return this.raw !== '' && this.raw !== '[]' && this.raw !== '{}';
  }

  /** GJSON lookup relative to this node. */
  get(path: string): Value {
    return fromResult(gjsonGet(this.raw, path));
  }
}

/** A point in time with a fixed zone, like Go's time.Time (nanosecond precision). */
export class GoTime {
  constructor(
    /** Unix time in nanoseconds. */
    readonly unixNanos: bigint,
    /** Zone offset east of UTC in seconds. */
    readonly offset: number,
    /** Zone abbreviation, e.g. UTC, CST. */
    readonly zoneName: string,
  ) {}

  /** Unix seconds (floor). */
  unixSeconds(): bigint {
    const s = this.unixNanos / 1_000_000_000n;
    return this.unixNanos < 0n && s * 1_000_000_000n !== this.unixNanos ? s - 1n : s;
  }

  /** Nanoseconds within the second, 0..999999999. */
  nanos(): number {
    return Number(this.unixNanos - this.unixSeconds() * 1_000_000_000n);
  }

  /** Whether this is Go's zero time (0001-01-01 00:00:00 UTC). */
  isZero(): boolean {
    return this.unixNanos === ZERO_TIME_NANOS;
  }
}

/** Unix nanoseconds of Go's zero time. */
export const ZERO_TIME_NANOS = -62135596800n * 1_000_000_000n;

/** Converts a gjson Result to an engine value. */
export function fromResult(r: Result): Value {
  switch (r.type) {
    case 'String':
      return r.str;
    case 'Number':
      return new JsonNumber(r.raw, r.num);
    case 'True':
      return true;
    case 'False':
      return false;
    case 'JSON':
      return new JsonNode(r.raw, r.raw.charCodeAt(0) === 0x5b);
    default:
      return r.raw.length === 0 ? undefined : null;
  }
}

/** Looks a GJSON path up in a value; non-JSON values have no fields. */
export function lookup(v: Value, path: string): Value {
  if (v instanceof JsonNode) return v.get(path);
  if (v instanceof Map) {
    // Go-built dicts: walk dotted keys (what an author means by `.a.b` on a dict).
    let cur: Value = v;
    for (const part of path.split('.')) {
      if (cur instanceof Map) cur = cur.get(part);
      else if (cur instanceof JsonNode) cur = cur.get(part);
      else return undefined;
    }
    return cur;
  }
  if (v === undefined) return undefined;
  // Anything else is a scalar (or a Go value the fork holds as text): gjson.Get on its raw text.
  return fromResult(gjsonGet(forkRaw(v), path));
}

/** Truthiness as the fork's isGjsonTrue defines it (Go's rules for values the fork never sees). */
export function truthy(v: Value): boolean {
  if (v === undefined || v === null) return false;
  switch (typeof v) {
    case 'boolean':
      return v;
    case 'string':
      return v.length > 0;
    case 'bigint':
      return v !== 0n;
    case 'number':
      // The fork holds function floats as "%f" text, so tiny values are zero.
      return roundF6(v) !== 0;
  }
  if (v instanceof JsonNumber) return v.num !== 0;
  if (v instanceof JsonNode) return v.truthy();
  if (Array.isArray(v)) return v.length > 0;
  if (v instanceof Map) return v.size > 0;
  if (v instanceof Uint8Array) return v.length > 0;
  return true;
}

/** The kind the fork's gjson.Result would report for the value. */
export type ForkType = 'missing' | 'Null' | 'True' | 'False' | 'Number' | 'String' | 'JSON';

/** The gjson type the fork would give the value. */
export function forkType(v: Value): ForkType {
  if (v === undefined) return 'missing';
  if (v === null) return 'Null';
  if (v === true) return 'True';
  if (v === false) return 'False';
  if (typeof v === 'bigint' || typeof v === 'number' || v instanceof JsonNumber) return 'Number';
  if (v instanceof JsonNode) return 'JSON';
  return 'String';
}

/** Numeric value of a Number-typed value. */
export function forkNum(v: Value): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return roundF6(v);
  if (v instanceof JsonNumber) return v.num;
  return 0;
}

/** gjson Result.String() of the value as the fork holds it. */
export function forkString(v: Value): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatFloatShortF(roundF6(v));
  if (v instanceof JsonNumber) return isPlainInt(v.raw) ? v.raw : formatFloatShortF(v.num);
  if (v instanceof JsonNode) return v.raw;
  return displayString(v);
}

/** strconv.FormatFloat(x, 'f', -1, 64): shortest digits, never an exponent. */
export function formatFloatShortF(x: number): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? 'NaN' : x > 0 ? '+Inf' : '-Inf';
  if (x === 0) return Object.is(x, -0) ? '-0' : '0';
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(x.toExponential())!;
  const digits = m[2] + (m[3] ?? '');
  const dp = Number(m[4]) + 1;
  let out: string;
  if (dp <= 0) out = '0.' + '0'.repeat(-dp) + digits;
  else if (dp >= digits.length) out = digits + '0'.repeat(dp - digits.length);
  else out = digits.slice(0, dp) + '.' + digits.slice(dp);
  return m[1] + out;
}

/** gjson Result.Raw of the value as the fork holds it (strings are Go-quoted). */
export function forkRaw(v: Value): string {
  if (v === undefined) return '';
  if (v === null) return 'null';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatF6(v);
  if (v instanceof JsonNumber) return v.raw;
  if (v instanceof JsonNode) return v.raw;
  if (typeof v === 'string') return goQuote(v);
  return goQuote(displayString(v));
}

/** Text written for `{{ value }}`: the fork's printValue. */
export function printText(v: Value): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  if (v === null) return 'null';
  if (v instanceof JsonNumber) return v.raw;
  if (v instanceof JsonNode) return v.raw;
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatF6(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  return displayString(v);
}

function isPlainInt(raw: string): boolean {
  return /^-?\d+$/.test(raw);
}

/** Go's %f (6 decimals) for any float64, including huge ones. */
export function formatF6(x: number): string {
  return formatFixed(x, 6);
}

const F64 = new DataView(new ArrayBuffer(8));

/** The exact decimal value of |x| (finite): digits * 10^exp10. */
function exactDecimal(x: number): { digits: string; exp10: number } {
  F64.setFloat64(0, Math.abs(x));
  const hi = F64.getUint32(0);
  const lo = F64.getUint32(4);
  const bexp = (hi >>> 20) & 0x7ff;
  let mant = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  let e2: number;
  if (bexp === 0) e2 = -1074;
  else {
    mant |= 1n << 52n;
    e2 = bexp - 1075;
  }
  if (mant === 0n) return { digits: '0', exp10: 0 };
  if (e2 >= 0) return { digits: (mant << BigInt(e2)).toString(), exp10: 0 };
  return { digits: (mant * 5n ** BigInt(-e2)).toString(), exp10: e2 };
}

/** Rounds a digit string to `keep` leading digits, half to even (Go's rule on exact values). */
function roundDigits(d: string, keep: number): { digits: string; carry: boolean } {
  if (keep >= d.length) return { digits: d, carry: false };
  if (keep < 0) return { digits: '', carry: false };
  const head = d.slice(0, keep);
  const rest = d.slice(keep);
  const first = rest.charCodeAt(0) - 48;
  let up = first > 5 || (first === 5 && /[1-9]/.test(rest.slice(1)));
  if (first === 5 && !/[1-9]/.test(rest.slice(1))) up = keep > 0 && (head.charCodeAt(keep - 1) - 48) % 2 === 1;
  if (!up) return { digits: head, carry: false };
  const n = (BigInt(head || '0') + 1n).toString();
  const padded = head.length === 0 ? n : n.padStart(head.length, '0');
  return { digits: padded, carry: padded.length > head.length };
}

/** Go's %.Nf for any float64, rounding the exact binary value half to even. */
export function formatFixed(x: number, prec: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  const { digits, exp10 } = exactDecimal(x);
  // Scale so that the value is intPart.fracPart with exactly `prec` fraction digits after rounding.
  let all: string;
  if (exp10 >= 0) all = digits + '0'.repeat(exp10 + prec);
  else {
    const frac = -exp10;
    const padded = digits.padStart(frac + 1, '0');
    const intLen = padded.length - frac;
    const r = roundDigits(padded, intLen + prec);
    all = r.digits;
  }
  all = all.replace(/^0+(?=\d)/, '');
  if (prec > 0) {
    const p = all.padStart(prec + 1, '0');
    return `${sign}${p.slice(0, p.length - prec)}.${p.slice(p.length - prec)}`;
  }
  return sign + (all || '0');
}

/** Go's %.Ne: mantissa and exponent, rounding the exact value half to even. */
export function formatExp(x: number, prec: number): string {
  if (!Number.isFinite(x)) return formatFloatG(x, -1, false);
  const sign = x < 0 || Object.is(x, -0) ? '-' : '';
  let mant: string;
  let exp: number;
  if (x === 0) {
    mant = '0'.repeat(prec + 1);
    exp = 0;
  } else {
    const { digits, exp10 } = exactDecimal(x);
    const d = digits.replace(/^0+/, '');
    exp = d.length - 1 + exp10;
    const r = roundDigits(d, prec + 1);
    mant = r.digits.padEnd(prec + 1, '0');
    if (r.carry) {
      exp++;
      mant = mant.slice(0, prec + 1);
    }
  }
  return `${sign}${mant[0]}${prec > 0 ? '.' + mant.slice(1) : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
}

/** Rounds a float as the fork's `%f` round trip does. */
export function roundF6(x: number): number {
  if (!Number.isFinite(x) || Math.abs(x) >= 1e15) return x;
  return Number(formatFixed(x, 6));
}

/** Go's %v rendering of a value (fmt.Sprint of the Go value the fork would hold). */
export function displayString(v: Value): string {
  if (v === undefined || v === null) return '<nil>';
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return formatFloatV(v);
  if (v instanceof JsonNumber) return v.raw;
  if (v instanceof JsonNode) return v.raw;
  if (Array.isArray(v)) return '[' + v.map(displayString).join(' ') + ']';
  if (v instanceof Map) {
    const keys = [...v.keys()].sort(compareGoStrings);
    return 'map[' + keys.map((k) => `${k}:${displayString(v.get(k))}`).join(' ') + ']';
  }
  if (v instanceof GoTime) return formatGoTimeDefault(v);
  if (v instanceof Uint8Array) return '[' + Array.from(v).join(' ') + ']';
  return String(v);
}

/** Orders strings by UTF-8 bytes, as Go's sort does. */
export function compareGoStrings(a: string, b: string): number {
  if (a === b) return 0;
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** strconv.FormatFloat(x, 'g', -1, 64) as fmt's %v uses it. */
export function formatFloatV(x: number): string {
  return formatFloatG(x, -1, false);
}

/** strconv.FormatFloat(x, 'g', prec, 64): shortest digits when prec < 0. */
export function formatFloatG(x: number, prec: number, _sharp: boolean): string {
  if (Number.isNaN(x)) return 'NaN';
  if (x === Infinity) return '+Inf';
  if (x === -Infinity) return '-Inf';
  const neg = x < 0 || Object.is(x, -0);
  const ax = Math.abs(x);
  const shortest = prec < 0;
  if (prec === 0) prec = 1;
  let digits = '0';
  let dp = 1; // position of the decimal point relative to the digits
  if (ax !== 0) {
    const e = shortest ? ax.toExponential() : formatExp(ax, prec - 1);
    const m = /^(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e)!;
    digits = (m[1] + (m[2] ?? '')).replace(/0+$/, '') || '0';
    dp = Number(m[3]) + 1;
  }
  const nd = digits.length;
  if (shortest) prec = nd;
  let eprec = prec;
  if (eprec > nd && nd >= dp) eprec = nd;
  if (shortest) eprec = 6;
  const exp = dp - 1;
  let body: string;
  if (exp < -4 || exp >= eprec) {
    const p = Math.min(prec, nd);
    body = fmtE(digits, exp, p - 1);
  } else {
    if (prec > dp) prec = nd;
    body = fmtF(digits, dp, Math.max(prec - dp, 0));
  }
  return (neg ? '-' : '') + body;
}

function fmtE(digits: string, exp: number, decimals: number): string {
  let s = digits[0];
  if (decimals > 0) s += '.' + digits.slice(1, 1 + decimals).padEnd(decimals, '0');
  return s + 'e' + (exp < 0 ? '-' : '+') + String(Math.abs(exp)).padStart(2, '0');
}

function fmtF(digits: string, dp: number, decimals: number): string {
  let s = dp > 0 ? digits.slice(0, dp).padEnd(dp, '0') : '0';
  if (decimals > 0) {
    s += '.';
    for (let i = 0; i < decimals; i++) {
      const j = dp + i;
      s += j >= 0 && j < digits.length ? digits[j] : '0';
    }
  }
  return s;
}

/** Go's %q for strings (strconv.Quote). */
export function goQuote(s: string): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\x07':
        out += '\\a';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
      case '\v':
        out += '\\v';
        continue;
    }
    if (cp < 0x20 || cp === 0x7f) out += '\\x' + cp.toString(16).padStart(2, '0');
    else if (cp >= 0xd800 && cp < 0xe000) out += '\\ufffd';
    else if (isGoPrintable(cp)) out += ch;
    else if (cp < 0x10000) out += '\\u' + cp.toString(16).padStart(4, '0');
    else out += '\\U' + cp.toString(16).padStart(8, '0');
  }
  return out + '"';
}

const NONPRINT = /[\p{Cc}\p{Cf}\p{Co}\p{Cs}\p{Cn}\p{Zl}\p{Zp}]|[\p{Zs}]/u;
/** unicode.IsPrint: letters, marks, numbers, punctuation, symbols and ASCII space. */
export function isGoPrintable(cp: number): boolean {
  if (cp < 0x80) return cp >= 0x20 && cp < 0x7f;
  return !NONPRINT.test(String.fromCodePoint(cp));
}

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAYS = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** Calendar fields of a time in its own zone. */
export interface CivilTime {
  year: number;
  month: number; // 1-12
  day: number;
  hour: number;
  minute: number;
  second: number;
  nanos: number;
  weekday: number; // 0 = Sunday
  yday: number; // 1-based
}

/** Splits a GoTime into calendar fields in its zone. */
export function civil(t: GoTime): CivilTime {
  const secs = t.unixSeconds() + BigInt(t.offset);
  const days = Number(secs >= 0n ? secs / 86400n : -((-secs + 86399n) / 86400n));
  const rem = Number(secs - BigInt(days) * 86400n);
  // Civil-from-days (proleptic Gregorian), valid far beyond JS Date's range.
  const z = days + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  let y = yoe + era * 400;
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) y += 1;
  const weekday = (((days + 4) % 7) + 7) % 7;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const cum = [0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334];
  const yday = cum[m - 1] + d + (leap && m > 2 ? 1 : 0);
  return { year: y, month: m, day: d, hour: Math.floor(rem / 3600), minute: Math.floor((rem % 3600) / 60), second: rem % 60, nanos: t.nanos(), weekday, yday };
}

/** Days since the Unix epoch of a civil date. */
export function daysFromCivil(y: number, m: number, d: number): number {
  y -= m <= 2 ? 1 : 0;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5) + d - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Go's layout-based time formatting (time.Time.Format). */
export function formatGoTime(t: GoTime, layout: string): string {
  const c = civil(t);
  let out = '';
  let i = 0;
  const pad = (n: number, w: number): string => String(n).padStart(w, '0');
  const zone = (colon: boolean, secs: boolean, z: boolean, short: boolean): string => {
    if (z && t.offset === 0) return 'Z';
    const off = Math.abs(t.offset);
    const sign = t.offset < 0 ? '-' : '+';
    const hh = pad(Math.floor(off / 3600), 2);
    const mm = pad(Math.floor((off % 3600) / 60), 2);
    const ss = pad(off % 60, 2);
    if (short) return sign + hh;
    return sign + hh + (colon ? ':' : '') + mm + (secs ? (colon ? ':' : '') + ss : '');
  };
  while (i < layout.length) {
    const rest = layout.slice(i);
    const take = (tok: string): boolean => {
      if (rest.startsWith(tok)) {
        i += tok.length;
        return true;
      }
      return false;
    };
    if (take('January')) out += MONTHS[c.month - 1];
    else if (take('Jan')) out += MONTHS[c.month - 1].slice(0, 3);
    else if (take('Monday')) out += DAYS[c.weekday];
    else if (take('Mon')) out += DAYS[c.weekday].slice(0, 3);
    else if (take('MST')) out += t.zoneName;
    else if (take('2006')) out += c.year < 0 ? '-' + pad(-c.year, 4) : pad(c.year, 4);
    else if (take('-070000')) out += zone(false, true, false, false);
    else if (take('-07:00:00')) out += zone(true, true, false, false);
    else if (take('-0700')) out += zone(false, false, false, false);
    else if (take('-07:00')) out += zone(true, false, false, false);
    else if (take('-07')) out += zone(false, false, false, true);
    else if (take('Z070000')) out += zone(false, true, true, false);
    else if (take('Z07:00:00')) out += zone(true, true, true, false);
    else if (take('Z0700')) out += zone(false, false, true, false);
    else if (take('Z07:00')) out += zone(true, false, true, false);
    else if (take('Z07')) out += t.offset === 0 ? 'Z' : zone(false, false, false, true);
    else if (take('01')) out += pad(c.month, 2);
    else if (take('02')) out += pad(c.day, 2);
    else if (take('03')) out += pad(c.hour % 12 === 0 ? 12 : c.hour % 12, 2);
    else if (take('04')) out += pad(c.minute, 2);
    else if (take('05')) out += pad(c.second, 2);
    else if (take('06')) out += pad(((c.year % 100) + 100) % 100, 2);
    else if (take('002')) out += pad(c.yday, 3);
    else if (take('__2')) out += String(c.yday).padStart(3, ' ');
    else if (take('_2')) out += String(c.day).padStart(2, ' ');
    else if (take('15')) out += pad(c.hour, 2);
    else if (take('1')) out += String(c.month);
    else if (take('2')) out += String(c.day);
    else if (take('3')) out += String(c.hour % 12 === 0 ? 12 : c.hour % 12);
    else if (take('4')) out += String(c.minute);
    else if (take('5')) out += String(c.second);
    else if (take('PM')) out += c.hour >= 12 ? 'PM' : 'AM';
    else if (take('pm')) out += c.hour >= 12 ? 'pm' : 'am';
    else if ((rest.startsWith('.0') || rest.startsWith(',0') || rest.startsWith('.9') || rest.startsWith(',9')) && /^[.,](0+|9+)(?![0-9])/.test(rest)) {
      const m = /^([.,])(0+|9+)/.exec(rest)!;
      i += m[0].length;
      const n = m[2].length;
      const frac = pad(c.nanos, 9).slice(0, Math.min(n, 9));
      if (m[2][0] === '0') out += m[1] + frac;
      else {
        const trimmed = frac.replace(/0+$/, '');
        if (trimmed) out += m[1] + trimmed;
      }
    } else {
      out += layout[i];
      i++;
    }
  }
  return out;
}

/** fmt.Sprint of a time.Time: "2006-01-02 15:04:05.999999999 -0700 MST". */
export function formatGoTimeDefault(t: GoTime): string {
  return formatGoTime(t, '2006-01-02 15:04:05.999999999 -0700 MST');
}
