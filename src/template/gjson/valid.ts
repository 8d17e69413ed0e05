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

/** Returns the index after the value starting at or after i, or -1 when invalid. */
function validAny(d: string, i: number): number {
  const n = d.length;
  for (; i < n; i++) {
    const c = d.charCodeAt(i);
    if (isWS(c)) continue;
    switch (c) {
      case 0x7b: return validObject(d, i + 1);
      case 0x5b: return validArray(d, i + 1);
      case 0x22: return validString(d, i + 1);
      case 0x74: return d.startsWith('rue', i + 1) ? i + 4 : -1;
      case 0x66: return d.startsWith('alse', i + 1) ? i + 5 : -1;
      case 0x6e: return d.startsWith('ull', i + 1) ? i + 4 : -1;
      default:
        if (c === 0x2d || isDigit(c)) return validNumber(d, i);
        return -1;
    }
  }
  return -1;
}

function skipWS(d: string, i: number): number {
  while (i < d.length && isWS(d.charCodeAt(i))) i++;
  return i;
}

function validObject(d: string, i: number): number {
  i = skipWS(d, i);
  if (i >= d.length) return -1;
  if (d.charCodeAt(i) === 0x7d) return i + 1;
  for (;;) {
    if (i >= d.length || d.charCodeAt(i) !== 0x22) return -1;
    i = validString(d, i + 1);
    if (i < 0) return -1;
    i = skipWS(d, i);
    if (i >= d.length || d.charCodeAt(i) !== 0x3a) return -1;
    i = validAny(d, i + 1);
    if (i < 0) return -1;
    i = skipWS(d, i);
    if (i >= d.length) return -1;
    const c = d.charCodeAt(i);
    if (c === 0x7d) return i + 1;
    if (c !== 0x2c) return -1;
    i = skipWS(d, i + 1);
  }
}

function validArray(d: string, i: number): number {
  i = skipWS(d, i);
  if (i >= d.length) return -1;
  if (d.charCodeAt(i) === 0x5d) return i + 1;
  for (;;) {
    i = validAny(d, i);
    if (i < 0) return -1;
    i = skipWS(d, i);
    if (i >= d.length) return -1;
    const c = d.charCodeAt(i);
    if (c === 0x5d) return i + 1;
    if (c !== 0x2c) return -1;
    i++;
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
  const i = validAny(json, 0);
  if (i < 0) return false;
  return skipWS(json, i) === json.length;
}
