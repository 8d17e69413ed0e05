/** Sprig list, dict, default and JSON functions. */
import {
  FuncError,
  argBool,
  argDict,
  argInt,
  argString,
  asList,
  deepEqual,
  goKind,
  isEmpty,
  strval,
  toInt64,
} from '../coerce.js';
import type { Define } from '../functions.js';
import { GoTime, JsonNode, JsonNumber, compareGoStrings, formatFloatV, formatGoTime, type Value } from '../value.js';
import { strslice } from './strings.js';

function needList(v: Value, what: string): Value[] {
  const l = asList(v);
  if (!l) throw new FuncError(`Cannot ${what} on type ${goKind(v)}`);
  return l;
}

/** Go encoding/json string encoding (HTML-safe unless raw). */
function jsonString(s: string, escapeHtml: boolean): string {
  let out = '"';
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (cp < 0x20) {
      if (ch === '\n') out += '\\n';
      else if (ch === '\r') out += '\\r';
      else if (ch === '\t') out += '\\t';
      else out += '\\u00' + cp.toString(16).padStart(2, '0');
    } else if (escapeHtml && (ch === '<' || ch === '>' || ch === '&')) out += '\\u00' + cp.toString(16).padStart(2, '0');
    else if (cp === 0x2028 || cp === 0x2029) out += '\\u' + cp.toString(16);
    else if (cp >= 0xd800 && cp < 0xe000) out += '\\ufffd';
    else out += ch;
  }
  return out + '"';
}

/** encoding/json float64 encoding. */
function jsonFloat(x: number): string {
  if (!Number.isFinite(x)) throw new FuncError(`json: unsupported value: ${x}`);
  const abs = Math.abs(x);
  if (abs !== 0 && (abs < 1e-6 || abs >= 1e21)) {
    return x.toExponential().replace(/e([+-])(\d)$/, 'e$10$2').replace(/e\+/, 'e+').replace(/e([+-])0(\d)$/, 'e$1$2');
  }
  return String(x);
}

/** Marshals a value the way encoding/json does; JSON from the data is emitted as JSON (not a string). */
export function toJsonText(v: Value, escapeHtml: boolean, indent: string | null, level = 0): string {
  const nl = (l: number): string => (indent === null ? '' : '\n' + indent.repeat(l));
  const colon = indent === null ? ':' : ': ';
  if (v === undefined || v === null) return 'null';
  switch (typeof v) {
    case 'string':
      return jsonString(v, escapeHtml);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'number':
      return jsonFloat(v);
  }
  if (v instanceof JsonNumber) return v.raw;
  if (v instanceof JsonNode) return reformatRawJson(v.raw, escapeHtml, indent, level);
  if (Array.isArray(v)) {
    if (v.length === 0) return '[]';
    return '[' + v.map((x) => nl(level + 1) + toJsonText(x, escapeHtml, indent, level + 1)).join(',') + nl(level) + ']';
  }
  if (v instanceof Map) {
    if (v.size === 0) return '{}';
    const keys = [...v.keys()].sort(compareGoStrings);
    return '{' + keys.map((k) => nl(level + 1) + jsonString(k, escapeHtml) + colon + toJsonText(v.get(k), escapeHtml, indent, level + 1)).join(',') + nl(level) + '}';
  }
  if (v instanceof GoTime) return jsonString(formatGoTime(v, '2006-01-02T15:04:05.999999999Z07:00'), escapeHtml);
  if (v instanceof Uint8Array) return jsonString(Buffer.from(v).toString('base64'), escapeHtml);
  return 'null';
}

/**
 * Re-emits raw JSON the way encoding/json emits a json.RawMessage: compacted (or indented), strings
 * kept as written except for HTML escaping, member order and duplicates preserved.
 */
function reformatRawJson(raw: string, escapeHtml: boolean, indent: string | null, level: number): string {
  let out = '';
  let depth = level;
  const nl = (d: number): string => (indent === null ? '' : '\n' + indent.repeat(d));
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '"') {
      let j = i + 1;
      while (j < raw.length && raw[j] !== '"') j += raw[j] === '\\' ? 2 : 1;
      let s = raw.slice(i, j + 1);
      if (escapeHtml) s = s.replace(/[<>&]/g, (x) => '\\u00' + x.charCodeAt(0).toString(16));
      out += s.replace(/[\u2028\u2029]/g, (x) => '\\u' + x.charCodeAt(0).toString(16));
      i = j;
    } else if (c === '{' || c === '[') {
      let j = i + 1;
      while (j < raw.length && ' \t\r\n'.includes(raw[j])) j++;
      if (raw[j] === (c === '{' ? '}' : ']')) {
        out += c + raw[j];
        i = j;
      } else {
        depth++;
        out += c + nl(depth);
      }
    } else if (c === '}' || c === ']') {
      depth--;
      out += nl(depth) + c;
    } else if (c === ',') out += ',' + nl(depth);
    else if (c === ':') out += indent === null ? ':' : ': ';
    else if (c !== ' ' && c !== '\t' && c !== '\r' && c !== '\n') out += c;
  }
  return out;
}

