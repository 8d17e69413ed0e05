// The path modifiers of gjson v1.14.4 (@pretty, @ugly, @reverse, @this, @flatten, @join,
// @valid, @keys, @values, @tostr, @fromstr, @group). Each maps a JSON text and an optional
// argument to a new JSON text; the path engine then continues on that text.

import { Result, jsonString, parse } from './index.js';
import { DEFAULT_PRETTY, type PrettyOptions, prettyJSON, ugly } from './pretty.js';
import { squash, trim } from './scan.js';
import { validJSON } from './valid.js';

type Modifier = (json: string, arg: string) => string;

/** gjson cleanWS: keeps only the whitespace characters of s (used for indent/prefix options). */
function cleanWS(s: string): string {
  return s.replace(/[^ \t\n\r]/g, '');
}

/** gjson unwrap: strips the outer brackets of an array or object text. */
function unwrap(json: string): string {
  json = trim(json);
  if (json.length >= 2 && (json[0] === '[' || json[0] === '{')) json = json.slice(1, -1);
  return json;
}

function modPretty(json: string, arg: string): string {
  if (arg.length === 0) return prettyJSON(json);
  const opts: PrettyOptions = { ...DEFAULT_PRETTY };
  parse(arg).forEach((key, value) => {
    switch (key.string()) {
      case 'sortKeys': opts.sortKeys = value.bool(); break;
      case 'indent': opts.indent = cleanWS(value.string()); break;
      case 'prefix': opts.prefix = cleanWS(value.string()); break;
      case 'width': opts.width = value.int(); break;
    }
    return true;
  });
  return prettyJSON(json, opts);
}

function modReverse(json: string): string {
  const res = parse(json);
  if (res.isArray()) {
    const values: string[] = [];
    res.forEach((_k, v) => {
      values.push(v.raw);
      return true;
    });
    return '[' + values.reverse().join(',') + ']';
  }
  if (res.isObject()) {
    const members: string[] = [];
    res.forEach((k, v) => {
      members.push(k.raw + ':' + v.raw);
      return true;
    });
    return '{' + members.reverse().join(',') + '}';
  }
  return json;
}

/** Reads a boolean option such as {"deep":true} from a modifier argument. */
function boolOption(arg: string, name: string): boolean {
  let on = false;
  if (arg === '') return on;
  parse(arg).forEach((key, value) => {
    if (key.string() === name) on = value.bool();
    return true;
  });
  return on;
}

function modFlatten(json: string, arg: string): string {
  const res = parse(json);
  if (!res.isArray()) return json;
  const deep = boolOption(arg, 'deep');
  const out: string[] = [];
  res.forEach((_k, value) => {
    let raw: string;
    if (value.isArray()) raw = deep ? unwrap(modFlatten(value.raw, arg)) : unwrap(value.raw);
    else raw = value.raw;
    raw = goTrimSpace(raw);
    if (raw.length > 0) out.push(raw);
    return true;
  });
  return '[' + out.join(',') + ']';
}

const GO_SPACE = /^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g;

/** Go strings.TrimSpace (unicode.IsSpace characters at both ends). */
function goTrimSpace(s: string): string {
  return s.replace(GO_SPACE, '');
}

function modKeys(json: string): string {
  const v = parse(json);
  if (!v.exists()) return '[]';
  const obj = v.isObject();
  const out: string[] = [];
  v.forEach((key) => {
    out.push(obj ? key.raw : 'null');
    return true;
  });
  return '[' + out.join(',') + ']';
}

function modValues(json: string): string {
  const v = parse(json);
  if (!v.exists()) return '[]';
  if (v.isArray()) return json;
  const out: string[] = [];
  v.forEach((_k, value) => {
    out.push(value.raw);
    return true;
  });
  return '[' + out.join(',') + ']';
}

function modJoin(json: string, arg: string): string {
  const res = parse(json);
  if (!res.isArray()) return json;
  const preserve = boolOption(arg, 'preserve');
  const out: string[] = [];
  if (preserve) {
    res.forEach((_k, value) => {
      if (value.isObject()) out.push(unwrap(value.raw));
      return true;
    });
  } else {
    const keys: Result[] = [];
    const vals = new Map<string, Result>();
    res.forEach((_k, value) => {
      if (!value.isObject()) return true;
      value.forEach((key, v) => {
        const k = key.string();
        if (!vals.has(k)) keys.push(key);
        vals.set(k, v);
        return true;
      });
      return true;
    });
    for (const key of keys) out.push(key.raw + ':' + vals.get(key.string())!.raw);
  }
  return '{' + out.join(',') + '}';
}

function modValid(json: string): string {
  return validJSON(json) ? json : '';
}

function modFromStr(json: string): string {
  if (!validJSON(json)) return '';
  return parse(json).string();
}

function modToStr(json: string): string {
  return jsonString(json);
}

function modGroup(json: string): string {
  const res = parse(json);
  if (!res.isObject()) return '';
  const all: string[][] = [];
  res.forEach((key, value) => {
    if (!value.isArray()) return true;
    let idx = 0;
    value.forEach((_k, v) => {
      if (idx === all.length) all.push([]);
      all[idx].push(key.raw + ':' + v.raw);
      idx++;
      return true;
    });
    return true;
  });
  return '[' + all.map((members) => '{' + members.join(',') + '}').join(',') + ']';
}

const MODIFIERS = new Map<string, Modifier>([
  ['pretty', modPretty],
  ['ugly', (json) => ugly(json)],
  ['reverse', modReverse],
  ['this', (json) => json],
  ['flatten', modFlatten],
  ['join', modJoin],
  ['valid', modValid],
  ['keys', modKeys],
  ['values', modValues],
  ['tostr', modToStr],
  ['fromstr', modFromStr],
  ['group', modGroup],
]);

/** True when name is one of the built-in modifiers. */
export function isModifierName(name: string): boolean {
  return MODIFIERS.has(name);
}

/**
 * Runs the modifier at the start of path (which begins with '@'). Returns the remaining path and
 * the modifier's output, or undefined when the name is not a modifier.
 */
export function execModifier(json: string, path: string): [rest: string, json: string] | undefined {
  let name = path.slice(1);
  let rest = '';
  let hasArgs = false;
  for (let i = 1; i < path.length; i++) {
    const c = path[i];
    if (c === ':') {
      rest = path.slice(i + 1);
      name = path.slice(1, i);
      hasArgs = rest.length > 0;
      break;
    }
    if (c === '|' || c === '.') {
      rest = path.slice(i);
      name = path.slice(1, i);
      break;
    }
  }
  const fn = MODIFIERS.get(name);
  if (!fn) return undefined;
  let args = '';
  if (hasArgs) {
    let parsed = false;
    const c = rest[0];
    if ((c === '{' || c === '[' || c === '"') && parse(rest).exists()) {
      args = squash(rest);
      rest = rest.slice(args.length);
      parsed = true;
    }
    if (!parsed) {
      const idx = rest.indexOf('|');
      if (idx < 0) {
        args = rest;
        rest = '';
      } else {
        args = rest.slice(0, idx);
        rest = rest.slice(idx);
      }
    }
  }
  return [rest, fn(json, args)];
}
