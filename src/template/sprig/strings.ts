/** Sprig string functions. */
import { randomInt } from 'node:crypto';
import { FuncError, argInt, argString, asList, strval } from '../coerce.js';
import type { Define } from '../functions.js';
import { goQuote, type Value } from '../value.js';

const utf8 = (s: string): Buffer => Buffer.from(s, 'utf8');

/** strings.Repeat panics on a negative count; Sprig lets that surface as an error. */
function nonNegative(n: number): number {
  if (n < 0) throw new FuncError('strings: negative Repeat count');
  return n;
}

/** Go's strings.TrimSpace whitespace (unicode.IsSpace). */
const GO_SPACE = '\t\n\v\f\r \u0085\u00A0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200A\u2028\u2029\u202F\u205F\u3000';
const isGoSpace = (c: string): boolean => GO_SPACE.includes(c);

function trimSet(s: string, cut: string, left: boolean, right: boolean): string {
  const chars = [...s];
  const set = new Set([...cut]);
  let a = 0;
  let b = chars.length;
  if (left) while (a < b && set.has(chars[a])) a++;
  if (right) while (b > a && set.has(chars[b - 1])) b--;
  return chars.slice(a, b).join('');
}

/** Sprig's strslice: a list of strings from a slice (nil elements dropped) or a single value. */
export function strslice(v: Value): string[] {
  const l = asList(v);
  if (l) return l.filter((x) => x !== null && x !== undefined).map(strval);
  if (v === null || v === undefined) return [];
  return [strval(v)];
}

function isLetter(c: string): boolean {
  return /\p{L}/u.test(c);
}

/** strings.Title: upper-cases the first letter of each word. */
function goTitle(s: string): string {
  let prev = ' ';
  let out = '';
  for (const c of s) {
    const sep = isTitleSeparator(prev);
    out += sep ? c.toUpperCase() : c;
    prev = c;
  }
  return out;
}
function isTitleSeparator(c: string): boolean {
  if (c.length === 1 && c.charCodeAt(0) < 0x80) return !/[A-Za-z0-9_]/.test(c);
  if (isLetter(c) || /\p{Nd}/u.test(c)) return false;
  return isGoSpace(c);
}

const isConn = (c: string): boolean => c === '-' || c === '_' || isGoSpace(c);
const isUpper = (c: string): boolean => c !== c.toLowerCase() && c === c.toUpperCase();

/** xstrings.ToPascalCase (Sprig v3's camelcase): words joined, each capitalised, runs of capitals lowered. */
function camelCase(s: string): string {
  const rs = [...s];
  if (rs.length === 0) return '';
  let out = '';
  let i = 0;
  let r0 = '';
  let firstUpper = false;
  for (; i < rs.length; ) {
    r0 = rs[i++];
    if (!isConn(r0)) {
      firstUpper = isUpper(r0);
      r0 = r0.toUpperCase();
      break;
    }
    out += r0;
  }
  // A string of one rune (or only connectors) ends here; xstrings writes the last rune once more.
  if (i >= rs.length) return out + r0;
  for (; i < rs.length; i++) {
    const r1 = r0;
    r0 = rs[i];
    if (isConn(r0) && isConn(r1)) {
      out += r1;
      continue;
    }
    if (isConn(r1)) {
      firstUpper = isUpper(r0);
      r0 = r0.toUpperCase();
    } else {
      if (firstUpper) {
        if (isUpper(r0)) r0 = r0.toLowerCase();
        else firstUpper = false;
      }
      out += r1;
    }
  }
  return out + r0;
}

const enum Word {
  Invalid,
  Number,
  Upper,
  Alphabet,
  Connector,
  Punct,
  Other,
}

