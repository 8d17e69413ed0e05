// A TypeScript implementation of tidwall/gjson (v1.14.4, the version Debian ships, which the Higress
// template engine follows) path queries. The document is scanned lazily on every call, as gjson
// does, so a lookup touches only the bytes up to the matched value.
//
// Known differences from Go: `index` counts UTF-16 code units (so it slices the JS string
// correctly) rather than UTF-8 bytes; the wildcard complexity budget is sized in code units too;
// nesting deeper than the JS stack yields a missing result instead of Go's deeper recursion.

import { matchLimit } from './match.js';
import { execModifier, isModifierName } from './modifiers.js';
import {
  compareBytes, formatFloatF, goParseFloat, literalEnd, numberEnd, scanString, squash, squashEnd, strScan,
  toLit, toNumRaw, toStr, trim, unescape,
} from './scan.js';
import { validJSON } from './valid.js';

/** Error raised by Result.value() for input it cannot represent; `code` is stable. */
export class GjsonError extends Error {
  constructor(readonly code: 'GJSON_TOO_DEEP', message: string) {
    super(message);
    this.name = 'GjsonError';
  }
}

export type GjsonType = 'Null' | 'False' | 'Number' | 'String' | 'True' | 'JSON';

const TYPE_ORDER: Record<GjsonType, number> = { Null: 0, False: 1, Number: 2, String: 3, True: 4, JSON: 5 };

/** One value found in a JSON document; mirrors gjson.Result. */
export class Result {
  /** JSON kind of the value ('Null' with empty raw means "not found"). */
  type: GjsonType;
  /** The raw JSON text of the value. */
  raw: string;
  /** Unescaped string value, for type 'String'. */
  str: string;
  /** Numeric value, for type 'Number'. */
  num: number;
  /** Position of raw in the original document (UTF-16 units), 0 when unknown. */
  index: number;
  /** Positions of each element for results built by `#` paths and `#(...)#` queries. */
  indexes: number[] | undefined;

  constructor(type: GjsonType = 'Null', raw = '', str = '', num = 0, index = 0) {
    this.type = type;
    this.raw = raw;
    this.str = str;
    this.num = num;
    this.index = index;
    this.indexes = undefined;
  }

  /** True when the value was found (gjson Exists). */
  exists(): boolean {
    return this.type !== 'Null' || this.raw.length !== 0;
  }

  /** True for a JSON array. */
  isArray(): boolean {
    return this.type === 'JSON' && this.raw.length > 0 && this.raw.charCodeAt(0) === 0x5b;
  }

  /** True for a JSON object. */
  isObject(): boolean {
    return this.type === 'JSON' && this.raw.length > 0 && this.raw.charCodeAt(0) === 0x7b;
  }

  /** True for true/false. */
  isBool(): boolean {
    return this.type === 'True' || this.type === 'False';
  }

  /** gjson Result.String(): text as Go prints it ("" for missing and null). */
  string(): string {
    switch (this.type) {
      case 'False': return 'false';
      case 'True': return 'true';
      case 'String': return this.str;
      case 'JSON': return this.raw;
      case 'Number': {
        const raw = this.raw;
        if (raw.length === 0) return formatFloatF(this.num);
        let i = raw.charCodeAt(0) === 0x2d ? 1 : 0;
        for (; i < raw.length; i++) {
          const c = raw.charCodeAt(i);
          if (c < 0x30 || c > 0x39) return formatFloatF(this.num);
        }
        return raw;
      }
      default: return '';
    }
  }

  /** gjson Result.Bool(). */
  bool(): boolean {
    switch (this.type) {
      case 'True': return true;
      case 'String': {
        const s = this.str.toLowerCase();
        return s === '1' || s === 't' || s === 'true';
      }
      case 'Number': return this.num !== 0;
      default: return false;
    }
  }

  /** gjson Result.Int(): integer value (int64 semantics, returned as a JS number). */
  int(): number {
    switch (this.type) {
      case 'True': return 1;
      case 'String': {
        const n = parseInt64(this.str);
        return n === undefined ? 0 : n;
      }
      case 'Number': {
        const f = this.num;
        if (f >= -9007199254740991 && f <= 9007199254740991) return Math.trunc(f) + 0;
        const n = parseInt64(this.raw);
        if (n !== undefined) return n;
        // Go's int64(float) conversion of an out-of-range value gives MinInt64 on amd64.
        return -9223372036854775808;
      }
      default: return 0;
    }
  }

  /** gjson Result.Float(). */
  float(): number {
    switch (this.type) {
      case 'True': return 1;
      case 'String': return goParseFloat(this.str);
      case 'Number': return this.num;
      default: return 0;
    }
  }

  /** gjson Result.Array(): elements of an array, [] for null/missing, [this] for other scalars and objects. */
  array(): Result[] {
    if (this.type === 'Null') return [];
    if (!this.isArray()) return [this];
    return collect(this, 0x5b).arr ?? [];
  }

  /** gjson Result.Map(): members of an object (first duplicate key wins), empty for anything else. */
  map(): Map<string, Result> {
    if (this.type !== 'JSON') return new Map();
    return collect(this, 0x7b).obj ?? new Map();
  }

