// Strict JSON validator with gjson's Valid semantics (RFC 8259 grammar, string
// contents only checked for control characters and escape syntax).

function isWS(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isHex(c: number): boolean {
  return (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function skipWS(d: string, i: number): number {
  while (i < d.length && isWS(d.charCodeAt(i))) i++;
  return i;
}

/** Reads `"key" :` at i (after whitespace); returns the index after the colon or -1. */
function validKey(d: string, i: number): number {
  i = skipWS(d, i);
  if (i >= d.length || d.charCodeAt(i) !== 0x22) return -1;
  i = validString(d, i + 1);
  if (i < 0) return -1;
  i = skipWS(d, i);
  if (i >= d.length || d.charCodeAt(i) !== 0x3a) return -1;
  return i + 1;
}

const OBJ = 0;
const ARR = 1;

/**
 * Validates one value starting at or after i with an explicit stack (no recursion, so any depth
 * works); returns the index after it, or -1 when invalid.
 */
function validValue(d: string, i: number): number {
  const n = d.length;
  const stack: number[] = [];
  for (;;) {
    // A value is expected at i.
    i = skipWS(d, i);
    if (i >= n) return -1;
    const c = d.charCodeAt(i);
    if (c === 0x7b) {
      i = skipWS(d, i + 1);
      if (i < n && d.charCodeAt(i) === 0x7d) {
        i++;
      } else {
        stack.push(OBJ);
        i = validKey(d, i);
        if (i < 0) return -1;
        continue;
      }
    } else if (c === 0x5b) {
      i = skipWS(d, i + 1);
      if (i < n && d.charCodeAt(i) === 0x5d) {
        i++;
      } else {
        stack.push(ARR);
        continue;
      }
    } else {
      switch (c) {
        case 0x22: i = validString(d, i + 1); break;
        case 0x74: i = d.startsWith('rue', i + 1) ? i + 4 : -1; break;
        case 0x66: i = d.startsWith('alse', i + 1) ? i + 5 : -1; break;
        case 0x6e: i = d.startsWith('ull', i + 1) ? i + 4 : -1; break;
        default: i = c === 0x2d || isDigit(c) ? validNumber(d, i) : -1;
      }
      if (i < 0) return -1;
    }
    // A value ended: close containers until a comma asks for the next value.
    for (;;) {
      if (stack.length === 0) return i;
      i = skipWS(d, i);
      if (i >= n) return -1;
      const e = d.charCodeAt(i);
      const top = stack[stack.length - 1];
      if (e === 0x2c) {
        i++;
        if (top === OBJ) {
          i = validKey(d, i);
          if (i < 0) return -1;
        }
        break;
      }
      if ((top === OBJ && e === 0x7d) || (top === ARR && e === 0x5d)) {
        stack.pop();
        i++;
        continue;
      }
      return -1;
    }
  }
}

function validString(d: string, i: number): number {
  const n = d.length;
  for (; i < n; i++) {
    const c = d.charCodeAt(i);
    if (c < 0x20) return -1;
    if (c === 0x5c) {
      i++;
      if (i >= n) return -1;
      const e = d.charCodeAt(i);
      if (e === 0x75) {
        for (let k = 0; k < 4; k++) {
          i++;
          if (i >= n || !isHex(d.charCodeAt(i))) return -1;
        }
      } else if (!(e === 0x22 || e === 0x5c || e === 0x2f || e === 0x62 || e === 0x66 || e === 0x6e || e === 0x72 || e === 0x74)) {
        return -1;
      }
    } else if (c === 0x22) {
      return i + 1;
    }
  }
  return -1;
}

function validNumber(d: string, i: number): number {
  const n = d.length;
  if (d.charCodeAt(i) === 0x2d) {
    i++;
    if (i >= n || !isDigit(d.charCodeAt(i))) return -1;
  }
  if (d.charCodeAt(i) === 0x30) i++;
  else while (i < n && isDigit(d.charCodeAt(i))) i++;
  if (i < n && d.charCodeAt(i) === 0x2e) {
    i++;
    if (i >= n || !isDigit(d.charCodeAt(i))) return -1;
    while (i < n && isDigit(d.charCodeAt(i))) i++;
  }
  if (i < n && (d.charCodeAt(i) === 0x65 || d.charCodeAt(i) === 0x45)) {
    i++;
    if (i < n && (d.charCodeAt(i) === 0x2b || d.charCodeAt(i) === 0x2d)) i++;
    if (i >= n || !isDigit(d.charCodeAt(i))) return -1;
    while (i < n && isDigit(d.charCodeAt(i))) i++;
  }
  return i;
}

/** Reports whether json is one well-formed JSON value surrounded only by whitespace. */
export function validJSON(json: string): boolean {
  const i = validValue(json, 0);
  if (i < 0) return false;
  return skipWS(json, i) === json.length;
}