/** encoding/json Unmarshal into interface{}: numbers become float64. */
function fromJsonValue(x: unknown): Value {
  if (x === null) return null;
  if (typeof x === 'string' || typeof x === 'boolean') return x;
  // A float64 inside a decoded value prints with Go's %v ("1", "2.5").
  if (typeof x === 'number') return new JsonNumber(formatFloatV(x), x);
  if (Array.isArray(x)) return x.map(fromJsonValue);
  const m = new Map<string, Value>();
  for (const [k, v] of Object.entries(x as Record<string, unknown>)) m.set(k, fromJsonValue(v));
  return m;
}

function parseJson(s: string): Value {
  try {
    return fromJsonValue(JSON.parse(s));
  } catch (e) {
    throw new FuncError((e as Error).message);
  }
}

function copyValue(v: Value): Value {
  if (Array.isArray(v)) return v.map(copyValue);
  if (v instanceof Map) return new Map([...v].map(([k, x]) => [k, copyValue(x)]));
  return v;
}

/** mergo.Merge: fill keys missing (or empty) in dst from src, recursing into nested maps. */
function mergeInto(dst: Map<string, Value>, src: Map<string, Value>, overwrite: boolean): void {
  for (const [k, sv] of src) {
    const dv = dst.get(k);
    const dMap = dv instanceof Map ? dv : null;
    const sMap = sv instanceof Map ? sv : sv instanceof JsonNode && !sv.isArray ? argDict(sv) : null;
    if (dMap && sMap) mergeInto(dMap, sMap, overwrite);
    else if (!dst.has(k) || isEmpty(dv) || (overwrite && !isEmpty(sv))) dst.set(k, sv);
  }
}