  /**
   * gjson Result.ForEach: calls fn(key, value) for each member of an object or element of an
   * array (key is then a Number result holding the position), or once with an empty key for a
   * scalar. Return false from fn to stop.
   */
  forEach(fn: (key: Result, value: Result) => boolean): void {
    if (!this.exists()) return;
    if (this.type !== 'JSON') {
      fn(new Result(), this);
      return;
    }
    const json = this.raw;
    const n = json.length;
    let i = 0;
    let obj = false;
    let pos = -1;
    for (; i < n; i++) {
      const c = json.charCodeAt(i);
      if (c === 0x7b) { i++; obj = true; break; }
      if (c === 0x5b) { i++; break; }
      if (c > 0x20) return;
    }
    let idx = 0;
    for (; i < n; i++) {
      let key: Result;
      if (obj) {
        if (json.charCodeAt(i) !== 0x22) continue;
        const s = i;
        scanString(json, i + 1);
        if (!strScan.ok) return;
        const esc = strScan.esc;
        i = strScan.end;
        const kraw = json.slice(s, i);
        key = new Result('String', kraw, esc ? unescape(kraw.slice(1, -1)) : kraw.slice(1, -1), 0, s + this.index);
      } else {
        pos++;
        key = new Result('Number', '', '', pos);
      }
      for (; i < n; i++) {
        const c = json.charCodeAt(i);
        if (c <= 0x20 || c === 0x2c || c === 0x3a) continue;
        break;
      }
      const s = i;
      const value = parseAnyAt(json, i);
      if (!value) return;
      i = anyEnd;
      if (this.indexes !== undefined) {
        if (idx < this.indexes.length) value.index = this.indexes[idx];
      } else {
        value.index = s + this.index;
      }
      if (!fn(key, value)) return;
      idx++;
    }
  }

  /** Runs a gjson path against this value (offsets in the result stay relative to the outer document). */
  get(path: string): Result {
    try {
      return subGet(this, path);
    } catch (e) {
      return notFoundOnOverflow(e);
    }
  }

  /**
   * Plain JS value: object, array, string, number, boolean or null (gjson Value()).
   * Throws GjsonError GJSON_TOO_DEEP when the value nests deeper than the JS stack allows.
   */
  value(): unknown {
    try {
      return this.plain();
    } catch (e) {
      if (e instanceof RangeError) throw new GjsonError('GJSON_TOO_DEEP', `value at index ${this.index} is nested too deeply to convert`);
      throw e;
    }
  }

  /** @internal value() without the overflow guard, for recursion. */
  plain(): unknown {
    switch (this.type) {
      case 'String': return this.str;
      case 'False': return false;
      case 'True': return true;
      case 'Number': return this.num;
      case 'JSON': {
        const r = collect(this, 0, true);
        if (r.vobj) return r.vobj;
        if (r.varr) return r.varr;
        return null;
      }
      default: return null;
    }
  }

  /** gjson Result.Less: orders Null < False < Number < String < True < JSON. */
  less(token: Result, caseSensitive: boolean): boolean {
    const a = TYPE_ORDER[this.type];
    const b = TYPE_ORDER[token.type];
    if (a !== b) return a < b;
    if (this.type === 'String') {
      return caseSensitive ? compareBytes(this.str, token.str) < 0 : lessInsensitive(this.str, token.str);
    }
    if (this.type === 'Number') return this.num < token.num;
    return compareBytes(this.raw, token.raw) < 0;
  }
}

function lessInsensitive(a: string, b: string): boolean {
  const lower = (c: number): number => (c >= 0x41 && c <= 0x5a ? c + 32 : c);
  for (let i = 0; i < a.length && i < b.length; i++) {
    const x = lower(a.charCodeAt(i));
    const y = lower(b.charCodeAt(i));
    if (x !== y) return x < y;
  }
  return a.length < b.length;
}

/** Go's parseInt on a string of ASCII digits with optional '-', with int64 wrap-around; undefined when not an integer. */
function parseInt64(s: string): number | undefined {
  let i = 0;
  const neg = s.length > 0 && s.charCodeAt(0) === 0x2d;
  if (neg) i++;
  if (i === s.length) return undefined;
  for (let k = i; k < s.length; k++) {
    const c = s.charCodeAt(k);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  if (s.length - i <= 15) return neg ? -Number(s.slice(i)) : Number(s.slice(i)) + 0;
  const v = BigInt.asIntN(64, BigInt(s.slice(i)) * (neg ? -1n : 1n));
  return Number(v);
}

interface Collected {
  arr?: Result[];
  obj?: Map<string, Result>;
  varr?: unknown[];
  vobj?: Record<string, unknown>;
}

/** gjson arrayOrMap: walks the members of the container in t.raw (vc = '[' or '{' forces the kind, 0 detects it). */
function collect(t: Result, vc: number, valueize = false): Collected {
  const json = t.raw;
  const n = json.length;
  const out: Collected = {};
  let i = 0;
  let kind = 0;
  if (vc === 0) {
    for (; i < n; i++) {
      const c = json.charCodeAt(i);
      if (c === 0x7b || c === 0x5b) { kind = c; i++; break; }
      if (c > 0x20) return finish(t, out);
    }
  } else {
    for (; i < n; i++) {
      const c = json.charCodeAt(i);
      if (c === vc) { i++; break; }
      if (c > 0x20) return finish(t, out);
    }
    kind = vc;
  }
  if (kind === 0x7b) {
    if (valueize) out.vobj = {};
    else out.obj = new Map();
  } else if (valueize) {
    out.varr = [];
  } else {
    out.arr = [];
  }
  let count = 0;
  let key: Result | undefined;
  for (; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c <= 0x20) continue;
    if (c === 0x5d || c === 0x7d) break;
    let value: Result;
    if (c === 0x7b || c === 0x5b) {
      value = new Result('JSON', squash(json.slice(i)));
    } else if (c === 0x6e) {
      value = new Result('Null', toLit(json.slice(i)));
    } else if (c === 0x74) {
      value = new Result('True', toLit(json.slice(i)));
    } else if (c === 0x66) {
      value = new Result('False', toLit(json.slice(i)));
    } else if (c === 0x22) {
      const [raw, str] = toStr(json.slice(i));
      value = new Result('String', raw, str);
    } else if ((c >= 0x30 && c <= 0x39) || c === 0x2d) {
      const raw = toNumRaw(json.slice(i));
      value = new Result('Number', raw, '', goParseFloat(raw));
    } else {
      continue;
    }
    value.index = i + t.index;
    i += value.raw.length - 1;
    if (kind === 0x7b) {
      if (count % 2 === 0) {
        key = value;
      } else if (key) {
        if (valueize) {
          if (!Object.prototype.hasOwnProperty.call(out.vobj, key.str)) {
            Object.defineProperty(out.vobj, key.str, { value: value.plain(), enumerable: true, writable: true, configurable: true });
          }
        } else if (!out.obj!.has(key.str)) {
          out.obj!.set(key.str, value);
        }
      }
      count++;
    } else if (valueize) {
      out.varr!.push(value.plain());
    } else {
      out.arr!.push(value);
    }
  }
  return finish(t, out);
}

