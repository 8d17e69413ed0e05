/**
 * The function table: text/template builtins as the fork evaluates them, every Sprig v3 function
 * (minus env/expandenv), and Higress's getSocketIP/getRealIP. Arity is declared here so the parser
 * can reject wrong argument counts at compile time.
 */
import { FuncError, argString, asList, parseGoFloatString, toGoArg } from './coerce.js';
import { sprintf } from './fmt.js';
import { registerCollections } from './sprig/collections.js';
import { registerCrypto } from './sprig/crypto.js';
import { registerMath } from './sprig/math.js';
import { registerMisc } from './sprig/misc.js';
import { registerSemver } from './sprig/semver.js';
import { registerStrings } from './sprig/strings.js';
import { registerTime } from './sprig/time.js';
import { get as gjsonGet } from './gjson/index.js';
import {
  JsonNode,
  fromResult,
  forkNum,
  forkRaw,
  forkString,
  forkType,
  lookup,
  truthy,
  type Value,
} from './value.js';

/** Request facts available to getSocketIP / getRealIP. */
export interface RequestFacts {
  remoteAddress?: string;
  headers?: Record<string, string | string[] | undefined>;
}

/** What a function may use besides its arguments. */
export interface CallContext {
  dot: Value;
  request: RequestFacts | undefined;
  /** Throws LimitError when a result of this many bytes/elements would exceed the limits. */
  reserve(size: number): void;
}

/**
 * How a function's Go result becomes the next pipeline value in the fork: `any` results (Go
 * interface{}) are formatted with fmt.Sprint when scalar; other kinds keep their type.
 */
export type ReturnKind = 'string' | 'int' | 'float' | 'bool' | 'any' | 'value';

/** One callable template function. */
export interface FuncDef {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly ret: ReturnKind;
  /** Sprig functions receive Go-converted arguments (see toGoArg); builtins see engine values. */
  readonly convertArgs: boolean;
  /** and/or: arguments are evaluated lazily by the executor. */
  readonly lazy?: boolean;
  call(args: Value[], cx: CallContext): Value;
}

/** Signature of the registration helper handed to each function group. */
export type Define = (
  name: string,
  min: number,
  max: number,
  ret: ReturnKind,
  call: (args: Value[], cx: CallContext) => Value,
) => void;

const table = new Map<string, FuncDef>();

const define: Define = (name, min, max, ret, call) => {
  table.set(name, { name, min, max, ret, convertArgs: true, call });
};

function builtin(name: string, min: number, max: number, call: (args: Value[], cx: CallContext) => Value, lazy = false): void {
  table.set(name, { name, min, max, ret: 'value', convertArgs: false, lazy, call });
}

/** Looks a function up by name; undefined when no such function exists. */
export function lookupFunction(name: string): FuncDef | undefined {
  return table.get(name);
}

/** Names of every available function (for documentation and tests). */
export function functionNames(): string[] {
  return [...table.keys()].sort();
}

// ---- builtins, with the fork's gjson-based semantics ----

builtin('gjson', 1, 1, (args, cx) => {
  const p = args[0];
  if (forkType(p) !== 'String') throw new FuncError('gjson requires a string path argument');
  // With no data the fork queries an empty document, where multipaths still build "{}" or "[]".
  if (cx.dot === undefined) return fromResult(gjsonGet('', p as string));
  return lookup(cx.dot, p as string);
});

builtin('len', 1, 1, ([a]) => {
  if (a instanceof JsonNode) return BigInt(a.isArray ? a.items().length : a.pairs().length);
  if (typeof a === 'string') return BigInt(Buffer.byteLength(a, 'utf8'));
  if (Array.isArray(a)) return BigInt(a.length);
  if (a instanceof Map) return BigInt(a.size);
  if (a instanceof Uint8Array) return BigInt(a.length);
  return 0n;
});

function indexOnce(c: Value, k: Value): Value {
  const list = c instanceof JsonNode ? (c.isArray ? c.items() : null) : Array.isArray(c) ? c : null;
  if (list) {
    if (forkType(k) !== 'Number') throw new FuncError('index of array must be integer');
    const i = Math.trunc(forkNum(k));
    if (i < 0 || i >= list.length) throw new FuncError(`array index out of range: ${i}`);
    return list[i];
  }
  if (c instanceof JsonNode) return c.get(forkString(k));
  if (c instanceof Map) return c.get(forkString(k));
  throw new FuncError(`can't index ${forkType(c) === 'missing' ? 'Null' : forkType(c)}`);
}

// As in Go: no key returns the item itself, several keys index successively (the fork needs exactly one).
builtin('index', 1, Infinity, ([c, ...keys]) => keys.reduce<Value>((acc, k) => indexOnce(acc, k), c));

function joinPrint(args: Value[]): string {
  return args.map(forkString).join(' ');
}
builtin('print', 0, Infinity, (args) => joinPrint(args));
builtin('println', 0, Infinity, (args) => joinPrint(args) + '\n');

builtin('printf', 1, Infinity, (args) => {
  if (forkType(args[0]) !== 'String') throw new FuncError('first argument to printf must be a format string');
  // With no operands at all the fork returns the format unchanged.
  if (args.length === 1) return forkString(args[0]);
  return sprintf(forkString(args[0]), args.slice(1).map(toGoArg));
});

