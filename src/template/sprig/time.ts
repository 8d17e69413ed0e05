/** Sprig date functions, with Go layout strings and Go's Duration formatting. The local zone is UTC. */
import { FuncError, argString, argTime } from '../coerce.js';
import type { Define } from '../functions.js';
import { GoTime, ZERO_TIME_NANOS, daysFromCivil, formatGoTime, type Value } from '../value.js';

const NS = 1_000_000_000n;

/** The current time, nanosecond-resolution where the platform allows. */
export function nowTime(): GoTime {
  const ms = BigInt(Date.now());
  const sub = process.hrtime.bigint() % 1_000_000n;
  return new GoTime(ms * 1_000_000n + sub, 0, 'UTC');
}

/**
 * tzdata abbreviations Go prints for zones where ICU only offers "GMT+N":
 * zone -> [standard name, standard offset in seconds, daylight name].
 */
const TZ_ABBREVIATIONS: Record<string, [string, number, string]> = {
  'Asia/Shanghai': ['CST', 8 * 3600, 'CDT'],
  'Asia/Chongqing': ['CST', 8 * 3600, 'CDT'],
  'Asia/Harbin': ['CST', 8 * 3600, 'CDT'],
  'Asia/Taipei': ['CST', 8 * 3600, 'CDT'],
  'Asia/Macau': ['CST', 8 * 3600, 'CDT'],
  'PRC': ['CST', 8 * 3600, 'CDT'],
  'Asia/Hong_Kong': ['HKT', 8 * 3600, 'HKST'],
  'Asia/Tokyo': ['JST', 9 * 3600, 'JDT'],
  'Asia/Seoul': ['KST', 9 * 3600, 'KDT'],
  'Asia/Kolkata': ['IST', 19800, 'IST'],
  'Asia/Calcutta': ['IST', 19800, 'IST'],
  'Asia/Jerusalem': ['IST', 2 * 3600, 'IDT'],
  'Europe/London': ['GMT', 0, 'BST'],
  'Europe/Dublin': ['GMT', 0, 'IST'],
  'Europe/Paris': ['CET', 3600, 'CEST'],
  'Europe/Berlin': ['CET', 3600, 'CEST'],
  'Europe/Madrid': ['CET', 3600, 'CEST'],
  'Europe/Rome': ['CET', 3600, 'CEST'],
  'Europe/Amsterdam': ['CET', 3600, 'CEST'],
  'Europe/Brussels': ['CET', 3600, 'CEST'],
  'Europe/Vienna': ['CET', 3600, 'CEST'],
  'Europe/Zurich': ['CET', 3600, 'CEST'],
  'Europe/Stockholm': ['CET', 3600, 'CEST'],
  'Europe/Oslo': ['CET', 3600, 'CEST'],
  'Europe/Copenhagen': ['CET', 3600, 'CEST'],
  'Europe/Warsaw': ['CET', 3600, 'CEST'],
  'Europe/Prague': ['CET', 3600, 'CEST'],
  'Europe/Athens': ['EET', 2 * 3600, 'EEST'],
  'Europe/Helsinki': ['EET', 2 * 3600, 'EEST'],
  'Europe/Kiev': ['EET', 2 * 3600, 'EEST'],
  'Europe/Kyiv': ['EET', 2 * 3600, 'EEST'],
  'Europe/Moscow': ['MSK', 3 * 3600, 'MSD'],
  'Australia/Sydney': ['AEST', 10 * 3600, 'AEDT'],
  'Australia/Melbourne': ['AEST', 10 * 3600, 'AEDT'],
  'Australia/Brisbane': ['AEST', 10 * 3600, 'AEDT'],
  'Australia/Perth': ['AWST', 8 * 3600, 'AWDT'],
  'Pacific/Auckland': ['NZST', 12 * 3600, 'NZDT'],
  'Africa/Johannesburg': ['SAST', 2 * 3600, 'SAST'],
  'Africa/Cairo': ['EET', 2 * 3600, 'EEST'],
  'Africa/Lagos': ['WAT', 3600, 'WAST'],
  'Africa/Nairobi': ['EAT', 3 * 3600, 'EAT'],
};

const zoneCache = new Map<string, Intl.DateTimeFormat | null>();

function zoneFormatter(zone: string): Intl.DateTimeFormat | null {
  let f = zoneCache.get(zone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone: zone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
        timeZoneName: 'short',
      });
    } catch {
      f = null;
    }
    if (zoneCache.size < 1000) zoneCache.set(zone, f);
  }
  return f;
}