function finish(t: Result, out: Collected): Collected {
  if (t.indexes !== undefined && out.arr) {
    const same = t.indexes.length === out.arr.length;
    for (let i = 0; i < out.arr.length; i++) out.arr[i].index = same ? t.indexes[i] : 0;
  }
  return out;
}

/** gjson Parse: the first JSON value in json, without validation. */
export function parse(json: string): Result {
  const n = json.length;
  let i = 0;
  let value = new Result();
  for (; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      value = new Result('JSON', json.slice(i));
      break;
    }
    if (c <= 0x20) continue;
    switch (c) {
      case 0x2b: case 0x2d: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34:
      case 0x35: case 0x36: case 0x37: case 0x38: case 0x39: case 0x69: case 0x49: case 0x4e: {
        const raw = toNumRaw(json.slice(i));
        value = new Result('Number', raw, '', goParseFloat(raw));
        break;
      }
      case 0x6e:
        if (i + 1 < n && json.charCodeAt(i + 1) !== 0x75) {
          const raw = toNumRaw(json.slice(i));
          value = new Result('Number', raw, '', goParseFloat(raw));
        } else {
          value = new Result('Null', toLit(json.slice(i)));
        }
        break;
      case 0x74:
        value = new Result('True', toLit(json.slice(i)));
        break;
      case 0x66:
        value = new Result('False', toLit(json.slice(i)));
        break;
      case 0x22: {
        const [raw, str] = toStr(json.slice(i));
        value = new Result('String', raw, str);
        break;
      }
      default:
        return new Result();
    }
    break;
  }
  if (value.exists()) value.index = i;
  return value;
}

/** Reports whether json is valid JSON (gjson Valid). */
export function valid(json: string): boolean {
  return validJSON(json);
}

/** End index of the value read by the last parseAnyAt call. */
let anyEnd = 0;

/**
 * gjson parseAny: reads the next value at or after i (skipping anything unrecognised), returning
 * it with its absolute index, or undefined at end of input or on an unterminated string.
 */
function parseAnyAt(json: string, i: number): Result | undefined {
  const n = json.length;
  for (; i < n; i++) {
    const c = json.charCodeAt(i);
    if (c === 0x7b || c === 0x5b) {
      const e = squashEnd(json, i);
      anyEnd = e;
      return new Result('JSON', json.slice(i, e), '', 0, i);
    }
    if (c <= 0x20) continue;
    switch (c) {
      case 0x22: {
        scanString(json, i + 1);
        anyEnd = strScan.end;
        if (!strScan.ok) return undefined;
        const raw = json.slice(i, strScan.end);
        return new Result('String', raw, strScan.esc ? unescape(raw.slice(1, -1)) : raw.slice(1, -1), 0, i);
      }
      case 0x6e: case 0x74: case 0x66: {
        // "nan"-like tokens starting with n are numbers for gjson.
        if (c === 0x6e && i + 1 < n && json.charCodeAt(i + 1) !== 0x75) return numberAt(json, i);
        const e = literalEnd(json, i);
        anyEnd = e;
        return new Result(c === 0x74 ? 'True' : c === 0x66 ? 'False' : 'Null', json.slice(i, e), '', 0, i);
      }
      case 0x2b: case 0x2d: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34:
      case 0x35: case 0x36: case 0x37: case 0x38: case 0x39: case 0x69: case 0x49: case 0x4e:
        return numberAt(json, i);
    }
  }
  anyEnd = i;
  return undefined;
}

function numberAt(json: string, i: number): Result {
  const e = numberEnd(json, i);
  anyEnd = e;
  const raw = json.slice(i, e);
  return new Result('Number', raw, '', goParseFloat(raw), i);
}

/** gjson ForEachLine: calls fn for each value of a JSON Lines document. */
export function forEachLine(json: string, fn: (line: Result) => boolean): void {
  let i = 0;
  for (;;) {
    const r = parseAnyAt(json, i);
    if (!r) return;
    i = anyEnd;
    if (!fn(r)) return;
  }
}

// ---------------------------------------------------------------------------------------------
// Path components

interface ObjectPath {
  part: string;
  path: string;
  pipe: string;
  piped: boolean;
  wild: boolean;
  more: boolean;
}

interface ArrayPath {
  part: string;
  path: string;
  pipe: string;
  piped: boolean;
  more: boolean;
  alogok: boolean;
  arrch: boolean;
  alogkey: string;
  qon: boolean;
  qall: boolean;
  qpath: string;
  qop: string;
  qvalue: string;
}

/** After a '.', '@modifier', '[' and '{' start a piped sub-path rather than a key. */
function isDotPiperChar(s: string, at: number): boolean {
  const c = s.charCodeAt(at);
  if (c === 0x40) {
    let i = at + 1;
    for (; i < s.length; i++) {
      const d = s.charCodeAt(i);
      if (d === 0x2e || d === 0x7c || d === 0x3a) break;
    }
    return isModifierName(s.slice(at + 1, i));
  }
  return c === 0x5b || c === 0x7b;
}

