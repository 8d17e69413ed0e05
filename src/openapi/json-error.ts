/**
 * Finds the offset of the first JSON syntax error, for messages with line and column
 * (Node 20's JSON.parse does not always say where it failed). Iterative: any depth is fine.
 */
export function jsonErrorOffset(text: string): number {
  const n = text.length;
  const stack: string[] = [];
  let i = 0;
  const ws = () => {
    while (i < n && (text[i] === ' ' || text[i] === '\n' || text[i] === '\r' || text[i] === '\t')) i++;
  };
  const str = (): boolean => {
    i++; // opening quote
    while (i < n) {
      const c = text.charCodeAt(i);
      if (c === 0x22) {
        i++;
        return true;
      }
      if (c < 0x20) return false;
      if (c === 0x5c) {
        const e = text[i + 1];
        if (e === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) return false;
          i += 6;
        } else if (e !== undefined && '"\\/bfnrt'.includes(e)) i += 2;
        else return false;
      } else i++;
    }
    return false;
  };
  const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
  const scalar = (): boolean => {
    if (text[i] === '"') return str();
    for (const lit of ['true', 'false', 'null']) {
      if (text.startsWith(lit, i)) {
        i += lit.length;
        return true;
      }
    }
    NUMBER.lastIndex = i;
    if (!NUMBER.test(text)) return false;
    i = NUMBER.lastIndex;
    return true;
  };
  const key = (): boolean => {
    ws();
    if (text[i] !== '"' || !str()) return false;
    ws();
    if (text[i] !== ':') return false;
    i++;
    return true;
  };
  let expectValue = true;
  for (;;) {
    ws();
    if (expectValue) {
      const c = text[i];
      if (c === '{' || c === '[') {
        const close = c === '{' ? '}' : ']';
        stack.push(close);
        i++;
        ws();
        if (text[i] === close) {
          stack.pop();
          i++;
          expectValue = false;
        } else if (c === '{' && !key()) return i;
        continue;
      }
      if (!scalar()) return i;
      expectValue = false;
      continue;
    }
    const close = stack[stack.length - 1];
    if (close === undefined) return i < n ? i : -1;
    const c = text[i];
    if (c === ',') {
      i++;
      if (close === '}' && !key()) return i;
      expectValue = true;
    } else if (c === close) {
      stack.pop();
      i++;
    } else return i;
  }
}
