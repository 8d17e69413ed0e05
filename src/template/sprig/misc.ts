/** Sprig encoding, hash, regex, path, reflection, UUID and URL functions. */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { FuncError, argDict, argInt, argString, deepEqual, goKind, strval } from '../coerce.js';
import { goTypeName } from '../fmt.js';
import type { Define } from '../functions.js';
import type { Value } from '../value.js';

// ---------- regular expressions (Go RE2 syntax translated to JavaScript) ----------

const POSIX: Record<string, string> = {
  alnum: '0-9A-Za-z',
  alpha: 'A-Za-z',
  ascii: '\\x00-\\x7F',
  blank: '\\t ',
  cntrl: '\\x00-\\x1F\\x7F',
  digit: '0-9',
  graph: '!-~',
  lower: 'a-z',
  print: ' -~',
  punct: '!-\\/:-@\\[-`{-~',
  space: '\\t\\n\\v\\f\\r ',
  upper: 'A-Z',
  word: '0-9A-Za-z_',
  xdigit: '0-9A-Fa-f',
};
const JS_SYNTAX = '^$\\.*+?()[]{}|/';

/** Translates a Go regexp to JavaScript source and flags; throws FuncError for syntax Go rejects. */
export function translateGoRegex(src: string): { source: string; flags: string } {
  let flags = '';
  let i = 0;
  let out = '';
  const lead = /^\(\?([imsU]+)\)/.exec(src);
  if (lead) {
    if (lead[1].includes('U')) throw new FuncError(`error parsing regexp: ungreedy flag not supported: \`${src}\``);
    flags = [...new Set(lead[1])].join('');
    i = lead[0].length;
  }
  let inClass = false;
  while (i < src.length) {
    const c = src[i];
    if (c === '\\') {
      const n = src[i + 1];
      if (n === undefined) throw new FuncError(`error parsing regexp: trailing backslash at end of expression: \`\``);
      if (n === 'Q') {
        const end = src.indexOf('\\E', i + 2);
        const lit = end < 0 ? src.slice(i + 2) : src.slice(i + 2, end);
        out += lit.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');
        i = end < 0 ? src.length : end + 2;
        continue;
      }
      if (n === 'z' && !inClass) { out += '(?![\\s\\S])'; i += 2; continue; }
      if (n === 'A' && !inClass) { out += '(?<![\\s\\S])'; i += 2; continue; }
      if (n === 'p' || n === 'P') {
        if (src[i + 2] === '{') {
          const end = src.indexOf('}', i + 3);
          const name = src.slice(i + 3, end);
          out += `\\${n}{${/^(L|Lu|Ll|Lt|Lm|Lo|M|Mn|Mc|Me|N|Nd|Nl|No|P|Pc|Pd|Ps|Pe|Pi|Pf|Po|S|Sm|Sc|Sk|So|Z|Zs|Zl|Zp|C|Cc|Cf|Cs|Co|Cn|Any)$/.test(name) ? name : 'Script=' + name}}`;
          i = end + 1;
        } else {
          out += `\\${n}{${src[i + 2]}}`;
          i += 3;
        }
        continue;
      }
      if (n === 'x' && src[i + 2] === '{') {
        const end = src.indexOf('}', i + 3);
        out += `\\u{${src.slice(i + 3, end)}}`;
        i = end + 1;
        continue;
      }
      if (/[1-9]/.test(n)) throw new FuncError(`error parsing regexp: invalid escape sequence: \`\\${n}\``);
      if (/[!-/:-@[-`{-~]/.test(n) && !JS_SYNTAX.includes(n) && !(inClass && n === '-')) {
        out += n;
        i += 2;
        continue;
      }
      out += c + n;
      i += 2;
      continue;
    }
    if (inClass) {
      if (c === '[' && src[i + 1] === ':') {
        const end = src.indexOf(':]', i + 2);
        if (end > 0) {
          const name = src.slice(i + 2, end);
          const neg = name.startsWith('^');
          const key = neg ? name.slice(1) : name;
          const cls = Object.hasOwn(POSIX, key) ? POSIX[key] : undefined;
          if (!cls) throw new FuncError(`error parsing regexp: invalid character class range: \`[:${name}:]\``);
          if (neg) throw new FuncError('error parsing regexp: negated POSIX classes are not supported here');
          out += cls;
          i = end + 2;
          continue;
        }
      }
      if (c === '[') { out += '\\['; i++; continue; }
      if (c === ']') inClass = false;
      out += c;
      i++;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      i++;
      if (src[i] === '^') { out += '^'; i++; }
      if (src[i] === ']') { out += '\\]'; i++; }
      continue;
    }
    if (c === '(' && src[i + 1] === '?') {
      const rest = src.slice(i + 2);
      if (rest.startsWith('P<')) { out += '(?<'; i += 4; continue; }
      if (rest.startsWith('<') && !rest.startsWith('<=') && !rest.startsWith('<!')) { out += '(?<'; i += 3; continue; }
      if (rest.startsWith(':')) { out += '(?:'; i += 3; continue; }
      throw new FuncError(`error parsing regexp: invalid or unsupported Perl syntax: \`(?${rest.slice(0, 1)}\``);
    }
    out += c;
    i++;
  }
  return { source: out, flags };
}

