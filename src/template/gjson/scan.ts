// Low-level lexical scanners shared by the path engine, the modifiers and Result.
// They mirror gjson's permissive scanning: nothing here validates, and malformed
// input yields the same partial results gjson would produce instead of throwing.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** True when the quote at json[i] is preceded by an odd run of backslashes (gjson's escape check, including its lower bound quirk). */
function quoteEscaped(json: string, i: number, lowerBound: number): boolean {
  if (json.charCodeAt(i - 1) !== BACKSLASH) return false;
  let n = 0;
  for (let j = i - 2; j > lowerBound; j--) {
    if (json.charCodeAt(j) !== BACKSLASH) break;
    n++;
  }
  return n % 2 === 0;
}

/** Shared out-parameters of the string scanner, to avoid allocating a tuple per call. */
export const strScan = { end: 0, esc: false, ok: false };

/**
 * Scans a JSON string whose opening quote is at i-1. Sets strScan.end to the index after the
 * closing quote (or where scanning stopped), strScan.esc when it contains a backslash, and
 * strScan.ok when it was terminated.
 */
export function scanString(json: string, i: number): void {
  const n = json.length;
  const fastAfter = i + 24;
  for (; i < n; i++) {
    if (i === fastAfter) {
      // Long string: let the regex engine skip the plain run natively.
      PLAIN_RUN.lastIndex = i;
      PLAIN_RUN.test(json);
      i = PLAIN_RUN.lastIndex;
      if (i >= n) break;
    }
    const ch = json.charCodeAt(i);
    if (ch > BACKSLASH) continue;
    if (ch === QUOTE) {
      strScan.end = i + 1;
      strScan.esc = false;
      strScan.ok = true;
      return;
    }
    if (ch === BACKSLASH) {
      // After an escape only quotes matter, so jump from quote to quote.
      for (let q = json.indexOf('"', i + 1); q >= 0; q = json.indexOf('"', q + 1)) {
        if (quoteEscaped(json, q, 0)) continue;
        strScan.end = q + 1;
        strScan.esc = true;
        strScan.ok = true;
        return;
      }
      i = n;
      break;
    }
  }
  strScan.end = i;
  strScan.esc = false;
  strScan.ok = false;
}