// and/or are evaluated by the executor (short-circuit); these bodies serve non-lazy callers.
builtin('and', 1, Infinity, (args) => args.find((a) => !truthy(a)) ?? args[args.length - 1], true);
builtin('or', 1, Infinity, (args) => args.find((a) => truthy(a)) ?? args[args.length - 1], true);
builtin('not', 1, 1, ([a]) => !truthy(a));

const parseForkFloat = parseGoFloatString;

/** The fork's eq: numbers numerically, number vs numeric string numerically, else raw JSON text. */
export function forkEq(a: Value, b: Value): boolean {
  const ta = forkType(a);
  const tb = forkType(b);
  if (ta === 'Number' && tb === 'Number') return forkNum(a) === forkNum(b);
  if (ta === 'Number' && tb === 'String') {
    const n = parseForkFloat(forkString(b));
    return n !== null && forkNum(a) === n;
  }
  if (ta === 'String' && tb === 'Number') {
    const n = parseForkFloat(forkString(a));
    return n !== null && n === forkNum(b);
  }
  if (ta === 'String' && tb === 'String') return forkString(a) === forkString(b);
  return forkRaw(a) === forkRaw(b);
}

function forkLess(a: Value, b: Value, op: 'lt' | 'le' | 'gt' | 'ge'): boolean {
  let c: number;
  if (forkType(a) === 'Number' && forkType(b) === 'Number') {
    const x = forkNum(a);
    const y = forkNum(b);
    c = x < y ? -1 : x > y ? 1 : 0;
    if (Number.isNaN(x) || Number.isNaN(y)) return false;
  } else {
    const x = Buffer.from(forkString(a));
    const y = Buffer.from(forkString(b));
    c = Buffer.compare(x, y);
  }
  switch (op) {
    case 'lt':
      return c < 0;
    case 'le':
      return c <= 0;
    case 'gt':
      return c > 0;
    case 'ge':
      return c >= 0;
  }
}

builtin('eq', 2, Infinity, ([a, b]) => forkEq(a, b));
// The fork compares raw JSON text for ne; kept as the negation of eq (see README deviations).
builtin('ne', 2, Infinity, ([a, b]) => !forkEq(a, b));
builtin('lt', 2, Infinity, ([a, b]) => forkLess(a, b, 'lt'));
builtin('le', 2, Infinity, ([a, b]) => forkLess(a, b, 'le'));
builtin('gt', 2, Infinity, ([a, b]) => forkLess(a, b, 'gt'));
builtin('ge', 2, Infinity, ([a, b]) => forkLess(a, b, 'ge'));

/** text/template's HTMLEscapeString. */
export function htmlEscape(s: string): string {
  return s.replace(/[\0"'&<>]/g, (c) => HTML_ESC[c]);
}
const HTML_ESC: Record<string, string> = { '\0': '\uFFFD', '"': '&#34;', "'": '&#39;', '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** text/template's JSEscapeString. */
export function jsEscape(s: string): string {
  let out = '';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    switch (ch) {
      case '\\': out += '\\\\'; continue;
      case "'": out += "\\'"; continue;
      case '"': out += '\\"'; continue;
      case '<': out += '\\u003C'; continue;
      case '>': out += '\\u003E'; continue;
      case '&': out += '\\u0026'; continue;
      case '=': out += '\\u003D'; continue;
    }
    if (cp < 0x20) out += '\\u00' + cp.toString(16).toUpperCase().padStart(2, '0');
    else if (cp < 0x80) out += ch;
    else if (NON_PRINT.test(ch)) out += '\\u' + cp.toString(16).toUpperCase().padStart(4, '0');
    else out += ch;
  }
  return out;
}
const NON_PRINT = /^[\p{C}\p{Zl}\p{Zp}\p{Zs}]$/u;

/** Go's url.QueryEscape. */
export function queryEscape(s: string): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(b);
    if (/[A-Za-z0-9\-_.~]/.test(c)) out += c;
    else if (c === ' ') out += '+';
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

builtin('html', 1, 1, ([a]) => htmlEscape(forkString(a)));
builtin('js', 1, 1, ([a]) => jsEscape(forkString(a)));
builtin('urlquery', 1, 1, ([a]) => queryEscape(forkString(a)));
builtin('call', 1, Infinity, ([f]) => {
  throw new FuncError(`can't call non-function ${forkString(f)}`);
});

// ---- Higress extras ----

function headerValue(req: RequestFacts | undefined, name: string): string | undefined {
  const h = req?.headers;
  if (!h) return undefined;
  let v = h[name];
  if (v === undefined) {
    for (const k of Object.keys(h)) if (k.toLowerCase() === name) v = h[k];
  }
  if (Array.isArray(v)) v = v[0];
  return v === undefined || v === '' ? undefined : v;
}

builtin('getSocketIP', 0, 0, (_a, cx) => cx.request?.remoteAddress ?? '');
builtin('getRealIP', 0, 0, (_a, cx) => {
  const xff = headerValue(cx.request, 'x-forwarded-for');
  if (xff) {
    const first = xff.split(',')[0].trim();
    if (first) return first;
  }
  const real = headerValue(cx.request, 'x-real-ip');
  if (real) return real.trim();
  return cx.request?.remoteAddress ?? '';
});

registerStrings(define);
registerMath(define);
registerCollections(define);
registerTime(define);
registerMisc(define);
registerSemver(define);
registerCrypto(define);

// A few helpers used by several groups.
export { argString, asList };
