/**
 * An upper bound of how deeply a YAML or JSON text nests (flow brackets plus block indentation levels
 * and `- ` markers), found in one pass without parsing. Parsers recurse per level: near the stack's end
 * V8 can abort the whole process (a regular expression compiled without stack left is a fatal OOM), so
 * texts over a bound are refused before any parser sees them. Shared by every YAML/JSON reader.
 */
export function nestingDepth(text: string, stopAbove = Number.POSITIVE_INFINITY): number {
  const indents: number[] = [];
  let flow = 0;
  let deepest = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    let indent = 0;
    while (i < n && text.charCodeAt(i) === 32) {
      indent++;
      i++;
    }
    let dashes = 0;
    let j = i;
    while (j + 1 < n && text.charCodeAt(j) === 45 && text.charCodeAt(j + 1) === 32) {
      dashes++;
      j += 2;
      while (j < n && text.charCodeAt(j) === 32) j++;
    }
    const c0 = text.charCodeAt(i);
    if (flow === 0 && i < n && c0 !== 10 && c0 !== 13 && c0 !== 35) {
      while (indents.length > 0 && indents[indents.length - 1] >= indent) indents.pop();
      indents.push(indent);
    }
    let depth = indents.length + dashes + flow;
    if (depth > deepest) deepest = depth;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      if (c === 10) break;
      if ((c === 34 || c === 39) && opensQuote(text, i)) {
        const close = quoteEnd(text, i);
        if (close !== -1) {
          i = close;
          continue;
        }
      }
      if (c === 91 || c === 123) {
        flow++;
        depth = indents.length + dashes + flow;
        if (depth > deepest) deepest = depth;
      } else if ((c === 93 || c === 125) && flow > 0) flow--;
    }
    if (deepest > stopAbove) return deepest;
    i++;
  }
  return deepest;
}

/** A quote opens a quoted scalar only where a value can start (`don't` is plain text). */
function opensQuote(text: string, i: number): boolean {
  if (i === 0) return true;
  const p = text.charCodeAt(i - 1);
  return p === 32 || p === 9 || p === 91 || p === 123 || p === 44 || p === 58 || p === 45 || p === 63;
}

/** Where the quoted scalar opened at `start` closes on the same line, or -1 (then the quote is plain text). */
function quoteEnd(text: string, start: number): number {
  const q = text.charCodeAt(start);
  for (let k = start + 1; k < text.length; k++) {
    const c = text.charCodeAt(k);
    if (c === 10) return -1;
    if (q === 34 && c === 92) k++;
    else if (c === q) {
      if (q === 39 && text.charCodeAt(k + 1) === 39) k++;
      else return k;
    }
  }
  return -1;
}

/** Deepest nesting accepted in configuration and API documents; real ones stay far below it. */
export const MAX_NESTING_DEPTH = 128;