const objectPathCache = new Map<string, ObjectPath>();
const arrayPathCache = new Map<string, ArrayPath>();
const PATH_CACHE_MAX = 4096;

function cachePut<T>(cache: Map<string, T>, key: string, v: T): T {
  // A bounded cache: templates reuse a small set of paths, so evicting everything on overflow is enough.
  if (cache.size >= PATH_CACHE_MAX) cache.clear();
  cache.set(key, v);
  return v;
}

function parseObjectPath(path: string): ObjectPath {
  const hit = objectPathCache.get(path);
  if (hit) return hit;
  return cachePut(objectPathCache, path, splitObjectPath(path));
}

function splitObjectPath(path: string): ObjectPath {
  const r: ObjectPath = { part: path, path: '', pipe: '', piped: false, wild: false, more: false };
  const n = path.length;
  for (let i = 0; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x7c) {
      r.part = path.slice(0, i);
      r.pipe = path.slice(i + 1);
      r.piped = true;
      return r;
    }
    if (c === 0x2e) {
      r.part = path.slice(0, i);
      if (i < n - 1 && isDotPiperChar(path, i + 1)) {
        r.pipe = path.slice(i + 1);
        r.piped = true;
      } else {
        r.path = path.slice(i + 1);
        r.more = true;
      }
      return r;
    }
    if (c === 0x2a || c === 0x3f) {
      r.wild = true;
      continue;
    }
    if (c === 0x5c) {
      // Escaped path: rebuild the component without its backslashes.
      let epart = path.slice(0, i);
      i++;
      if (i < n) {
        epart += path[i];
        i++;
        for (; i < n; i++) {
          const d = path.charCodeAt(i);
          if (d === 0x5c) {
            i++;
            if (i < n) epart += path[i];
            continue;
          } else if (d === 0x2e) {
            r.part = epart;
            if (i < n - 1 && isDotPiperChar(path, i + 1)) {
              r.pipe = path.slice(i + 1);
              r.piped = true;
            } else {
              r.path = path.slice(i + 1);
              r.more = true;
            }
            return r;
          } else if (d === 0x7c) {
            r.part = epart;
            r.pipe = path.slice(i + 1);
            r.piped = true;
            return r;
          } else if (d === 0x2a || d === 0x3f) {
            r.wild = true;
          }
          epart += path[i];
        }
      }
      r.part = epart;
      return r;
    }
  }
  return r;
}

interface QueryParts {
  path: string;
  op: string;
  value: string;
  end: number;
  vesc: boolean;
}

/** Splits "#(path op value)" into its parts; end is the index after the closing bracket. */
function parseQuery(query: string): QueryParts | undefined {
  if (query.length < 2 || query.charCodeAt(0) !== 0x23) return undefined;
  const open = query.charCodeAt(1);
  if (open !== 0x28 && open !== 0x5b) return undefined;
  let i = 2;
  let j = 0;
  let depth = 1;
  let vesc = false;
  const n = query.length;
  for (; i < n; i++) {
    const c = query.charCodeAt(i);
    if (depth === 1 && j === 0) {
      if (c === 0x21 || c === 0x3d || c === 0x3c || c === 0x3e || c === 0x25) {
        j = i;
        continue;
      }
    }
    if (c === 0x5c) {
      i++;
    } else if (c === 0x5b || c === 0x28) {
      depth++;
    } else if (c === 0x5d || c === 0x29) {
      depth--;
      if (depth === 0) break;
    } else if (c === 0x22) {
      i++;
      for (; i < n; i++) {
        const d = query.charCodeAt(i);
        if (d === 0x5c) {
          vesc = true;
          i++;
        } else if (d === 0x22) {
          break;
        }
      }
    }
  }
  if (depth > 0) return undefined;
  if (j > 0) {
    const path = trim(query.slice(2, j));
    let value = trim(query.slice(j, i));
    let opsz = 0;
    const v0 = value[0];
    const v1 = value[1];
    if (value.length === 1) opsz = 1;
    else if (v0 === '!' && (v1 === '=' || v1 === '%')) opsz = 2;
    else if ((v0 === '<' || v0 === '>') && v1 === '=') opsz = 2;
    else if (v0 === '=' && v1 === '=') {
      value = value.slice(1);
      opsz = 1;
    } else if (v0 === '<' || v0 === '>' || v0 === '=' || v0 === '%') opsz = 1;
    const op = value.slice(0, opsz);
    value = trim(value.slice(opsz));
    return { path, op, value, end: i + 1, vesc };
  }
  return { path: trim(query.slice(2, i)), op: '', value: '', end: i + 1, vesc };
}

function parseArrayPath(path: string): ArrayPath {
  const hit = arrayPathCache.get(path);
  if (hit) return hit;
  return cachePut(arrayPathCache, path, splitArrayPath(path));
}

function splitArrayPath(path: string): ArrayPath {
  const r: ArrayPath = {
    part: path, path: '', pipe: '', piped: false, more: false, alogok: false, arrch: false,
    alogkey: '', qon: false, qall: false, qpath: '', qop: '', qvalue: '',
  };
  const n = path.length;
  for (let i = 0; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x7c) {
      r.part = path.slice(0, i);
      r.pipe = path.slice(i + 1);
      r.piped = true;
      return r;
    }
    if (c === 0x2e) {
      r.part = path.slice(0, i);
      if (!r.arrch && i < n - 1 && isDotPiperChar(path, i + 1)) {
        r.pipe = path.slice(i + 1);
        r.piped = true;
      } else {
        r.path = path.slice(i + 1);
        r.more = true;
      }
      return r;
    }
    if (c === 0x23) {
      r.arrch = true;
      if (i === 0 && n > 1) {
        const d = path.charCodeAt(1);
        if (d === 0x2e) {
          r.alogok = true;
          r.alogkey = path.slice(2);
          r.path = path.slice(0, 1);
        } else if (d === 0x5b || d === 0x28) {
          r.qon = true;
          const q = parseQuery(path.slice(i));
          if (!q) break;
          let value = q.value;
          if (value.length >= 2 && value[0] === '"' && value[value.length - 1] === '"') {
            value = value.slice(1, -1);
            if (q.vesc) value = unescape(value);
          }
          r.qpath = q.path;
          r.qop = q.op;
          r.qvalue = value;
          i = q.end - 1;
          if (i + 1 < n && path.charCodeAt(i + 1) === 0x23) r.qall = true;
        }
      }
      continue;
    }
  }
  r.part = path;
  r.path = '';
  return r;
}