/** time.Time.In(LoadLocation(zone)); unknown zones fall back to UTC as Sprig does. */
export function inZone(t: GoTime, zone: string): GoTime {
  if (zone === 'UTC' || zone === '' || zone === 'Local') return new GoTime(t.unixNanos, 0, 'UTC');
  const f = zoneFormatter(zone);
  if (!f) return new GoTime(t.unixNanos, 0, 'UTC');
  const ms = Number(t.unixSeconds()) * 1000;
  const parts = f.formatToParts(new Date(ms));
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  const local = daysFromCivil(get('year'), get('month'), get('day')) * 86400 + get('hour') * 3600 + get('minute') * 60 + get('second');
  const offset = local - Math.floor(ms / 1000);
  let name = parts.find((p) => p.type === 'timeZoneName')?.value ?? 'UTC';
  const abbr = TZ_ABBREVIATIONS[zone];
  if (abbr) name = offset === abbr[1] ? abbr[0] : abbr[2];
  const m = /^GMT([+-])(\d+)(?::(\d+))?$/.exec(name);
  if (m) name = m[1] + m[2].padStart(2, '0') + (m[3] ? m[3] : '');
  else if (name === 'GMT') name = offset === 0 ? (zone.startsWith('Etc/') || zone === 'GMT' ? 'GMT' : 'GMT') : name;
  return new GoTime(t.unixNanos, offset, name);
}

function timeArg(d: Value): GoTime {
  if (d instanceof GoTime) return d;
  if (typeof d === 'bigint') return new GoTime(d * NS, 0, 'UTC');
  return nowTime();
}

const UNITS: [string, bigint][] = [
  ['ns', 1n],
  ['us', 1000n],
  ['µs', 1000n],
  ['μs', 1000n],
  ['ms', 1_000_000n],
  ['s', NS],
  ['m', 60n * NS],
  ['h', 3600n * NS],
];

/** time.ParseDuration; returns null on error. */
export function parseDuration(s: string): bigint | null {
  let neg = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    neg = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return 0n;
  if (s === '') return null;
  let totalBig = 0n;
  while (s !== '') {
    const m = /^(\d*)(?:\.(\d*))?/.exec(s)!;
    if (m[0] === '' || m[0] === '.') return null;
    s = s.slice(m[0].length);
    const u = /^[^\d.]+/.exec(s);
    if (!u) return null;
    const unit = UNITS.find(([n]) => n === u[0]);
    if (!unit) return null;
    s = s.slice(u[0].length);
    const whole = BigInt(m[1] || '0') * unit[1];
    const fracDigits = m[2] ?? '';
    const frac = fracDigits ? (BigInt(fracDigits) * unit[1]) / 10n ** BigInt(fracDigits.length) : 0n;
    totalBig += whole + frac;
  }
  if (totalBig > 2n ** 63n - 1n) return null;
  return neg ? -totalBig : totalBig;
}

/** time.Duration.String. */
export function durationString(d: bigint): string {
  if (d === 0n) return '0s';
  const neg = d < 0n;
  let u = neg ? -d : d;
  let out: string;
  if (u < NS) {
    let unit: string;
    let div: bigint;
    if (u < 1000n) {
      unit = 'ns';
      div = 1n;
    } else if (u < 1_000_000n) {
      unit = 'µs';
      div = 1000n;
    } else {
      unit = 'ms';
      div = 1_000_000n;
    }
    out = fracString(u, div) + unit;
  } else {
    const h = u / (3600n * NS);
    u -= h * 3600n * NS;
    const m = u / (60n * NS);
    u -= m * 60n * NS;
    out = fracString(u, NS) + 's';
    if (h > 0n) out = `${h}h${m}m${out}`;
    else if (m > 0n) out = `${m}m${out}`;
  }
  return (neg ? '-' : '') + out;
}

function fracString(v: bigint, div: bigint): string {
  const whole = v / div;
  const rem = v % div;
  if (rem === 0n) return whole.toString();
  const width = div.toString().length - 1;
  const frac = rem.toString().padStart(width, '0').replace(/0+$/, '');
  return `${whole}.${frac}`;
}

/** time.Duration.Round(time.Second). */
function roundToSecond(d: bigint): bigint {
  const neg = d < 0n;
  const a = neg ? -d : d;
  let r = (a / NS) * NS;
  if ((a % NS) * 2n >= NS) r += NS;
  return neg ? -r : r;
}

const MONTH_NAMES = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];
const DAY_NAMES = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

