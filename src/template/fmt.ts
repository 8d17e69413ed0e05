/**
 * A subset of Go's fmt package sufficient for templates: Sprintf with the common verbs, flags, width
 * and precision, and the same `%!verb(type=value)` diagnostics for mismatched arguments.
 */
import { LimitError } from './coerce.js';
import {
  GoTime,
  JsonNode,
  JsonNumber,
  compareGoStrings,
  displayString,
  formatExp,
  formatFixed,
  formatFloatG,
  formatGoTimeDefault,
  goQuote,
  type Value,
} from './value.js';

const MAX_WIDTH = 1 << 20;

interface Flags {
  plus: boolean;
  minus: boolean;
  sharp: boolean;
  space: boolean;
  zero: boolean;
  width: number; // -1 when absent
  prec: number; // -1 when absent
}

/** Go type name of a value, as fmt prints it in diagnostics and %T. */
export function goTypeName(v: Value): string {
  if (v === undefined || v === null) return '<nil>';
  switch (typeof v) {
    case 'boolean':
      return 'bool';
    case 'string':
      return 'string';
    case 'bigint':
      return 'int';
    case 'number':
      return 'float64';
  }
  if (v instanceof JsonNumber) return Number.isInteger(v.num) ? 'int' : 'float64';
  if (v instanceof JsonNode) return 'string';
  if (Array.isArray(v)) return '[]interface {}';
  if (v instanceof Map) return 'map[string]interface {}';
  if (v instanceof GoTime) return 'time.Time';
  if (v instanceof Uint8Array) return '[]uint8';
  return 'interface {}';
}

/** Normalizes a value into the Go value printf receives in the fork (JSON numbers become int or float64). */
function norm(v: Value): Value {
  if (v instanceof JsonNumber) return Number.isInteger(v.num) && Math.abs(v.num) < 2 ** 63 ? BigInt(v.num) : v.num;
  if (v instanceof JsonNode) return v.raw;
  // Lists, dicts and times reach the fork's printf as their fmt.Sprint text.
  if (Array.isArray(v) || v instanceof Map || v instanceof GoTime) return displayString(v);
  if (v instanceof Uint8Array) return Buffer.from(v).toString('utf8');
  return v;
}

function pad(s: string, f: Flags, zeroOk = true): string {
  if (f.width < 0) return s;
  const n = [...s].length;
  if (n >= f.width) return s;
  const fill = f.width - n;
  if (f.minus) return s + ' '.repeat(fill);
  if (f.zero && zeroOk) {
    const m = /^[+\- ]/.exec(s);
    if (m) return m[0] + '0'.repeat(fill) + s.slice(1);
    return '0'.repeat(fill) + s;
  }
  return ' '.repeat(fill) + s;
}

function badVerb(verb: string, v: Value, f?: Flags): string {
  if (v === undefined || v === null) return `%!${verb}(<nil>)`;
  // Go prints the operand with %v and the flags given to the bad verb.
  const shown = f ? formatArg(v, 'v', { ...f, sharp: false }) ?? displayString(v) : displayString(v);
  return `%!${verb}(${goTypeName(v)}=${shown})`;
}

function fmtInteger(n: bigint, verb: string, f: Flags): string {
  const neg = n < 0n;
  let a = neg ? -n : n;
  let digits: string;
  let prefix = '';
  switch (verb) {
    case 'd':
    case 'v':
      digits = a.toString(10);
      break;
    case 'b':
      digits = a.toString(2);
      if (f.sharp) prefix = '0b';
      break;
    case 'o':
    case 'O':
      digits = a.toString(8);
      if (verb === 'O') prefix = '0o';
      else if (f.sharp && digits !== '0') prefix = '0';
      break;
    case 'x':
      digits = a.toString(16);
      if (f.sharp) prefix = '0x';
      break;
    case 'X':
      digits = a.toString(16).toUpperCase();
      if (f.sharp) prefix = '0X';
      break;
    case 'c':
      return pad(String.fromCodePoint(Number(a > 0x10ffffn ? 0xfffdn : a)), f, false);
    case 'q': {
      const ch = String.fromCodePoint(Number(a > 0x10ffffn ? 0xfffdn : a));
      const q = goQuote(ch);
      return pad("'" + q.slice(1, -1).replace(/\\"/g, '"').replace(/'/g, "\\'") + "'", f, false);
    }
    case 'U': {
      let s = 'U+' + a.toString(16).toUpperCase().padStart(4, '0');
      if (f.sharp) s += " '" + String.fromCodePoint(Number(a)) + "'";
      return pad(s, f, false);
    }
    default:
      return '';
  }
  a = 0n;
  if (f.prec >= 0) {
    digits = f.prec === 0 && digits === '0' ? '' : digits.padStart(f.prec, '0');
  }
  const sign = neg ? '-' : f.plus ? '+' : f.space ? ' ' : '';
  let s = sign + prefix + digits;
  if (f.width >= 0 && f.zero && !f.minus && f.prec < 0) {
    const fill = f.width - [...s].length;
    if (fill > 0) s = sign + prefix + '0'.repeat(fill) + digits;
    return s;
  }
  return pad(s, f, false);
}