// ---------------------------------------------------------------------------------------------
// The scanner

interface Ctx {
  json: string;
  value: Result;
  pipe: string;
  piped: boolean;
  calcd: boolean;
  /** Set by parseObject/parseArray: whether the path was resolved. */
  hit: boolean;
}

function setFound(c: Ctx, type: GjsonType, raw: string, str: string, num: number, index: number): void {
  c.value = new Result(type, raw, str, num, index);
  c.hit = true;
}

function parseObject(c: Ctx, i: number, path: string): number {
  const json = c.json;
  const n = json.length;
  const rp = parseObjectPath(path);
  if (!rp.more && rp.piped) {
    c.pipe = rp.pipe;
    c.piped = true;
  }
  const part = rp.part;
  while (i < n) {
    let ok = false;
    let kesc = false;
    let ks = 0;
    let ke = 0;
    for (; i < n; i++) {
      const ch = json.charCodeAt(i);
      if (ch === 0x22) {
        i++;
        ks = i;
        scanString(json, i);
        if (strScan.ok) {
          ok = true;
          kesc = strScan.esc;
          ke = strScan.end - 1;
          i = strScan.end;
        } else {
          // gjson stops the key scan on the first backslash run that never closes.
          i = strScan.end;
          ke = n;
        }
        break;
      }
      if (ch === 0x7d) {
        c.hit = false;
        return i + 1;
      }
    }
    if (!ok) {
      c.hit = false;
      return i;
    }
    let pmatch: boolean;
    if (rp.wild) {
      pmatch = matchLimit(kesc ? unescape(json.slice(ks, ke)) : json.slice(ks, ke), part);
    } else if (kesc) {
      pmatch = part === unescape(json.slice(ks, ke));
    } else {
      pmatch = ke - ks === part.length && json.startsWith(part, ks);
    }
    let hit = pmatch && !rp.more;
    for (; i < n; i++) {
      const ch = json.charCodeAt(i);
      let num = false;
      switch (ch) {
        case 0x22: {
          const s = i;
          scanString(json, i + 1);
          i = strScan.end;
          if (!strScan.ok) {
            c.hit = false;
            return i;
          }
          if (hit) {
            const raw = json.slice(s, i);
            setFound(c, 'String', raw, strScan.esc ? unescape(raw.slice(1, -1)) : raw.slice(1, -1), 0, s);
            return i;
          }
          break;
        }
        case 0x7b:
        case 0x5b:
          if (pmatch && !hit) {
            i = ch === 0x7b ? parseObject(c, i + 1, rp.path) : parseArray(c, i + 1, rp.path);
            hit = c.hit;
            if (hit) return i;
          } else {
            const s = i;
            i = squashEnd(json, i);
            if (hit) {
              setFound(c, 'JSON', json.slice(s, i), '', 0, s);
              return i;
            }
          }
          break;
        case 0x6e: case 0x74: case 0x66: {
          if (ch === 0x6e && i + 1 < n && json.charCodeAt(i + 1) !== 0x75) {
            num = true;
            break;
          }
          const s = i;
          i = literalEnd(json, i);
          if (hit) {
            setFound(c, ch === 0x74 ? 'True' : ch === 0x66 ? 'False' : 'Null', json.slice(s, i), '', 0, s);
            return i;
          }
          break;
        }
        case 0x2b: case 0x2d: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34:
        case 0x35: case 0x36: case 0x37: case 0x38: case 0x39: case 0x69: case 0x49: case 0x4e:
          num = true;
          break;
        default:
          continue;
      }
      if (num) {
        const s = i;
        i = numberEnd(json, i);
        if (hit) {
          const raw = json.slice(s, i);
          setFound(c, 'Number', raw, '', goParseFloat(raw), s);
          return i;
        }
      }
      break;
    }
  }
  c.hit = false;
  return i;
}

/** gjson queryMatches: does value satisfy the query's operator and operand? */
function queryMatches(rp: ArrayPath, value: Result): boolean {
  let rpv = rp.qvalue;
  if (rpv.length > 0 && rpv[0] === '~') {
    rpv = rpv.slice(1);
    value = value.bool() ? new Result('True') : new Result('False');
  }
  if (!value.exists()) return false;
  const op = rp.qop;
  if (op === '') return true;
  switch (value.type) {
    case 'String': {
      const s = value.str;
      switch (op) {
        case '=': return s === rpv;
        case '!=': return s !== rpv;
        case '<': return compareBytes(s, rpv) < 0;
        case '<=': return compareBytes(s, rpv) <= 0;
        case '>': return compareBytes(s, rpv) > 0;
        case '>=': return compareBytes(s, rpv) >= 0;
        case '%': return matchLimit(s, rpv);
        case '!%': return !matchLimit(s, rpv);
      }
      return false;
    }
    case 'Number': {
      const v = goParseFloat(rpv);
      const x = value.num;
      switch (op) {
        case '=': return x === v;
        case '!=': return x !== v;
        case '<': return x < v;
        case '<=': return x <= v;
        case '>': return x > v;
        case '>=': return x >= v;
      }
      return false;
    }
    case 'True':
      switch (op) {
        case '=': return rpv === 'true';
        case '!=': return rpv !== 'true';
        case '>': return rpv === 'false';
        case '>=': return true;
      }
      return false;
    case 'False':
      switch (op) {
        case '=': return rpv === 'false';
        case '!=': return rpv !== 'false';
        case '<': return rpv === 'true';
        case '<=': return true;
      }
      return false;
  }
  return false;
}