const PUNCT = /^\p{P}$/u;
const NUMBER = /^\p{N}$/u;
const LETTER = /^\p{L}$/u;
/** xstrings' isAlphabet: a letter that is not a CJK ideograph. */
function isAlphabet(c: string): boolean {
  if (!LETTER.test(c)) return false;
  const cp = c.codePointAt(0)!;
  return !((cp >= 0x4e00 && cp <= 0x9fcc) || (cp >= 0x3400 && cp <= 0x4d85) || (cp >= 0x20000 && cp <= 0x2b81d) || (cp >= 0xf900 && cp <= 0xfad9));
}

/** xstrings' nextWord: classifies and returns the next word (as rune count) of rs from i. */
function nextWord(rs: string[], i: number): [Word, number] {
  const n = rs.length;
  if (i >= n) return [Word.Invalid, i];
  const r = rs[i];
  let j = i + 1;
  if (isConn(r)) {
    while (j < n && isConn(rs[j])) j++;
    return [Word.Connector, j];
  }
  if (PUNCT.test(r)) {
    while (j < n && PUNCT.test(rs[j])) j++;
    return [Word.Punct, j];
  }
  if (isUpper(r)) {
    if (j < n && isUpper(rs[j])) {
      while (j < n && isUpper(rs[j])) j++;
      // "HTTPServer": the last capital starts the next word.
      if (j < n && isAlphabet(rs[j])) j--;
    } else if (j < n && isAlphabet(rs[j])) {
      while (j < n && isAlphabet(rs[j]) && !isUpper(rs[j])) j++;
    }
    return [Word.Upper, j];
  }
  if (isAlphabet(r)) {
    while (j < n && isAlphabet(rs[j]) && !isUpper(rs[j])) j++;
    return [Word.Alphabet, j];
  }
  if (NUMBER.test(r)) {
    while (j < n && NUMBER.test(rs[j])) j++;
    return [Word.Number, j];
  }
  while (j < n && !isConn(rs[j]) && !isAlphabet(rs[j]) && !NUMBER.test(rs[j]) && !PUNCT.test(rs[j])) j++;
  return [Word.Other, j];
}

/** xstrings' camelCaseToLowerCase (ToSnakeCase / ToKebabCase). */
function toLowerWords(s: string, connector: string): string {
  const rs = [...s];
  if (rs.length === 0) return '';
  let out = '';
  const lower = (wt: Word, a: number, b: number): void => {
    const word = rs.slice(a, b);
    if (wt !== Word.Upper && wt !== Word.Connector) {
      out += word.join('');
      return;
    }
    for (const c of word) out += isConn(c) ? connector : c.toLowerCase();
  };
  let start = 0;
  let [wt, end] = nextWord(rs, 0);
  while (end < rs.length) {
    if (wt !== Word.Connector) lower(wt, start, end);
    const prev = wt;
    const lastStart = start;
    const lastEnd = end;
    start = end;
    [wt, end] = nextWord(rs, start);
    switch (prev) {
      case Word.Number:
        while (wt === Word.Alphabet || wt === Word.Number) {
          lower(wt, start, end);
          start = end;
          [wt, end] = nextWord(rs, start);
        }
        if (wt !== Word.Invalid && wt !== Word.Punct && wt !== Word.Connector) out += connector;
        break;
      case Word.Connector:
        lower(prev, lastStart, lastEnd);
        break;
      case Word.Punct:
        break;
      default: {
        if (wt !== Word.Number) {
          if (wt !== Word.Connector && wt !== Word.Punct) out += connector;
          break;
        }
        if (end >= rs.length) break;
        const numStart = start;
        const numEnd = end;
        start = end;
        [wt, end] = nextWord(rs, start);
        if (wt !== Word.Alphabet) {
          lower(Word.Number, numStart, numEnd);
          if (wt !== Word.Connector && wt !== Word.Punct) out += connector;
          break;
        }
        out += connector;
        lower(Word.Number, numStart, numEnd);
        while (wt === Word.Alphabet || wt === Word.Number) {
          lower(wt, start, end);
          start = end;
          [wt, end] = nextWord(rs, start);
        }
        if (wt !== Word.Invalid && wt !== Word.Connector && wt !== Word.Punct) out += connector;
      }
    }
  }
  lower(wt, start, end);
  return out;
}

