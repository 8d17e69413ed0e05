// Wildcard matcher with the semantics of tidwall/match: '*' matches any run of characters,
// '?' exactly one character (code point), '\' escapes the next pattern character.
// A complexity budget bounds the recursion so hostile patterns cannot stall a request.

const NO_MATCH = 0;
const MATCH = 1;
const STOP = 2;

interface Budget { counter: number; limit: number }

function cpLen(s: string, i: number): number {
  const c = s.charCodeAt(i);
  if (c >= 0xd800 && c < 0xdc00 && i + 1 < s.length) {
    const d = s.charCodeAt(i + 1);
    if (d >= 0xdc00 && d < 0xe000) return 2;
  }
  return 1;
}

function cpLenBack(s: string, end: number): number {
  const c = s.charCodeAt(end - 1);
  if (c >= 0xdc00 && c < 0xe000 && end >= 2) {
    const d = s.charCodeAt(end - 2);
    if (d >= 0xd800 && d < 0xdc00) return 2;
  }
  return 1;
}

/** Reverse-matches literal suffix characters after a leading '*'; returns the trimmed pair or null on mismatch. */
function trimSuffix(str: string, pat: string): [string, string] | null {
  while (str.length > 0 && pat.length > 1) {
    let ps = cpLenBack(pat, pat.length);
    const pc = pat.slice(pat.length - ps);
    let esc = false;
    for (let i = 0; ; i++) {
      if (pat.charCodeAt(pat.length - ps - i - 1) !== 0x5c) {
        if ((i & 1) === 1) {
          esc = true;
          ps++;
        }
        break;
      }
    }
    if (pc === '*' && !esc) return [str, pat];
    const ss = cpLenBack(str, str.length);
    const sc = str.slice(str.length - ss);
    if (!((pc === '?' && !esc) || pc === sc)) return null;
    str = str.slice(0, str.length - ss);
    pat = pat.slice(0, pat.length - ps);
  }
  return [str, pat];
}

function run(str: string, pat: string, budget: Budget): number {
  if (budget.counter > budget.limit) return STOP;
  budget.counter++;
  while (pat.length > 0) {
    let wild = false;
    let ps = cpLen(pat, 0);
    let pc = pat.slice(0, ps);
    const ss = str.length > 0 ? cpLen(str, 0) : 0;
    const sc = str.slice(0, ss);
    if (pc === '?') {
      if (ss === 0) return NO_MATCH;
    } else if (pc === '*') {
      while (pat.length > 1 && pat.charCodeAt(1) === 0x2a) pat = pat.slice(1);
      if (pat.length === 1) return MATCH;
      const t = trimSuffix(str, pat);
      if (!t) return NO_MATCH;
      str = t[0];
      pat = t[1];
      if (pat.length === 1) return MATCH;
      const r = run(str, pat.slice(1), budget);
      if (r !== NO_MATCH) return r;
      if (str.length === 0) return NO_MATCH;
      wild = true;
    } else {
      if (ss === 0) return NO_MATCH;
      if (pc === '\\') {
        pat = pat.slice(ps);
        if (pat.length === 0) return NO_MATCH;
        ps = cpLen(pat, 0);
        pc = pat.slice(0, ps);
      }
      if (sc !== pc) return NO_MATCH;
    }
    str = str.slice(ss);
    if (!wild) pat = pat.slice(ps);
  }
  return str.length === 0 ? MATCH : NO_MATCH;
}

/** Matches str against a gjson wildcard pattern, giving up (no match) past maxComp * len(str) steps. */
export function matchLimit(str: string, pattern: string, maxComp = 10000): boolean {
  if (pattern === '*') return true;
  return run(str, pattern, { counter: 0, limit: str.length * maxComp }) === MATCH;
}