/** gjson splitPossiblePipe: splits "left|right" at the first pipe outside a query selector. */
function splitPossiblePipe(path: string): [string, string] | undefined {
  if (path.indexOf('|') < 0) return undefined;
  const n = path.length;
  if (n > 0 && path[0] === '{') {
    const squashed = squash(path.slice(1));
    if (squashed.length < n - 1) {
      const left = path.slice(0, squashed.length + 1);
      const remain = path.slice(left.length);
      if (remain[0] === '|') return [left, remain.slice(1)];
    }
    return undefined;
  }
  for (let i = 0; i < n; i++) {
    const c = path.charCodeAt(i);
    if (c === 0x5c) {
      i++;
    } else if (c === 0x2e) {
      if (i === n - 1) return undefined;
      if (path.charCodeAt(i + 1) === 0x23) {
        i += 2;
        if (i === n) return undefined;
        const o = path.charCodeAt(i);
        if (o === 0x5b || o === 0x28) {
          const start = o;
          const end = o === 0x5b ? 0x5d : 0x29;
          i++;
          let depth = 1;
          for (; i < n; i++) {
            const d = path.charCodeAt(i);
            if (d === 0x5c) {
              i++;
            } else if (d === start) {
              depth++;
            } else if (d === end) {
              depth--;
              if (depth === 0) break;
            } else if (d === 0x22) {
              i++;
              for (; i < n; i++) {
                const e = path.charCodeAt(i);
                if (e === 0x5c) i++;
                else if (e === 0x22) break;
              }
            }
          }
        }
      }
    } else if (c === 0x7c) {
      return [path.slice(0, i), path.slice(i + 1)];
    }
  }
  return undefined;
}

const noQuery = (): boolean => false;

function parseArray(c: Ctx, i: number, path: string): number {
  const json = c.json;
  const n = json.length;
  let rp = parseArrayPath(path);
  let pmatch = false;
  let hit = false;
  let h = 0;
  let alog: number[] | undefined;
  let partidx = -1;
  let multires: string[] | undefined;
  let queryIndexes: number[] | undefined;
  if (!rp.arrch) partidx = parseUintPart(rp.part);
  if (!rp.more && rp.piped) {
    c.pipe = rp.pipe;
    c.piped = true;
  }

  // Only queries need the matcher closure; plain index/count paths skip allocating it.
  let procQuery: (qval: Result, parentIndex: number) => boolean = noQuery;
  if (rp.qon) procQuery = (qval: Result, parentIndex: number): boolean => {
    if (rp.qall && !multires) multires = [];
    let res: Result;
    if (qval.type === 'JSON') {
      res = subGet(qval, rp.qpath);
    } else {
      if (rp.qpath !== '') return false;
      res = qval;
    }
    if (!queryMatches(rp, res)) return false;
    if (rp.more) {
      const sp = splitPossiblePipe(rp.path);
      if (sp) {
        // Copy before narrowing the path: the parsed form is cached and shared.
        rp = { ...rp, path: sp[0] };
        c.pipe = sp[1];
        c.piped = true;
      }
      res = subGet(qval, rp.path);
    } else {
      res = qval;
    }
    if (rp.qall) {
      let raw = res.raw;
      if (raw.length === 0) raw = res.string();
      if (raw !== '') {
        multires!.push(raw);
        (queryIndexes ??= []).push(res.index + parentIndex);
      }
      return false;
    }
    if (res === qval) {
      res = new Result(qval.type, qval.raw, qval.str, qval.num, parentIndex);
    } else if (res.exists() && res.indexes === undefined) {
      res.index += parentIndex;
    }
    c.value = res;
    c.hit = true;
    return true;
  };

  while (i < n + 1) {
    if (!rp.arrch) {
      pmatch = partidx === h;
      hit = pmatch && !rp.more;
    }
    h++;
    if (rp.alogok) (alog ??= []).push(i);
    for (; ; i++) {
      let ch: number;
      if (i > n) break;
      else if (i === n) ch = 0x5d;
      else ch = json.charCodeAt(i);
      let num = false;
      switch (ch) {
        case 0x22: {
          const s = i;
          scanString(json, i + 1);
          i = strScan.end;
          if (!strScan.ok) {
            c.hit = false;
            return i;
          }
          if (rp.qon) {
            const raw = json.slice(s, i);
            const qval = new Result('String', raw, strScan.esc ? unescape(raw.slice(1, -1)) : raw.slice(1, -1));
            if (procQuery(qval, s)) return i;
          } else if (hit) {
            if (rp.alogok) break;
            const raw = json.slice(s, i);
            setFound(c, 'String', raw, strScan.esc ? unescape(raw.slice(1, -1)) : raw.slice(1, -1), 0, s);
            return i;
          }
          break;
        }
        case 0x7b:
        case 0x5b:
          if (pmatch && !hit) {
            i = ch === 0x7b ? parseObject(c, i + 1, rp.path) : parseArray(c, i + 1, rp.path);
            hit = c.hit;
            if (hit) {
              if (rp.alogok) break;
              return i;
            }
          } else {
            const s = i;
            i = squashEnd(json, i);
            if (rp.qon) {
              if (procQuery(new Result('JSON', json.slice(s, i)), s)) return i;
            } else if (hit) {
              if (rp.alogok) break;
              setFound(c, 'JSON', json.slice(s, i), '', 0, s);
              return i;
            }
          }
          break;
        case 0x6e: case 0x74: case 0x66: {
          if (ch === 0x6e && i + 1 < n && json.charCodeAt(i + 1) !== 0x75) {
            num = true;
            break;
          }
          const s = i;
          i = literalEnd(json, i);
          const type: GjsonType = ch === 0x74 ? 'True' : ch === 0x66 ? 'False' : 'Null';
          if (rp.qon) {
            if (procQuery(new Result(type, json.slice(s, i)), s)) return i;
          } else if (hit) {
            if (rp.alogok) break;
            setFound(c, type, json.slice(s, i), '', 0, s);
            return i;
          }
          break;
        }
        case 0x2b: case 0x2d: case 0x30: case 0x31: case 0x32: case 0x33: case 0x34:
        case 0x35: case 0x36: case 0x37: case 0x38: case 0x39: case 0x69: case 0x49: case 0x4e:
          num = true;
          break;
        case 0x5d:
          if (rp.arrch && rp.part === '#') {
            if (rp.alogok) {
              let key = rp.alogkey;
              const sp = splitPossiblePipe(key);
              if (sp) {
                key = sp[0];
                c.pipe = sp[1];
                c.piped = true;
              }
              const parts: string[] = [];
              const indexes: number[] = [];
              for (const start of alog!) {
                let idx = start;
                while (idx < n) {
                  const w = json.charCodeAt(idx);
                  if (w === 0x20 || w === 0x09 || w === 0x0d || w === 0x0a) idx++;
                  else break;
                }
                if (idx < n && json.charCodeAt(idx) !== 0x5d) {
                  const elem = parseAnyAt(json, idx);
                  if (elem) {
                    const res = subGet(elem, key);
                    if (res.exists()) {
                      let raw = res.raw;
                      if (raw.length === 0) raw = res.string();
                      parts.push(raw);
                      indexes.push(res.index);
                    }
                  }
                }
              }
              const v = new Result('JSON', '[' + parts.join(',') + ']');
              v.indexes = indexes;
              c.value = v;
              c.hit = true;
              return i + 1;
            }
            c.value = new Result('Number', String(h - 1), '', h - 1);
            c.calcd = true;
            c.hit = true;
            return i + 1;
          }
          if (!c.value.exists()) {
            if (multires && multires.length > 0) {
              const v = new Result('JSON', '[' + multires.join(',') + ']');
              v.indexes = queryIndexes;
              c.value = v;
            } else if (rp.qall) {
              c.value = new Result('JSON', '[]');
            }
          }
          c.hit = false;
          return i + 1;
        default:
          continue;
      }
      if (num) {
        const s = i;
        i = numberEnd(json, i);
        if (rp.qon) {
          const raw = json.slice(s, i);
          if (procQuery(new Result('Number', raw, '', goParseFloat(raw)), s)) return i;
        } else if (hit) {
          if (rp.alogok) break;
          const raw = json.slice(s, i);
          setFound(c, 'Number', raw, '', goParseFloat(raw), s);
          return i;
        }
      }
      break;
    }
  }
  c.hit = false;
  return i;
}