function swapCase(s: string): string {
  let out = '';
  for (const c of s) {
    const u = c.toUpperCase();
    const l = c.toLowerCase();
    out += c === u && c !== l ? l : c === l && c !== u ? u : c;
  }
  return out;
}

function initials(s: string): string {
  let out = '';
  let prevSpace = true;
  for (const c of s) {
    const sp = isGoSpace(c);
    if (prevSpace && !sp) out += c;
    prevSpace = sp;
  }
  return out;
}

/** goutils.AbbreviateFull. */
function abbreviateFull(s: string, offset: number, maxWidth: number): string {
  if (s === '') return '';
  const b = utf8(s);
  const n = b.length;
  const sub = (x: number, y?: number): string => b.subarray(x, y).toString('utf8');
  if (n <= maxWidth) return s;
  if (offset > n) offset = n;
  if (n - offset < maxWidth - 3) offset = n - (maxWidth - 3);
  if (offset <= 4) return sub(0, maxWidth - 3) + '...';
  if (offset + maxWidth - 3 < n) return '...' + abbreviateFull(sub(offset), 0, maxWidth - 3);
  return '...' + sub(n - (maxWidth - 3));
}

/** goutils.WrapCustom (Java WordUtils.wrap). */
function wrapCustom(str: string, wrapLength: number, newLine: string, wrapLong: boolean): string {
  if (str === '') return '';
  if (newLine === '') newLine = '\n';
  if (wrapLength < 1) wrapLength = 1;
  const rs = [...str];
  const len = rs.length;
  let offset = 0;
  let out = '';
  while (len - offset > wrapLength) {
    if (rs[offset] === ' ') {
      offset++;
      continue;
    }
    const window = rs.slice(offset, offset + wrapLength + 1);
    let spaceToWrapAt = window.lastIndexOf(' ');
    if (spaceToWrapAt >= 0 && spaceToWrapAt <= wrapLength) {
      spaceToWrapAt += offset;
      out += rs.slice(offset, spaceToWrapAt).join('') + newLine;
      offset = spaceToWrapAt + 1;
    } else if (wrapLong) {
      out += rs.slice(offset, offset + wrapLength).join('') + newLine;
      offset += wrapLength;
    } else {
      const rest = rs.slice(offset + wrapLength);
      const idx = rest.indexOf(' ');
      if (idx >= 0) {
        spaceToWrapAt = idx + offset + wrapLength;
        out += rs.slice(offset, spaceToWrapAt).join('') + newLine;
        offset = spaceToWrapAt + 1;
      } else {
        out += rs.slice(offset).join('');
        offset = len;
      }
    }
  }
  return out + rs.slice(offset).join('');
}

const ALPHA = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
const NUM = '0123456789';
function randomFrom(chars: string, n: number): string {
  let out = '';
  for (let i = 0; i < n; i++) out += chars[randomInt(chars.length)];
  return out;
}
const ASCII_PRINT = Array.from({ length: 94 }, (_, i) => String.fromCharCode(33 + i)).join('');