const regexCache = new Map<string, RegExp | FuncError>();

/** Compiles (once) a Go regexp into a global JavaScript RegExp. */
export function compileGoRegex(src: string): RegExp {
  let r = regexCache.get(src);
  if (r === undefined) {
    try {
      const { source, flags } = translateGoRegex(src);
      try {
        r = new RegExp(source, flags + 'gu');
      } catch {
        r = new RegExp(source, flags + 'g');
      }
    } catch (e) {
      r = e instanceof FuncError ? e : new FuncError(`error parsing regexp: ${(e as Error).message}`);
    }
    if (regexCache.size > 2000) regexCache.clear();
    regexCache.set(src, r);
  }
  if (r instanceof FuncError) throw r;
  return r;
}

interface Match {
  index: number;
  end: number;
  groups: string[];
  named: Record<string, string> | undefined;
}

/** Go's FindAll semantics: empty matches right after a previous match are skipped. */
function findAll(re: RegExp, s: string, n: number): Match[] {
  const out: Match[] = [];
  if (n === 0) return out;
  re.lastIndex = 0;
  let prevEnd = -1;
  while (n < 0 || out.length < n) {
    const m = re.exec(s);
    if (!m) break;
    const end = m.index + m[0].length;
    if (m[0].length === 0) {
      re.lastIndex = m.index + (re.unicode && (s.codePointAt(m.index) ?? 0) > 0xffff ? 2 : 1);
      if (m.index === prevEnd) {
        if (m.index >= s.length) break;
        continue;
      }
    }
    out.push({ index: m.index, end, groups: Array.from(m, (g) => g ?? ''), named: m.groups as Record<string, string> | undefined });
    prevEnd = end;
    if (m.index >= s.length) break;
  }
  re.lastIndex = 0;
  return out;
}

/** Go's Regexp.Expand template syntax: $1, ${1}, $name, ${name}, $$. */
function expand(tpl: string, m: Match): string {
  let out = '';
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl[i];
    if (c !== '$' || i + 1 >= tpl.length) {
      out += c;
      continue;
    }
    if (tpl[i + 1] === '$') {
      out += '$';
      i++;
      continue;
    }
    let name: string;
    if (tpl[i + 1] === '{') {
      const end = tpl.indexOf('}', i + 2);
      name = end < 0 ? '' : tpl.slice(i + 2, end);
      if (end < 0 || !/^[A-Za-z0-9_]+$/.test(name)) {
        out += c;
        continue;
      }
      i = end;
    } else {
      let j = i + 1;
      while (j < tpl.length && /[A-Za-z0-9_]/.test(tpl[j])) j++;
      name = tpl.slice(i + 1, j);
      if (name === '') {
        out += c;
        continue;
      }
      i = j - 1;
    }
    if (/^\d+$/.test(name)) out += m.groups[Number(name)] ?? '';
    else out += m.named?.[name] ?? '';
  }
  return out;
}

function replaceAll(re: RegExp, s: string, repl: (m: Match) => string): string {
  let out = '';
  let last = 0;
  for (const m of findAll(re, s, -1)) {
    out += s.slice(last, m.index) + repl(m);
    last = m.end;
  }
  return out + s.slice(last);
}

function regexSplit(re: RegExp, s: string, n: number): string[] | null {
  if (n === 0) return null;
  if (re.source !== '(?:)' && s.length === 0) return [''];
  const matches = findAll(re, s, n);
  const out: string[] = [];
  let beg = 0;
  let end = 0;
  for (const m of matches) {
    if (n > 0 && out.length === n - 1) break;
    end = m.index;
    if (m.end !== 0) out.push(s.slice(beg, end));
    beg = m.end;
  }
  if (end !== s.length) out.push(s.slice(beg));
  return out;
}

// ---------- paths (Go's path package) ----------

/** path.Clean. */
export function pathClean(p: string): string {
  if (p === '') return '.';
  const rooted = p.startsWith('/');
  const parts: string[] = [];
  for (const seg of p.split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (parts.length && parts[parts.length - 1] !== '..') parts.pop();
      else if (!rooted) parts.push('..');
      continue;
    }
    parts.push(seg);
  }
  const out = (rooted ? '/' : '') + parts.join('/');
  return out === '' ? '.' : out;
}

