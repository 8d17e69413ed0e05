// JSON re-formatting used by the @pretty and @ugly modifiers, reproducing tidwall/pretty's
// output byte for byte (arrays that fit in `width` stay on one line, optional key sorting).

import { compareBytes } from './scan.js';

/** Formatting options of @pretty. */
export interface PrettyOptions {
  width: number;
  prefix: string;
  indent: string;
  sortKeys: boolean;
}

export const DEFAULT_PRETTY: PrettyOptions = { width: 80, prefix: '', indent: '  ', sortKeys: false };

/** Removes all whitespace outside strings (tidwall/pretty Ugly). */
export function ugly(src: string): string {
  let out = '';
  const n = src.length;
  for (let i = 0; i < n; i++) {
    const c = src.charCodeAt(i);
    if (c <= 0x20) continue;
    if (c !== 0x22) {
      out += src[i];
      continue;
    }
    const s = i;
    for (i = i + 1; i < n; i++) {
      if (src.charCodeAt(i) === 0x22) {
        let j = i - 1;
        while (src.charCodeAt(j) === 0x5c) j--;
        if ((j - i) % 2 !== 0) break;
      }
    }
    out += src.slice(s, Math.min(i + 1, n));
  }
  return out;
}

/** Byte length of a string in UTF-8, because tidwall/pretty measures widths in bytes. */
function utf8Len(s: string, from: number): number {
  let n = 0;
  for (let i = from; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c < 0xdc00) { n += 4; i++; } else n += 3;
  }
  return n;
}

interface Pair { kstart: number; kend: number; vstart: number; vend: number }

/** Mutable output state: buf is the text so far, nl the buf length at the last newline. */
interface Out { buf: string; nl: number; i: number; ok: boolean }

class Printer {
  constructor(private readonly json: string, private readonly opts: PrettyOptions) {}

  any(o: Out, pretty: boolean, indent: string, sortkeys: boolean, tabs: number, max: number): void {
    const json = this.json;
    for (; o.i < json.length; o.i++) {
      const c = json.charCodeAt(o.i);
      if (c <= 0x20) continue;
      if (c === 0x22) return this.str(o);
      if ((c >= 0x30 && c <= 0x39) || c === 0x2d) return this.num(o);
      if (c === 0x7b) return this.obj(o, 0x7b, 0x7d, pretty, indent, sortkeys, tabs, max);
      if (c === 0x5b) return this.obj(o, 0x5b, 0x5d, pretty, indent, sortkeys, tabs, max);
      if (c === 0x74) { o.buf += 'true'; o.i += 4; o.ok = true; return; }
      if (c === 0x66) { o.buf += 'false'; o.i += 5; o.ok = true; return; }
      if (c === 0x6e) { o.buf += 'null'; o.i += 4; o.ok = true; return; }
    }
    o.ok = true;
  }

  str(o: Out): void {
    const json = this.json;
    const s = o.i;
    let i = s + 1;
    for (; i < json.length; i++) {
      if (json.charCodeAt(i) === 0x22) {
        let sc = 0;
        for (let j = i - 1; j > s; j--) {
          if (json.charCodeAt(j) === 0x5c) sc++;
          else break;
        }
        if (sc % 2 === 1) continue;
        i++;
        break;
      }
    }
    o.buf += json.slice(s, i);
    o.i = i;
    o.ok = true;
  }

  num(o: Out): void {
    const json = this.json;
    const s = o.i;
    let i = s + 1;
    for (; i < json.length; i++) {
      const c = json.charCodeAt(i);
      if (c <= 0x20 || c === 0x2c || c === 0x3a || c === 0x5d || c === 0x7d) break;
    }
    o.buf += json.slice(s, i);
    o.i = i;
    o.ok = true;
  }

  tabs(o: Out, indent: string, tabs: number): void {
    o.buf += this.opts.prefix + indent.repeat(tabs);
  }