/** time.ParseInLocation(layout, value, UTC) for the common layout elements; null on mismatch. */
export function parseGoTime(layout: string, value: string): GoTime | null {
  let year = 1;
  let month = 1;
  let day = 1;
  let hour = 0;
  let min = 0;
  let sec = 0;
  let nanos = 0;
  let pm: boolean | null = null;
  let offset: number | null = null;
  let zoneName = 'UTC';
  let li = 0;
  let vi = 0;
  const num = (min: number, max: number): number | null => {
    let j = vi;
    while (j < value.length && j - vi < max && value[j] >= '0' && value[j] <= '9') j++;
    if (j - vi < min) return null;
    const n = Number(value.slice(vi, j));
    vi = j;
    return n;
  };
  const word = (list: string[], len?: number): number | null => {
    for (let i = 0; i < list.length; i++) {
      const w = len ? list[i].slice(0, len) : list[i];
      if (value.slice(vi, vi + w.length).toLowerCase() === w.toLowerCase()) {
        vi += w.length;
        return i;
      }
    }
    return null;
  };
  const zone = (colon: boolean, z: boolean, short: boolean): boolean => {
    if (z && value[vi] === 'Z') {
      vi++;
      offset = 0;
      return true;
    }
    const re = short ? /^([+-])(\d\d)/ : colon ? /^([+-])(\d\d):(\d\d)/ : /^([+-])(\d\d)(\d\d)/;
    const m = re.exec(value.slice(vi));
    if (!m) return false;
    vi += m[0].length;
    offset = (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3] ?? 0) * 60);
    return true;
  };
  // Go accepts fractional seconds after a seconds field even when the layout has none.
  const fracAfterSeconds = (): void => {
    if (/^[.,][09]/.test(layout.slice(li))) return;
    const f = /^[.,](\d+)/.exec(value.slice(vi));
    if (!f) return;
    vi += f[0].length;
    nanos = Number(f[1].slice(0, 9).padEnd(9, '0'));
  };
  while (li < layout.length) {
    const rest = layout.slice(li);
    const take = (tok: string): boolean => {
      if (rest.startsWith(tok)) {
        li += tok.length;
        return true;
      }
      return false;
    };
    let ok = true;
    if (take('January')) { const m = word(MONTH_NAMES); ok = m !== null; if (m !== null) month = m + 1; }
    else if (take('Jan')) { const m = word(MONTH_NAMES, 3); ok = m !== null; if (m !== null) month = m + 1; }
    else if (take('Monday')) ok = word(DAY_NAMES) !== null;
    else if (take('Mon')) ok = word(DAY_NAMES, 3) !== null;
    else if (take('MST')) { const m = /^[A-Z]{3,5}|^[+-]\d\d/.exec(value.slice(vi)); ok = !!m; if (m) { vi += m[0].length; zoneName = m[0]; if (zoneName === 'UTC' || zoneName === 'GMT') offset = 0; } }
    else if (take('2006')) { const n = num(4, 4); ok = n !== null; if (n !== null) year = n; }
    else if (take('-07:00')) ok = zone(true, false, false);
    else if (take('-0700')) ok = zone(false, false, false);
    else if (take('-07')) ok = zone(false, false, true);
    else if (take('Z07:00')) ok = zone(true, true, false);
    else if (take('Z0700')) ok = zone(false, true, false);
    else if (take('Z07')) ok = zone(false, true, true);
    else if (take('01')) { const n = num(2, 2); ok = n !== null; if (n !== null) month = n; }
    else if (take('02')) { const n = num(2, 2); ok = n !== null; if (n !== null) day = n; }
    else if (take('03')) { const n = num(2, 2); ok = n !== null; if (n !== null) hour = n; }
    else if (take('04')) { const n = num(2, 2); ok = n !== null; if (n !== null) min = n; }
    else if (take('05')) { const n = num(2, 2); ok = n !== null; if (n !== null) { sec = n; fracAfterSeconds(); } }
    else if (take('06')) { const n = num(2, 2); ok = n !== null; if (n !== null) year = n >= 69 ? 1900 + n : 2000 + n; }
    else if (take('_2')) { if (value[vi] === ' ') vi++; const n = num(1, 2); ok = n !== null; if (n !== null) day = n; }
    else if (take('15')) { const n = num(1, 2); ok = n !== null; if (n !== null) hour = n; }
    else if (take('1')) { const n = num(1, 2); ok = n !== null; if (n !== null) month = n; }
    else if (take('2')) { const n = num(1, 2); ok = n !== null; if (n !== null) day = n; }
    else if (take('3')) { const n = num(1, 2); ok = n !== null; if (n !== null) hour = n; }
    else if (take('4')) { const n = num(1, 2); ok = n !== null; if (n !== null) min = n; }
    else if (take('5')) { const n = num(1, 2); ok = n !== null; if (n !== null) { sec = n; fracAfterSeconds(); } }
    else if (take('PM') || take('pm')) { const m = /^(AM|PM)/i.exec(value.slice(vi)); ok = !!m; if (m) { vi += 2; pm = m[1].toUpperCase() === 'PM'; } }
    else if (/^[.,][09]+/.test(rest)) {
      const m = /^[.,][09]+/.exec(rest)!;
      li += m[0].length;
      const f = /^[.,](\d+)/.exec(value.slice(vi));
      if (f) { vi += f[0].length; nanos = Number(f[1].slice(0, 9).padEnd(9, '0')); }
      else ok = m[0][1] === '9';
    } else {
      if (value[vi] !== layout[li]) return null;
      li++;
      vi++;
    }
    if (!ok) return null;
  }
  if (vi !== value.length) return null;
  if (pm !== null) {
    if (hour > 12) return null;
    if (pm && hour < 12) hour += 12;
    if (!pm && hour === 12) hour = 0;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 59) return null;
  const dim = [31, (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
  if (day > dim[month - 1]) return null;
  const off: number = offset ?? 0;
  const secs = BigInt(daysFromCivil(year, month, day)) * 86400n + BigInt(hour * 3600 + min * 60 + sec) - BigInt(off);
  const name = offset === null || (off === 0 && zoneName === 'UTC') ? 'UTC' : zoneName !== 'UTC' ? zoneName : '';
  return new GoTime(secs * NS + BigInt(nanos), off, name);
}

/** Registers the Sprig date functions. */
export function registerTime(def: Define): void {
  def('now', 0, 0, 'value', () => nowTime());
  const dateInZone = (layout: string, d: Value, zone: string): string => formatGoTime(inZone(timeArg(d), zone), layout);
  def('date', 2, 2, 'string', ([f, d]) => dateInZone(argString(f), d, 'Local'));
  def('dateInZone', 3, 3, 'string', ([f, d, z]) => dateInZone(argString(f), d, argString(z)));
  def('date_in_zone', 3, 3, 'string', ([f, d, z]) => dateInZone(argString(f), d, argString(z)));
  def('htmlDate', 1, 1, 'string', ([d]) => dateInZone('2006-01-02', d, 'Local'));
  def('htmlDateInZone', 2, 2, 'string', ([d, z]) => dateInZone('2006-01-02', d, argString(z)));
  const modify = (must: boolean) => ([f, d]: Value[]): Value => {
    const t = argTime(d);
    const dur = parseDuration(argString(f));
    if (dur === null) {
      if (must) throw new FuncError(`time: invalid duration ${JSON.stringify(argString(f))}`);
      return t;
    }
    return new GoTime(t.unixNanos + dur, t.offset, t.zoneName);
  };
  def('dateModify', 2, 2, 'value', modify(false));
  def('date_modify', 2, 2, 'value', modify(false));
  def('mustDateModify', 2, 2, 'value', modify(true));
  def('must_date_modify', 2, 2, 'value', modify(true));
  def('ago', 1, 1, 'string', ([d]) => {
    const t = d instanceof GoTime ? d : typeof d === 'bigint' ? new GoTime(d * NS, 0, 'UTC') : nowTime();
    return durationString(roundToSecond(nowTime().unixNanos - t.unixNanos));
  });
  def('duration', 1, 1, 'string', ([v]) => {
    let n = 0n;
    if (typeof v === 'string') n = /^[+-]?\d+$/.test(v) ? BigInt(v) : 0n;
    else if (typeof v === 'bigint') n = v; // Sprig only accepts int64; template ints are taken as seconds too.
    return durationString(BigInt.asIntN(64, n * NS));
  });
  def('durationRound', 1, 1, 'string', ([v]) => {
    let d = 0n;
    if (typeof v === 'string') d = parseDuration(v) ?? 0n;
    else if (typeof v === 'bigint') d = v;
    else if (v instanceof GoTime) d = nowTime().unixNanos - v.unixNanos;
    const u = d < 0n ? -d : d;
    const H = 3600n * NS;
    const units: [bigint, string][] = [[H * 24n * 365n, 'y'], [H * 24n * 30n, 'mo'], [H * 24n, 'd'], [H, 'h'], [60n * NS, 'm'], [NS, 's']];
    for (const [size, name] of units) if (u > size) return `${u / size}${name}`;
    return '0s';
  });
  const toDate = (must: boolean) => ([f, s]: Value[]): Value => {
    const t = parseGoTime(argString(f), argString(s));
    if (t) return t;
    if (must) throw new FuncError(`parsing time ${JSON.stringify(argString(s))} as ${JSON.stringify(argString(f))}: cannot parse`);
    return new GoTime(ZERO_TIME_NANOS, 0, 'UTC');
  };
  def('toDate', 2, 2, 'value', toDate(false));
  def('mustToDate', 2, 2, 'value', toDate(true));
  def('unixEpoch', 1, 1, 'string', ([d]) => argTime(d).unixSeconds().toString());
}