/** Go parseUint on a path component: a non-negative decimal index, or -1. */
function parseUintPart(s: string): number {
  if (s.length === 0) return -1;
  let v = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return -1;
    v = v * 10 + (c - 0x30);
  }
  return v;
}

// ---------------------------------------------------------------------------------------------
// Multipath selectors: {a,b:c} and [a,b]

interface SubSelector { name: string; path: string }

function parseSubSelectors(path: string): { sels: SubSelector[]; rest: string } | undefined {
  let modifier = 0;
  let depth = 1;
  let colon = 0;
  let start = 1;
  const sels: SubSelector[] = [];
  const push = (i: number): void => {
    if (colon === 0) sels.push({ name: '', path: path.slice(start, i) });
    else sels.push({ name: path.slice(start, colon), path: path.slice(colon + 1, i) });
    colon = 0;
    modifier = 0;
    start = i + 1;
  };
  const n = path.length;
  for (let i = 1; i < n; i++) {
    const c = path.charCodeAt(i);
    switch (c) {
      case 0x5c:
        i++;
        break;
      case 0x40:
        if (modifier === 0 && i > 0 && (path[i - 1] === '.' || path[i - 1] === '|')) modifier = i;
        break;
      case 0x3a:
        if (modifier === 0 && colon === 0 && depth === 1) colon = i;
        break;
      case 0x2c:
        if (depth === 1) push(i);
        break;
      case 0x22:
        i++;
        for (; i < n; i++) {
          const d = path.charCodeAt(i);
          if (d === 0x5c) i++;
          else if (d === 0x22) break;
        }
        break;
      case 0x5b: case 0x28: case 0x7b:
        depth++;
        break;
      case 0x5d: case 0x29: case 0x7d:
        depth--;
        if (depth === 0) {
          push(i);
          return { sels, rest: path.slice(i + 1) };
        }
        break;
    }
  }
  return undefined;
}

function nameOfLast(path: string): string {
  for (let i = path.length - 1; i >= 0; i--) {
    const c = path[i];
    if (c === '|' || c === '.') {
      if (i > 0 && path[i - 1] === '\\') continue;
      return path.slice(i + 1);
    }
  }
  return path;
}

function isSimpleName(component: string): boolean {
  for (let i = 0; i < component.length; i++) {
    const c = component.charCodeAt(i);
    if (c < 0x20) return false;
    switch (c) {
      case 0x5b: case 0x5d: case 0x7b: case 0x7d: case 0x28: case 0x29: case 0x23: case 0x7c: case 0x21:
        return false;
    }
  }
  return true;
}

const HEX = '0123456789abcdef';