function pathBase(p: string): string {
  if (p === '') return '.';
  p = p.replace(/\/+$/, '');
  if (p === '') return '/';
  return p.slice(p.lastIndexOf('/') + 1);
}

function pathDir(p: string): string {
  return pathClean(p.slice(0, p.lastIndexOf('/') + 1));
}

function pathExt(p: string): string {
  for (let i = p.length - 1; i >= 0 && p[i] !== '/'; i--) if (p[i] === '.') return p.slice(i);
  return '';
}

// ---------- encodings ----------

function b64decode(s: string): string {
  const clean = s.replace(/[\r\n]/g, '');
  for (let i = 0; i < clean.length; i++) {
    if (!/[A-Za-z0-9+/=]/.test(clean[i])) return `illegal base64 data at input byte ${i}`;
  }
  if (clean.length % 4 !== 0) return `illegal base64 data at input byte ${clean.length - (clean.length % 4)}`;
  const pad = clean.indexOf('=');
  if (pad >= 0 && (pad < clean.length - 2 || !/^=*$/.test(clean.slice(pad)))) return `illegal base64 data at input byte ${pad}`;
  return Buffer.from(clean, 'base64').toString('utf8');
}

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
function b32encode(s: string): string {
  const bytes = Buffer.from(s, 'utf8');
  let out = '';
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += B32[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += B32[(value << (5 - bits)) & 31];
  while (out.length % 8 !== 0) out += '=';
  return out;
}
function b32decode(s: string): string {
  const clean = s.replace(/[\r\n]/g, '');
  if (clean.length % 8 !== 0) return `illegal base32 data at input byte ${clean.length - (clean.length % 8)}`;
  const body = clean.replace(/=+$/, '');
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (let i = 0; i < body.length; i++) {
    const v = B32.indexOf(body[i]);
    if (v < 0) return `illegal base32 data at input byte ${i}`;
    value = ((value << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

function adler32(s: string): number {
  let a = 1;
  let b = 0;
  for (const byte of Buffer.from(s, 'utf8')) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

// ---------- URLs ----------

function urlParse(s: string): Map<string, Value> {
  const m = /^(?:([a-zA-Z][a-zA-Z0-9+.-]*):)?(?:\/\/([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$/.exec(s);
  if (!m) throw new FuncError(`unable to parse url: ${s}`);
  const authority = m[2] ?? '';
  const at = authority.lastIndexOf('@');
  const userinfo = at >= 0 ? authority.slice(0, at) : '';
  const host = at >= 0 ? authority.slice(at + 1) : authority;
  const hostname = host.startsWith('[') ? host.slice(1, host.indexOf(']')) : host.replace(/:\d*$/, '');
  let path = m[3] ?? '';
  let opaque = '';
  if (m[1] && m[2] === undefined && !path.startsWith('/')) {
    opaque = path;
    path = '';
  }
  let decodedPath = path;
  try {
    decodedPath = decodeURIComponent(path);
  } catch {
    /* keep raw */
  }
  return new Map<string, Value>([
    ['scheme', m[1] ?? ''],
    ['host', host],
    ['hostname', hostname],
    ['path', decodedPath],
    ['query', m[4] ?? ''],
    ['opaque', opaque],
    ['fragment', m[5] ?? ''],
    ['userinfo', userinfo],
  ]);
}

function urlJoin(d: Map<string, Value>): string {
  const g = (k: string): string => (d.has(k) ? strval(d.get(k)) : '');
  let out = '';
  const scheme = g('scheme');
  if (scheme) out += scheme + ':';
  if (g('opaque')) out += g('opaque');
  else {
    if (scheme || g('host') || g('userinfo')) {
      out += '//';
      if (g('userinfo')) out += g('userinfo') + '@';
      out += g('host');
    }
    const path = g('path');
    if (path && !path.startsWith('/') && g('host')) out += '/';
    out += encodeURI(path).replace(/%25/g, '%');
  }
  if (g('query')) out += '?' + g('query');
  if (g('fragment')) out += '#' + encodeURIComponent(g('fragment')).replace(/%2F/g, '/');
  return out;
}

/** Registers the Sprig encoding, hash, regex, path, reflection, UUID and URL functions. */
export function registerMisc(def: Define): void {
  // regex
  def('regexMatch', 2, 2, 'bool', ([r, s]) => {
    // Parameter types are checked before the pattern is compiled, as Go's call does.
    const pattern = argString(r);
    const str = argString(s);
    try {
      const re = compileGoRegex(pattern);
      re.lastIndex = 0;
      const ok = re.test(str);
      re.lastIndex = 0;
      return ok;
    } catch (e) {
      if (e instanceof FuncError && e.message.startsWith('error parsing')) return false;
      throw e;
    }
  });
  def('mustRegexMatch', 2, 2, 'bool', ([r, s]) => {
    const re = compileGoRegex(argString(r));
    re.lastIndex = 0;
    const ok = re.test(argString(s));
    re.lastIndex = 0;
    return ok;
  });
  for (const name of ['regexFindAll', 'mustRegexFindAll']) {
    def(name, 3, 3, 'value', ([r, s, n]) => findAll(compileGoRegex(argString(r)), argString(s), argInt(n)).map((m) => m.groups[0]));
  }
  for (const name of ['regexFind', 'mustRegexFind']) {
    def(name, 2, 2, 'string', ([r, s]) => findAll(compileGoRegex(argString(r)), argString(s), 1)[0]?.groups[0] ?? '');
  }
  for (const name of ['regexReplaceAll', 'mustRegexReplaceAll']) {
    def(name, 3, 3, 'string', ([r, s, t]) => {
      const tpl = argString(t);
      return replaceAll(compileGoRegex(argString(r)), argString(s), (m) => expand(tpl, m));
    });
  }
  for (const name of ['regexReplaceAllLiteral', 'mustRegexReplaceAllLiteral']) {
    def(name, 3, 3, 'string', ([r, s, t]) => {
      const lit = argString(t);
      return replaceAll(compileGoRegex(argString(r)), argString(s), () => lit);
    });
  }
  for (const name of ['regexSplit', 'mustRegexSplit']) {
    def(name, 3, 3, 'value', ([r, s, n]) => regexSplit(compileGoRegex(argString(r)), argString(s), argInt(n)));
  }
  def('regexQuoteMeta', 1, 1, 'string', ([s]) => argString(s).replace(/[\\.+*?()|[\]{}^$]/g, '\\$&'));

  // encodings and hashes
  def('b64enc', 1, 1, 'string', ([s]) => Buffer.from(argString(s), 'utf8').toString('base64'));
  def('b64dec', 1, 1, 'string', ([s]) => b64decode(argString(s)));
  def('b32enc', 1, 1, 'string', ([s]) => b32encode(argString(s)));
  def('b32dec', 1, 1, 'string', ([s]) => b32decode(argString(s)));
  for (const [name, alg] of [['sha1sum', 'sha1'], ['sha256sum', 'sha256'], ['sha512sum', 'sha512']] as const) {
    def(name, 1, 1, 'string', ([s]) => createHash(alg).update(argString(s), 'utf8').digest('hex'));
  }
  def('adler32sum', 1, 1, 'string', ([s]) => String(adler32(argString(s))));
  def('uuidv4', 0, 0, 'string', () => randomUUID());
  def('randBytes', 1, 1, 'string', ([n], cx) => {
    const c = argInt(n);
    if (c < 0) throw new FuncError('runtime error: makeslice: len out of range');
    cx.reserve(c * 2);
    return randomBytes(c).toString('base64');
  });

  // paths
  def('base', 1, 1, 'string', ([p]) => pathBase(argString(p)));
  def('dir', 1, 1, 'string', ([p]) => pathDir(argString(p)));
  def('clean', 1, 1, 'string', ([p]) => pathClean(argString(p)));
  def('ext', 1, 1, 'string', ([p]) => pathExt(argString(p)));
  def('isAbs', 1, 1, 'bool', ([p]) => argString(p).startsWith('/'));
  def('osBase', 1, 1, 'string', ([p]) => pathBase(argString(p)));
  def('osDir', 1, 1, 'string', ([p]) => pathDir(argString(p)));
  def('osClean', 1, 1, 'string', ([p]) => pathClean(argString(p)));
  def('osExt', 1, 1, 'string', ([p]) => pathExt(argString(p)));
  def('osIsAbs', 1, 1, 'bool', ([p]) => argString(p).startsWith('/'));

  // reflection
  def('typeOf', 1, 1, 'string', ([v]) => goTypeName(v));
  def('typeIs', 2, 2, 'bool', ([t, v]) => argString(t) === goTypeName(v));
  def('typeIsLike', 2, 2, 'bool', ([t, v]) => {
    const name = goTypeName(v);
    const want = argString(t);
    return want === name || want === '*' + name;
  });
  def('kindOf', 1, 1, 'string', ([v]) => goKind(v));
  def('kindIs', 2, 2, 'bool', ([k, v]) => argString(k) === goKind(v));
  def('deepEqual', 2, 2, 'bool', ([a, b]) => deepEqual(a, b));

  // URLs and flow control
  def('urlParse', 1, 1, 'value', ([s]) => urlParse(argString(s)));
  def('urlJoin', 1, 1, 'string', ([d]) => urlJoin(argDict(d)));
  def('fail', 1, 1, 'string', ([m]) => {
    throw new FuncError(argString(m));
  });
}