/** Registers the Sprig list, dict, default and JSON functions. */
export function registerCollections(def: Define): void {
  const any = (name: string, min: number, max: number, f: (a: Value[]) => Value): void => def(name, min, max, 'any', f);
  const val = (name: string, min: number, max: number, f: (a: Value[]) => Value): void => def(name, min, max, 'value', f);
  const both = (name: string, min: number, max: number, f: (a: Value[]) => Value, kind: 'any' | 'value' = 'value'): void => {
    def(name, min, max, kind, f);
    def('must' + name[0].toUpperCase() + name.slice(1), min, max, kind, f);
  };

  val('list', 0, Infinity, (a) => a.slice());
  val('tuple', 0, Infinity, (a) => a.slice());
  both('append', 2, 2, ([l, v]) => [...needList(l, 'push'), v]);
  both('push', 2, 2, ([l, v]) => [...needList(l, 'push'), v]);
  both('prepend', 2, 2, ([l, v]) => [v, ...needList(l, 'prepend')]);
  both('first', 1, 1, ([l]) => { const x = needList(l, 'find first'); return x.length ? x[0] : null; }, 'any');
  both('last', 1, 1, ([l]) => { const x = needList(l, 'find last'); return x.length ? x[x.length - 1] : null; }, 'any');
  both('rest', 1, 1, ([l]) => { const x = needList(l, 'find rest'); return x.length ? x.slice(1) : []; });
  both('initial', 1, 1, ([l]) => { const x = needList(l, 'find initial'); return x.length ? x.slice(0, -1) : []; });
  both('reverse', 1, 1, ([l]) => needList(l, 'find reverse').slice().reverse());
  both('compact', 1, 1, ([l]) => needList(l, 'compact').filter((x) => !isEmpty(x)));
  both('uniq', 1, 1, ([l]) => {
    const out: Value[] = [];
    for (const x of needList(l, 'find uniq')) if (!out.some((y) => deepEqual(x, y))) out.push(x);
    return out;
  });
  both('without', 1, Infinity, ([l, ...omit]) => needList(l, 'find without').filter((x) => !omit.some((o) => deepEqual(x, o))));
  both('has', 2, 2, ([needle, hay]) => {
    if (hay === null) return false;
    return needList(hay, 'find has').some((x) => deepEqual(needle, x));
  });
  both('slice', 1, Infinity, ([l, ...idx]) => {
    const x = asList(l);
    if (!x) {
      throw new FuncError(`list should be type of slice or array but ${goKind(l)}`);
    }
    if (x.length === 0) return [];
    const start = idx.length > 0 ? Number(toInt64(idx[0])) : 0;
    const end = idx.length > 1 ? Number(toInt64(idx[1])) : x.length;
    if (start < 0 || end < start || end > x.length) throw new FuncError(`reflect: slice index out of range`);
    return x.slice(start, end);
  });
  val('concat', 0, Infinity, (lists) => {
    const out: Value[] = [];
    for (const l of lists) out.push(...needList(l, 'concat type'));
    return out;
  });
  both('chunk', 2, 2, ([n, l]) => {
    const size = argInt(n);
    const x = needList(l, 'chunk type');
    if (size <= 0) throw new FuncError('runtime error: chunk size must be positive');
    const out: Value[] = [];
    for (let i = 0; i < x.length; i += size) out.push(x.slice(i, i + size));
    return out;
  });
  val('sortAlpha', 1, 1, ([l]) => {
    if (asList(l)) return strslice(l).sort(compareGoStrings);
    return [strval(l)];
  });

  // dicts
  val('dict', 0, Infinity, (a) => {
    const m = new Map<string, Value>();
    for (let i = 0; i < a.length; i += 2) m.set(strval(a[i]), i + 1 < a.length ? a[i + 1] : '');
    return m;
  });
  any('get', 2, 2, ([d, k]) => {
    const m = argDict(d);
    const key = argString(k);
    return m.has(key) ? m.get(key) : '';
  });
  val('set', 3, 3, ([d, k, v]) => {
    const m = argDict(d);
    m.set(argString(k), v);
    return m;
  });
  val('unset', 2, 2, ([d, k]) => {
    const m = argDict(d);
    m.delete(argString(k));
    return m;
  });
  def('hasKey', 2, 2, 'bool', ([d, k]) => argDict(d).has(argString(k)));
  val('pluck', 1, Infinity, ([k, ...ds]) => {
    const key = argString(k);
    const out: Value[] = [];
    for (const d of ds) {
      const m = argDict(d);
      if (m.has(key)) out.push(m.get(key));
    }
    return out;
  });
  val('keys', 0, Infinity, (ds) => ds.flatMap((d) => [...argDict(d).keys()]));
  val('values', 1, 1, ([d]) => [...argDict(d).values()]);
  val('pick', 1, Infinity, ([d, ...ks]) => {
    const m = argDict(d);
    const out = new Map<string, Value>();
    for (const k of ks.map(argString)) if (m.has(k)) out.set(k, m.get(k));
    return out;
  });
  val('omit', 1, Infinity, ([d, ...ks]) => {
    const m = argDict(d);
    const drop = new Set(ks.map(argString));
    return new Map([...m].filter(([k]) => !drop.has(k)));
  });
  for (const [name, overwrite] of [['merge', false], ['mustMerge', false], ['mergeOverwrite', true], ['mustMergeOverwrite', true]] as const) {
    val(name, 1, Infinity, ([d, ...srcs]) => {
      const dst = argDict(d);
      for (const s of srcs) mergeInto(dst, argDict(s), overwrite);
      return dst;
    });
  }
  any('dig', 3, Infinity, (ps) => {
    const d = argDict(ps[ps.length - 1]);
    const dflt = ps[ps.length - 2];
    const ks = ps.slice(0, -2).map((k) => {
      if (typeof k !== 'string') throw new FuncError(`interface conversion: interface {} is ${goKind(k)}, not string`);
      return k;
    });
    let cur: Map<string, Value> = d;
    for (let i = 0; i < ks.length; i++) {
      if (!cur.has(ks[i])) return dflt;
      const step = cur.get(ks[i]);
      if (i === ks.length - 1) return step;
      cur = argDict(step);
    }
    return dflt;
  });
  any('deepCopy', 1, 1, ([v]) => copyValue(v));
  any('mustDeepCopy', 1, 1, ([v]) => copyValue(v));

  // defaults
  any('default', 1, Infinity, ([d, ...given]) => (given.length === 0 || isEmpty(given[0]) ? d : given[0]));
  def('empty', 1, 1, 'bool', ([v]) => isEmpty(v));
  any('coalesce', 0, Infinity, (a) => a.find((x) => !isEmpty(x)) ?? null);
  def('all', 0, Infinity, 'bool', (a) => a.every((x) => !isEmpty(x)));
  def('any', 0, Infinity, 'bool', (a) => a.some((x) => !isEmpty(x)));
  any('ternary', 3, 3, ([t, f, c]) => (argBool(c) ? t : f));

  // JSON
  any('fromJson', 1, 1, ([s]) => {
    try {
      return parseJson(argString(s));
    } catch (e) {
      if (e instanceof FuncError && !(e.message.startsWith('reflect'))) return null;
      throw e;
    }
  });
  any('mustFromJson', 1, 1, ([s]) => parseJson(argString(s)));
  for (const [name, html, indent] of [
    ['toJson', true, null],
    ['mustToJson', true, null],
    ['toPrettyJson', true, '  '],
    ['mustToPrettyJson', true, '  '],
    ['toRawJson', false, null],
    ['mustToRawJson', false, null],
  ] as const) {
    // toJson and toPrettyJson swallow marshalling errors (empty output); the others report them.
    const lenient = name === 'toJson' || name === 'toPrettyJson';
    def(name, 1, 1, 'string', ([v]) => {
      try {
        return toJsonText(v, html, indent);
      } catch (e) {
        if (lenient && e instanceof FuncError) return '';
        throw e;
      }
    });
  }
}