/** gjson AppendJSONString: encodes s as a JSON string literal, escaping <, > and & like Go. */
export function jsonString(s: string): string {
  let out = '"';
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    let rep: string | undefined;
    if (c < 0x20) {
      rep = c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : c === 0x09 ? '\\t' : '\\u00' + HEX[c >> 4] + HEX[c & 15];
    } else if (c === 0x3e || c === 0x3c || c === 0x26) {
      rep = '\\u00' + HEX[c >> 4] + HEX[c & 15];
    } else if (c === 0x5c) {
      rep = '\\\\';
    } else if (c === 0x22) {
      rep = '\\"';
    } else if (c === 0x2028 || c === 0x2029) {
      rep = '\\u202' + HEX[c & 15];
    } else if (c >= 0xd800 && c < 0xe000) {
      const d = s.charCodeAt(i + 1);
      if (c < 0xdc00 && d >= 0xdc00 && d < 0xe000) {
        i++;
        continue;
      }
      rep = '\\ufffd';
    }
    if (rep !== undefined) {
      out += s.slice(start, i) + rep;
      start = i + 1;
    }
  }
  return out + s.slice(start) + '"';
}

function getMulti(json: string, kind: string, sels: SubSelector[], rest: string): Result {
  let b = kind;
  let count = 0;
  for (const sub of sels) {
    const res = getImpl(json, sub.path);
    if (!res.exists()) continue;
    if (count > 0) b += ',';
    if (kind === '{') {
      if (sub.name.length > 0) {
        b += sub.name[0] === '"' && validJSON(sub.name) ? sub.name : jsonString(sub.name);
      } else {
        const last = nameOfLast(sub.path);
        b += jsonString(isSimpleName(last) ? last : '_');
      }
      b += ':';
    }
    let raw = res.raw;
    if (raw.length === 0) {
      raw = res.string();
      if (raw.length === 0) raw = 'null';
    }
    b += raw;
    count++;
  }
  b += kind === '{' ? '}' : ']';
  let res = new Result('JSON', b);
  if (rest.length > 0) res = subGet(res, rest.slice(1));
  res.index = 0;
  return res;
}

// ---------------------------------------------------------------------------------------------
// Entry points

/** Literal values after '!' in a path: JSON text or true/false/null/nan/inf (any case). */
function execStatic(path: string): [rest: string, json: string] | undefined {
  const name = path.slice(1);
  if (name.length > 0) {
    const c = name.charCodeAt(0);
    if (c === 0x7b || c === 0x5b || c === 0x22 || c === 0x2b || c === 0x2d || (c >= 0x30 && c <= 0x39)) {
      const res = name.slice(0, squashEnd(name, 0));
      return [name.slice(res.length), res];
    }
  }
  let lit = name;
  let rest = '';
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (c === '|' || c === '.') {
      rest = path.slice(i);
      lit = path.slice(1, i);
      break;
    }
  }
  switch (lit.toLowerCase()) {
    case 'true': case 'false': case 'null': case 'nan': case 'inf':
      return [rest, lit];
  }
  return undefined;
}

/**
 * Looks up a gjson path in a JSON document (gjson.Get). Never throws: malformed JSON or paths
 * give whatever partial result gjson gives, usually a non-existent Result; nesting too deep for
 * the JS stack also gives a non-existent Result.
 */
export function get(json: string, path: string): Result {
  try {
    return getImpl(json, path);
  } catch (e) {
    return notFoundOnOverflow(e);
  }
}

function notFoundOnOverflow(e: unknown): Result {
  if (e instanceof RangeError) return new Result();
  throw e;
}

/** Result.Get without the overflow guard: runs path on t.raw and rebases offsets onto t. */
function subGet(t: Result, path: string): Result {
  const r = getImpl(t.raw, path);
  if (r.indexes !== undefined) {
    for (let i = 0; i < r.indexes.length; i++) r.indexes[i] += t.index;
  } else {
    r.index += t.index;
  }
  return r;
}

function getImpl(json: string, path: string): Result {
  if (path.length > 1) {
    const p0 = path.charCodeAt(0);
    if (p0 === 0x40 || p0 === 0x21) {
      const out = p0 === 0x40 ? execModifier(json, path) : execStatic(path);
      if (out) {
        const [rest, rjson] = out;
        if (rest.length > 0 && (rest[0] === '|' || rest[0] === '.')) {
          const res = getImpl(rjson, rest.slice(1));
          res.index = 0;
          res.indexes = undefined;
          return res;
        }
        return parse(rjson);
      }
    }
    if (p0 === 0x5b || p0 === 0x7b) {
      const sub = parseSubSelectors(path);
      if (sub) {
        const rest = sub.rest;
        if (rest.length === 0 || rest[0] === '|' || rest[0] === '.') {
          return getMulti(json, path[0], sub.sels, rest);
        }
      }
    }
  }
  const c: Ctx = { json, value: EMPTY, pipe: '', piped: false, calcd: false, hit: false };
  if (path.length >= 2 && path.charCodeAt(0) === 0x2e && path.charCodeAt(1) === 0x2e) {
    parseArray(c, 0, path.slice(2));
  } else {
    const n = json.length;
    for (let i = 0; i < n; i++) {
      const ch = json.charCodeAt(i);
      if (ch === 0x7b) {
        parseObject(c, i + 1, path);
        break;
      }
      if (ch === 0x5b) {
        parseArray(c, i + 1, path);
        break;
      }
    }
  }
  if (c.piped) {
    const res = subGet(c.value, c.pipe);
    res.index = 0;
    return res;
  }
  if (c.value === EMPTY) return new Result();
  return c.value;
}

/** A shared "not found" sentinel for the scanner context; never returned to callers. */
const EMPTY = new Result();

/** Runs several paths against one document (gjson.GetMany). */
export function getMany(json: string, ...paths: string[]): Result[] {
  return paths.map((p) => get(json, p));
}