function fmtFloat(x: number, verb: string, f: Flags): string {
  let s: string;
  switch (verb) {
    case 'v':
    case 'g':
    case 'G':
      s = formatFloatG(x, f.prec, f.sharp);
      if (verb === 'G') s = s.toUpperCase();
      break;
    case 'e':
    case 'E': {
      const p = f.prec < 0 ? 6 : f.prec;
      s = formatExp(x, p);
      if (verb === 'E') s = s.toUpperCase();
      break;
    }
    case 'f':
    case 'F':
      s = formatFixed(x, f.prec < 0 ? 6 : f.prec);
      break;
    default:
      return '';
  }
  if (f.plus && !s.startsWith('-') && !s.startsWith('+')) s = '+' + s;
  else if (f.space && !s.startsWith('-') && !s.startsWith('+')) s = ' ' + s;
  if (s === '+Inf' && !f.plus) s = f.space ? ' Inf' : '+Inf';
  if (!Number.isFinite(x)) return pad(s, f, false);
  return pad(s, f, true);
}

function fmtString(s: string, verb: string, f: Flags): string {
  switch (verb) {
    case 'v':
    case 's': {
      if (f.prec >= 0) s = [...s].slice(0, f.prec).join('');
      return pad(s, f, true);
    }
    case 'q': {
      if (f.prec >= 0) s = [...s].slice(0, f.prec).join('');
      if (f.sharp && !s.includes('`') && !/[\x00-\x08\x0b-\x1f\x7f]/.test(s)) return pad('`' + s + '`', f, true);
      let q = goQuote(s);
      if (f.plus) q = q.replace(/[^\x00-\x7f]/gu, (c) => { const cp = c.codePointAt(0)!; return cp < 0x10000 ? '\\u' + cp.toString(16).padStart(4, '0') : '\\U' + cp.toString(16).padStart(8, '0'); });
      return pad(q, f, true);
    }
    case 'x':
    case 'X': {
      const bytes = Buffer.from(f.prec >= 0 ? [...s].slice(0, f.prec).join('') : s, 'utf8');
      const parts: string[] = [];
      for (const b of bytes) {
        let h = b.toString(16).padStart(2, '0');
        if (verb === 'X') h = h.toUpperCase();
        parts.push(h);
      }
      let out: string;
      if (f.space) out = parts.map((p) => (f.sharp ? (verb === 'X' ? '0X' : '0x') + p : p)).join(' ');
      else out = (f.sharp && parts.length ? (verb === 'X' ? '0X' : '0x') : '') + parts.join('');
      return pad(out, f, true);
    }
    default:
      return '';
  }
}