/** Registers the Sprig string functions. */
export function registerStrings(def: Define): void {
  const s1 = (name: string, f: (s: string) => string): void => def(name, 1, 1, 'string', ([a]) => f(argString(a)));
  s1('trim', (s) => trimSet(s, GO_SPACE, true, true));
  s1('upper', (s) => s.toUpperCase());
  s1('lower', (s) => s.toLowerCase());
  s1('title', goTitle);
  s1('untitle', (s) => {
    // goutils.Uncapitalize lowers the first letter of every whitespace-separated word.
    let out = '';
    let prevSpace = true;
    for (const c of s) {
      out += prevSpace ? c.toLowerCase() : c;
      prevSpace = isGoSpace(c);
    }
    return out;
  });
  s1('nospace', (s) => [...s].filter((c) => !isGoSpace(c)).join(''));
  s1('initials', initials);
  s1('swapcase', swapCase);
  s1('shuffle', (s) => {
    const c = [...s];
    for (let i = c.length - 1; i > 0; i--) {
      const j = randomInt(i + 1);
      [c[i], c[j]] = [c[j], c[i]];
    }
    return c.join('');
  });
  s1('snakecase', (s) => toLowerWords(s, '_'));
  s1('kebabcase', (s) => toLowerWords(s, '-'));
  s1('camelcase', camelCase);

  def('substr', 3, 3, 'string', ([a, b, c]) => {
    let start = argInt(a);
    let end = argInt(b);
    const s = utf8(argString(c));
    if (start < 0) start = 0;
    else if (end < 0 || end > s.length) end = s.length;
    if (start > end || end > s.length) throw new FuncError(`runtime error: slice bounds out of range [${start}:${end}]`);
    return s.subarray(start, end).toString('utf8');
  });
  def('repeat', 2, 2, 'string', ([n, s], cx) => {
    const count = argInt(n);
    const str = argString(s);
    if (count < 0) throw new FuncError('strings: negative Repeat count');
    cx.reserve(count * str.length);
    return str.repeat(count);
  });
  const trim2 = (name: string, f: (cut: string, s: string) => string): void =>
    def(name, 2, 2, 'string', ([a, b]) => f(argString(a), argString(b)));
  trim2('trimall', (cut, s) => trimSet(s, cut, true, true));
  trim2('trimAll', (cut, s) => trimSet(s, cut, true, true));
  trim2('trimSuffix', (suf, s) => (suf && s.endsWith(suf) ? s.slice(0, s.length - suf.length) : s));
  trim2('trimPrefix', (pre, s) => (pre && s.startsWith(pre) ? s.slice(pre.length) : s));
  def('contains', 2, 2, 'bool', ([a, b]) => argString(b).includes(argString(a)));
  def('hasPrefix', 2, 2, 'bool', ([a, b]) => argString(b).startsWith(argString(a)));
  def('hasSuffix', 2, 2, 'bool', ([a, b]) => argString(b).endsWith(argString(a)));

  def('abbrev', 2, 2, 'string', ([w, s]) => {
    const width = argInt(w);
    const str = argString(s);
    return width < 4 ? str : abbreviateFull(str, 0, width);
  });
  def('abbrevboth', 3, 3, 'string', ([l, r, s]) => {
    const left = argInt(l);
    const right = argInt(r);
    const str = argString(s);
    if (right < 4 || (left > 0 && right < 7)) return str;
    return abbreviateFull(str, left, right);
  });
  def('trunc', 2, 2, 'string', ([n, s]) => {
    const c = argInt(n);
    const b = utf8(argString(s));
    if (c < 0 && b.length + c > 0) return b.subarray(b.length + c).toString('utf8');
    if (c >= 0 && b.length > c) return b.subarray(0, c).toString('utf8');
    return b.toString('utf8');
  });
  def('wrap', 2, 2, 'string', ([n, s]) => wrapCustom(argString(s), argInt(n), '', false));
  def('wrapWith', 3, 3, 'string', ([n, sep, s]) => wrapCustom(argString(s), argInt(n), argString(sep), true));

  def('quote', 0, Infinity, 'string', (args) =>
    args.filter((a) => a !== null).map((a) => goQuote(strval(a))).join(' '),
  );
  def('squote', 0, Infinity, 'string', (args) =>
    args.filter((a) => a !== null).map((a) => `'${strval(a)}'`).join(' '),
  );
  def('cat', 0, Infinity, 'string', (args) => args.filter((a) => a !== null).map(strval).join(' '));
  def('indent', 2, 2, 'string', ([n, s], cx) => {
    const pad = ' '.repeat(nonNegative(argInt(n)));
    const str = argString(s);
    cx.reserve(str.length + pad.length * (1 + (str.match(/\n/g)?.length ?? 0)));
    return pad + str.replace(/\n/g, '\n' + pad);
  });
  def('nindent', 2, 2, 'string', ([n, s], cx) => {
    const pad = ' '.repeat(nonNegative(argInt(n)));
    const str = argString(s);
    cx.reserve(str.length + pad.length * (1 + (str.match(/\n/g)?.length ?? 0)));
    return '\n' + pad + str.replace(/\n/g, '\n' + pad);
  });
  def('replace', 3, 3, 'string', ([o, n, s], cx) => {
    const old = argString(o);
    const nu = argString(n);
    const src = argString(s);
    if (old === '') {
      const parts = [...src];
      cx.reserve(src.length + nu.length * (parts.length + 1));
      return nu + parts.map((c) => c + nu).join('');
    }
    const out = src.split(old);
    cx.reserve(src.length + (out.length - 1) * nu.length);
    return out.join(nu);
  });
  def('plural', 3, 3, 'string', ([one, many, n]) => {
    // Go checks every parameter type before the call.
    const o = argString(one);
    const m = argString(many);
    return argInt(n) === 1 ? o : m;
  });

  def('split', 2, 2, 'value', ([sep, s]) => splitToDict(argString(s).split(argString(sep))));
  def('splitn', 3, 3, 'value', ([sep, n, s]) => splitToDict(splitN(argString(s), argString(sep), argInt(n))));
  def('splitList', 2, 2, 'value', ([sep, s]) => splitGo(argString(s), argString(sep)));
  def('join', 2, 2, 'string', ([sep, v]) => strslice(v).join(argString(sep)));
  def('toString', 1, 1, 'string', ([v]) => strval(v));
  def('toStrings', 1, 1, 'value', ([v]) => strslice(v));
  def('atoi', 1, 1, 'int', ([a]) => {
    const s = argString(a);
    if (!/^[+-]?\d+$/.test(s)) return 0n;
    const n = BigInt(s);
    return n === BigInt.asIntN(64, n) ? n : 0n;
  });

  def('randAlphaNum', 1, 1, 'string', ([n], cx) => {
    const c = argInt(n);
    cx.reserve(c);
    return randomFrom(ALPHA + NUM, Math.max(0, c));
  });
  def('randAlpha', 1, 1, 'string', ([n], cx) => {
    const c = argInt(n);
    cx.reserve(c);
    return randomFrom(ALPHA, Math.max(0, c));
  });
  def('randNumeric', 1, 1, 'string', ([n], cx) => {
    const c = argInt(n);
    cx.reserve(c);
    return randomFrom(NUM, Math.max(0, c));
  });
  def('randAscii', 1, 1, 'string', ([n], cx) => {
    const c = argInt(n);
    cx.reserve(c);
    return randomFrom(ASCII_PRINT, Math.max(0, c));
  });
  def('hello', 0, 0, 'string', () => 'Hello!');
}

/** strings.Split with Go's empty-separator rule (split into UTF-8 sequences). */
function splitGo(s: string, sep: string): string[] {
  if (sep === '') return [...s];
  return s.split(sep);
}

function splitN(s: string, sep: string, n: number): string[] {
  if (n === 0) return [];
  if (n < 0) return splitGo(s, sep);
  if (sep === '') {
    const c = [...s];
    if (c.length <= n) return c;
    return [...c.slice(0, n - 1), c.slice(n - 1).join('')];
  }
  const out: string[] = [];
  let rest = s;
  while (out.length < n - 1) {
    const i = rest.indexOf(sep);
    if (i < 0) break;
    out.push(rest.slice(0, i));
    rest = rest.slice(i + sep.length);
  }
  out.push(rest);
  return out;
}

function splitToDict(parts: string[]): Map<string, Value> {
  const m = new Map<string, Value>();
  parts.forEach((p, i) => m.set('_' + i, p));
  return m;
}