  /** Appends a newline, replacing a trailing space (left by "[a, b" layout) when there is one. */
  newline(o: Out): void {
    o.nl = o.buf.length;
    if (o.buf.endsWith(' ')) o.buf = o.buf.slice(0, -1) + '\n';
    else o.buf += '\n';
  }

  obj(o: Out, open: number, close: number, pretty: boolean, indent: string, sortkeys: boolean, tabs: number, max: number): void {
    const json = this.json;
    const width = this.opts.width;
    if (width > 0) {
      if (pretty && open === 0x5b && max === -1) {
        const room = width - utf8Len(o.buf, o.nl);
        if (room > 3) {
          const s1 = o.buf.length;
          const s2 = o.i;
          const nl = o.nl;
          this.obj(o, 0x5b, 0x5d, false, '', sortkeys, 0, room);
          if (o.ok && utf8Len(o.buf, s1) <= room) {
            o.nl = nl;
            o.ok = true;
            return;
          }
          o.buf = o.buf.slice(0, s1);
          o.i = s2;
          o.nl = nl;
        }
      } else if (max !== -1 && open === 0x7b) {
        o.ok = false;
        return;
      }
    }
    o.buf += String.fromCharCode(open);
    o.i++;
    const sorting = open === 0x7b && sortkeys;
    const pairs: Pair[] = [];
    let n = 0;
    for (; o.i < json.length; o.i++) {
      const c = json.charCodeAt(o.i);
      if (c <= 0x20) continue;
      if (c === close) {
        if (pretty) {
          if (sorting) o.buf = this.sortPairs(o.buf, pairs);
          if (n > 0) this.newline(o);
          if (o.buf.charCodeAt(o.buf.length - 1) !== open) this.tabs(o, indent, tabs);
        }
        o.buf += String.fromCharCode(close);
        o.i++;
        o.ok = open !== 0x7b;
        return;
      }
      if (open === 0x5b || c === 0x22) {
        if (n > 0) {
          o.buf += ',';
          if (width !== -1 && open === 0x5b) o.buf += ' ';
        }
        const p: Pair = { kstart: 0, kend: 0, vstart: 0, vend: 0 };
        if (pretty) {
          this.newline(o);
          if (sorting) {
            p.kstart = o.i;
            p.vstart = o.buf.length;
          }
          this.tabs(o, indent, tabs + 1);
        }
        if (open === 0x7b) {
          this.str(o);
          if (sorting) p.kend = o.i;
          o.buf += pretty ? ': ' : ':';
        }
        this.any(o, pretty, indent, sortkeys, tabs + 1, max);
        if (max !== -1 && !o.ok) {
          o.ok = false;
          return;
        }
        if (pretty && sorting) {
          p.vend = o.buf.length;
          if (p.kstart > p.kend || p.vstart > p.vend) sortkeys = false;
          else pairs.push(p);
        }
        o.i--;
        n++;
      }
    }
    o.ok = open !== 0x7b;
  }

  sortPairs(buf: string, pairs: Pair[]): string {
    if (pairs.length === 0) return buf;
    const json = this.json;
    const key = (p: Pair): string => json.slice(p.kstart + 1, p.kend - 1);
    const sorted = pairs.slice().sort((a, b) => {
      const d = compareBytes(key(a), key(b));
      return d !== 0 ? d : a.vstart - b.vstart;
    });
    if (sorted.every((p, i) => p === pairs[i])) return buf;
    const vstart = pairs[0].vstart;
    const parts = sorted.map((p) => buf.slice(p.vstart, p.vend));
    return buf.slice(0, vstart) + parts.join(',\n');
  }
}

/** Pretty-prints JSON like tidwall/pretty PrettyOptions (always ends with a newline when non-empty). */
export function prettyJSON(json: string, opts: PrettyOptions = DEFAULT_PRETTY): string {
  const printer = new Printer(json, opts);
  const o: Out = { buf: opts.prefix, nl: 0, i: 0, ok: true };
  printer.any(o, true, opts.indent, opts.sortKeys, 0, -1);
  return o.buf.length > 0 ? o.buf + '\n' : o.buf;
}