/** Formats one argument for one verb; returns '' when the verb does not apply (caller reports it). */
function formatArg(v: Value, verb: string, f: Flags): string | null {
  v = norm(v);
  if (verb === 'T') return pad(goTypeName(v), f, false);
  if (verb === 'v' && f.sharp && typeof v === 'string') return pad(goQuote(v), f, false);
  if (v === undefined || v === null) {
    if (verb === 'v') return pad('<nil>', f, false);
    return null;
  }
  if (typeof v === 'boolean') {
    if (verb === 'v' || verb === 't') return pad(v ? 'true' : 'false', f, false);
    return null;
  }
  if (typeof v === 'bigint') {
    if ('dvbcoOqxXU'.includes(verb)) return fmtInteger(v, verb, f);
    return null;
  }
  if (typeof v === 'number') {
    if ('vgGeEfF'.includes(verb)) return fmtFloat(v, verb, f);
    return null;
  }
  if (typeof v === 'string') {
    if ('vsqxX'.includes(verb)) return fmtString(v, verb, f);
    return null;
  }
  if (v instanceof GoTime) {
    if (verb === 'v' || verb === 's') return fmtString(formatGoTimeDefault(v), 's', f);
    if (verb === 'q') return fmtString(formatGoTimeDefault(v), 'q', f);
    return null;
  }
  if (v instanceof Uint8Array) {
    if (verb === 's' || verb === 'q' || verb === 'x' || verb === 'X') return fmtString(Buffer.from(v).toString('utf8'), verb, f);
    const inner = Array.from(v).map((b) => formatArg(BigInt(b), verb, { ...f, width: -1 }) ?? badVerb(verb, BigInt(b)));
    return pad('[' + inner.join(' ') + ']', f, false);
  }
  if (Array.isArray(v)) {
    const noWidth = { ...f, width: -1 };
    const inner = v.map((e) => formatArg(e, verb, noWidth) ?? badVerb(verb, norm(e)));
    return pad('[' + inner.join(' ') + ']', f, false);
  }
  if (v instanceof Map) {
    const noWidth = { ...f, width: -1 };
    const keys = [...v.keys()].sort(compareGoStrings);
    const inner = keys.map((k) => `${formatArg(k, verb, noWidth) ?? badVerb(verb, k)}:${formatArg(v.get(k), verb, noWidth) ?? badVerb(verb, norm(v.get(k)))}`);
    return pad('map[' + inner.join(' ') + ']', f, false);
  }
  return null;
}

/** Go's fmt.Sprintf over engine values. */
export function sprintf(format: string, args: Value[]): string {
  let out = '';
  let argi = 0;
  let reordered = false;
  const n = format.length;
  let i = 0;
  while (i < n) {
    const pct = format.indexOf('%', i);
    if (pct < 0) {
      out += format.slice(i);
      break;
    }
    out += format.slice(i, pct);
    i = pct + 1;
    const f: Flags = { plus: false, minus: false, sharp: false, space: false, zero: false, width: -1, prec: -1 };
    flags: for (; i < n; i++) {
      switch (format[i]) {
        case '+': f.plus = true; break;
        case '-': f.minus = true; f.zero = false; break;
        case '#': f.sharp = true; break;
        case ' ': f.space = true; break;
        case '0': f.zero = !f.minus; break;
        default: break flags;
      }
    }
    const argIndex = (): void => {
      const m = /^\[(\d+)\]/.exec(format.slice(i));
      if (m) {
        argi = Number(m[1]) - 1;
        i += m[0].length;
        reordered = true;
      }
    };
    argIndex();
    if (format[i] === '*') {
      i++;
      const a = norm(args[argi++]);
      if (typeof a === 'bigint') {
        f.width = Number(a);
        if (f.width < 0) { f.minus = true; f.zero = false; f.width = -f.width; }
      } else out += '%!(BADWIDTH)';
      argIndex();
    } else {
      const m = /^\d+/.exec(format.slice(i));
      if (m) { f.width = Number(m[0]); i += m[0].length; }
    }
    if (format[i] === '.') {
      i++;
      argIndex();
      if (format[i] === '*') {
        i++;
        const a = norm(args[argi++]);
        if (typeof a === 'bigint' && a >= 0n) f.prec = Number(a);
        else out += '%!(BADPREC)';
        argIndex();
      } else {
        const m = /^\d+/.exec(format.slice(i));
        f.prec = m ? Number(m[0]) : 0;
        if (m) i += m[0].length;
      }
    }
    if (i >= n) {
      out += '%!(NOVERB)';
      break;
    }
    // Go would allocate whatever width or precision it is given; cap it rather than exhaust memory.
    if (f.width > MAX_WIDTH || f.prec > MAX_WIDTH) throw new LimitError(`width or precision above ${MAX_WIDTH}`);
    const verb = String.fromCodePoint(format.codePointAt(i)!);
    i += verb.length;
    if (verb === '%') {
      out += '%';
      continue;
    }
    if (argi >= args.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    const v = args[argi++];
    const s = formatArg(v, verb, f);
    out += s ?? badVerb(verb, norm(v), f);
  }
  if (!reordered && argi < args.length) {
    out += '%!(EXTRA ' + args.slice(argi).map((a) => { const v = norm(a); return v === undefined || v === null ? '<nil>' : `${goTypeName(v)}=${displayString(v)}`; }).join(', ') + ')';
  }
  return out;
}