const PLAIN_RUN = /[^"\\]*/y;

/** Index after the container opening at json[i] (a '[', '{' or '('), skipping nested containers and strings. */
export function squashEnd(json: string, i: number): number {
  const n = json.length;
  i++;
  let depth = 1;
  for (; i < n; i++) {
    const ch = json.charCodeAt(i);
    if (ch < QUOTE || ch > 0x7d) continue;
    switch (ch) {
      case QUOTE: {
        const s2 = i + 1;
        let q = json.indexOf('"', s2);
        while (q >= 0 && quoteEscaped(json, q, s2 - 1)) q = json.indexOf('"', q + 1);
        if (q < 0) return n;
        i = q;
        break;
      }
      case 0x7b: case 0x5b: case 0x28:
        depth++;
        break;
      case 0x7d: case 0x5d: case 0x29:
        depth--;
        if (depth === 0) return i + 1;
        break;
    }
  }
  return n;
}

/**
 * Length of the leading value of json when it starts with '[', '{', '(' or '"' (gjson's squash):
 * a string ends at its closing quote, a container at its matching bracket.
 */
export function squash(json: string): string {
  const n = json.length;
  let i = 0;
  let depth = 0;
  if (json.charCodeAt(0) !== QUOTE) {
    i = 1;
    depth = 1;
  }
  for (; i < n; i++) {
    const ch = json.charCodeAt(i);
    if (ch < QUOTE || ch > 0x7d) continue;
    switch (ch) {
      case QUOTE: {
        i++;
        const s2 = i;
        for (; i < n; i++) {
          const c2 = json.charCodeAt(i);
          if (c2 > BACKSLASH) continue;
          if (c2 === QUOTE) {
            if (quoteEscaped(json, i, s2 - 1)) continue;
            break;
          }
        }
        if (depth === 0) {
          if (i >= n) return json;
          return json.slice(0, i + 1);
        }
        break;
      }
      case 0x7b: case 0x5b: case 0x28:
        depth++;
        break;
      case 0x7d: case 0x5d: case 0x29:
        depth--;
        if (depth === 0) return json.slice(0, i + 1);
        break;
    }
  }
  return json;
}

/** End index of a number token starting at i (up to whitespace, ',', ']' or '}'). */
export function numberEnd(json: string, i: number): number {
  const n = json.length;
  i++;
  for (; i < n; i++) {
    const ch = json.charCodeAt(i);
    if (ch <= 0x20 || ch === 0x2c || ch === 0x5d || ch === 0x7d) return i;
  }
  return n;
}

/** End index of a lowercase literal token (true/false/null...) starting at i. */
export function literalEnd(json: string, i: number): number {
  const n = json.length;
  i++;
  for (; i < n; i++) {
    const ch = json.charCodeAt(i);
    if (ch < 0x61 || ch > 0x7a) return i;
  }
  return n;
}

/** Raw number text at the start of json, as gjson's tonum cuts it (stops at whitespace, ',', ']' or '}'). */
export function toNumRaw(json: string): string {
  const n = json.length;
  for (let i = 1; i < n; i++) {
    const ch = json.charCodeAt(i);
    if (ch <= 0x2d) {
      if (ch <= 0x20 || ch === 0x2c) return json.slice(0, i);
    } else if (ch === 0x5d || ch === 0x7d) {
      return json.slice(0, i);
    }
  }
  return json;
}

/** Raw literal text at the start of json (first char plus following lowercase letters). */
export function toLit(json: string): string {
  return json.slice(0, literalEnd(json, 0));
}

/** Raw string token at the start of json (which begins with '"') and its unescaped value, per gjson's tostr. */
export function toStr(json: string): [raw: string, str: string] {
  const n = json.length;
  for (let i = 1; i < n; i++) {
    const ch = json.charCodeAt(i);
    if (ch > BACKSLASH) continue;
    if (ch === QUOTE) return [json.slice(0, i + 1), json.slice(1, i)];
    if (ch === BACKSLASH) {
      i++;
      for (; i < n; i++) {
        const c2 = json.charCodeAt(i);
        if (c2 > BACKSLASH) continue;
        if (c2 === QUOTE) {
          if (quoteEscaped(json, i, 0)) continue;
          return [json.slice(0, i + 1), unescape(json.slice(1, i))];
        }
      }
      const raw = i + 1 < n ? json.slice(0, i + 1) : json.slice(0, i);
      return [raw, unescape(json.slice(1, i))];
    }
  }
  return [json, json.slice(1)];
}

function hex4(json: string, i: number): number {
  // Go's strconv.ParseUint(s[:4], 16) yields 0 on any syntax error.
  let v = 0;
  for (let k = 0; k < 4; k++) {
    const c = json.charCodeAt(i + k);
    let d: number;
    if (c >= 0x30 && c <= 0x39) d = c - 0x30;
    else if (c >= 0x61 && c <= 0x66) d = c - 0x57;
    else if (c >= 0x41 && c <= 0x46) d = c - 0x37;
    else return 0;
    v = v * 16 + d;
  }
  return v;
}

/**
 * Unescapes the body of a JSON string the way gjson does: it stops at a control character or an
 * unknown escape, and lone surrogates become U+FFFD.
 */
export function unescape(json: string): string {
  let out = '';
  let start = 0;
  const n = json.length;
  for (let i = 0; i < n; i++) {
    const ch = json.charCodeAt(i);
    if (ch < 0x20) return out + json.slice(start, i);
    if (ch !== BACKSLASH) continue;
    out += json.slice(start, i);
    i++;
    if (i >= n) return out;
    switch (json.charCodeAt(i)) {
      case BACKSLASH: out += '\\'; break;
      case 0x2f: out += '/'; break;
      case 0x62: out += '\b'; break;
      case 0x66: out += '\f'; break;
      case 0x6e: out += '\n'; break;
      case 0x72: out += '\r'; break;
      case 0x74: out += '\t'; break;
      case QUOTE: out += '"'; break;
      case 0x75: {
        if (i + 5 > n) return out;
        let r = hex4(json, i + 1);
        i += 5;
        if (r >= 0xd800 && r < 0xe000) {
          if (n - i >= 6 && json.charCodeAt(i) === BACKSLASH && json.charCodeAt(i + 1) === 0x75) {
            const r2 = hex4(json, i + 2);
            r = r < 0xdc00 && r2 >= 0xdc00 && r2 < 0xe000 ? 0x10000 + ((r - 0xd800) << 10) + (r2 - 0xdc00) : 0xfffd;
            i += 6;
          } else {
            r = 0xfffd;
          }
        }
        out += String.fromCodePoint(r);
        i--;
        break;
      }
      default:
        return out;
    }
    start = i + 1;
  }
  return out + json.slice(start);
}

/** gjson's trim: strips every char <= ' ' from both ends. */
export function trim(s: string): string {
  let a = 0;
  let b = s.length;
  while (a < b && s.charCodeAt(a) <= 0x20) a++;
  while (b > a && s.charCodeAt(b - 1) <= 0x20) b--;
  return a === 0 && b === s.length ? s : s.slice(a, b);
}

const DEC_FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const DEC_FLOAT_US = /^[+-]?(?:[\d_]+\.?[\d_]*|\.[\d_]+)(?:[eE][+-]?[\d_]+)?$/;
const HEX_FLOAT = /^([+-]?)0[xX]((?:[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+))[pP]([+-]?[\d_]+)$/;
const SPECIAL = /^([+-]?)(inf|infinity|nan)$/i;

/** Go's underscoreOK: underscores only between digits, and only after a base prefix. */
function underscoreOK(s: string): boolean {
  let saw = '^';
  let i = 0;
  if (s.length >= 1 && (s[0] === '-' || s[0] === '+')) s = s.slice(1);
  let hex = false;
  if (s.length >= 2 && s[0] === '0' && (s[1] === 'x' || s[1] === 'X')) {
    i = 2;
    saw = '0';
    hex = true;
  }
  for (; i < s.length; i++) {
    const c = s[i];
    if ((c >= '0' && c <= '9') || (hex && /[a-fA-F]/.test(c))) {
      saw = '0';
      continue;
    }
    if (c === '_') {
      if (saw !== '0') return false;
      saw = '_';
      continue;
    }
    if (saw === '_') return false;
    saw = '!';
  }
  return saw !== '_';
}

/** Go's strconv.ParseFloat(s, 64) with the error dropped: 0 on syntax error, +-Inf on overflow. */
export function goParseFloat(s: string): number {
  if (DEC_FLOAT.test(s)) return Number(s);
  const sp = SPECIAL.exec(s);
  if (sp) {
    if (sp[2].length === 3 && sp[2].toLowerCase() === 'nan') return sp[1] === '' ? NaN : 0;
    return sp[1] === '-' ? -Infinity : Infinity;
  }
  const hx = HEX_FLOAT.exec(s);
  if (hx) {
    if (s.includes('_') && !underscoreOK(s)) return 0;
    const mant = hx[2].replace(/_/g, '');
    const dot = mant.indexOf('.');
    const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
    const fracDigits = dot < 0 ? 0 : mant.length - dot - 1;
    let m = 0;
    for (const d of digits) m = m * 16 + parseInt(d, 16);
    const e = Number(hx[3].replace(/_/g, '')) - 4 * fracDigits;
    const v = m * Math.pow(2, e);
    return hx[1] === '-' ? -v : v;
  }
  if (DEC_FLOAT_US.test(s) && underscoreOK(s)) return Number(s.replace(/_/g, ''));
  return 0;
}

/** Go's strconv.FormatFloat(f, 'f', -1, 64): shortest round-trip digits, never an exponent. */
export function formatFloatF(f: number): string {
  if (Number.isNaN(f)) return 'NaN';
  if (f === Infinity) return '+Inf';
  if (f === -Infinity) return '-Inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  const s = String(f);
  const e = s.indexOf('e');
  if (e < 0) return s;
  const neg = s[0] === '-';
  const mant = s.slice(neg ? 1 : 0, e);
  const exp = Number(s.slice(e + 1));
  const dot = mant.indexOf('.');
  const digits = dot < 0 ? mant : mant.slice(0, dot) + mant.slice(dot + 1);
  const intLen = (dot < 0 ? mant.length : dot) + exp;
  let out: string;
  if (intLen <= 0) out = '0.' + '0'.repeat(-intLen) + digits;
  else if (intLen >= digits.length) out = digits + '0'.repeat(intLen - digits.length);
  else out = digits.slice(0, intLen) + '.' + digits.slice(intLen);
  return neg ? '-' + out : out;
}

/** Compares two strings in UTF-8 byte order (code point order), as Go's string comparison does. */
export function compareBytes(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x < 0xe000;
    const ys = y >= 0xd800 && y < 0xe000;
    // A surrogate encodes a code point above U+FFFF, which sorts after any BMP unit >= U+E000.
    if (xs && !ys && y >= 0xe000) return 1;
    if (ys && !xs && x >= 0xe000) return -1;
    return x < y ? -1 : 1;
  }
  return a.length - b.length;
}
