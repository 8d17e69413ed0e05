/** Sprig math functions: int64 arithmetic (wrapping like Go) and decimal-based float helpers. */
import { FuncError, argInt, parseIntBase0, toFloat64, toInt64 } from '../coerce.js';
import { goTypeName } from '../fmt.js';
import type { Define } from '../functions.js';
import { displayString, type Value } from '../value.js';

const wrap = (n: bigint): bigint => BigInt.asIntN(64, n);

/** A finite decimal: mantissa * 10^-scale (shopspring/decimal's model, enough for + - * /). */
interface Dec {
  m: bigint;
  scale: number;
}

/** decimal.NewFromFloat: the shortest decimal that round-trips to the float. */
function decFromFloat(x: number): Dec {
  if (!Number.isFinite(x)) throw new FuncError(`Cannot create a Decimal from ${x}`);
  const e = x.toExponential();
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(e)!;
  const digits = m[2] + (m[3] ?? '');
  const exp = Number(m[4]) - (digits.length - 1);
  const mant = BigInt(m[1] + digits);
  return exp >= 0 ? { m: mant * 10n ** BigInt(exp), scale: 0 } : { m: mant, scale: -exp };
}

function align(a: Dec, b: Dec): [bigint, bigint, number] {
  const s = Math.max(a.scale, b.scale);
  return [a.m * 10n ** BigInt(s - a.scale), b.m * 10n ** BigInt(s - b.scale), s];
}

function decToFloat(d: Dec): number {
  if (d.scale === 0) return Number(d.m);
  const neg = d.m < 0n;
  const abs = (neg ? -d.m : d.m).toString().padStart(d.scale + 1, '0');
  const str = abs.slice(0, abs.length - d.scale) + '.' + abs.slice(abs.length - d.scale);
  return Number((neg ? '-' : '') + str);
}

const DIVISION_PRECISION = 16;

function decOp(op: 'add' | 'sub' | 'mul' | 'div', a: Dec, b: Dec): Dec {
  switch (op) {
    case 'add': {
      const [x, y, s] = align(a, b);
      return { m: x + y, scale: s };
    }
    case 'sub': {
      const [x, y, s] = align(a, b);
      return { m: x - y, scale: s };
    }
    case 'mul':
      return { m: a.m * b.m, scale: a.scale + b.scale };
    case 'div': {
      if (b.m === 0n) throw new FuncError('decimal division by zero');
      // a/b rounded half away from zero to DIVISION_PRECISION places.
      const [x, y] = align(a, b);
      const scaled = x * 10n ** BigInt(DIVISION_PRECISION + 1);
      let q = scaled / y;
      const neg = q < 0n;
      if (neg) q = -q;
      q = (q + 5n) / 10n;
      return { m: neg ? -q : q, scale: DIVISION_PRECISION };
    }
  }
}

function execDecimal(first: Value, rest: Value[], op: 'add' | 'sub' | 'mul' | 'div'): number {
  let acc = decFromFloat(toFloat64(first));
  for (const x of rest) acc = decOp(op, acc, decFromFloat(toFloat64(x)));
  return decToFloat(acc);
}

/** sprig's untilStep, bounded by the caller's reservation. */
export function untilStep(start: number, stop: number, step: number, reserve: (n: number) => void): Value[] {
  const v: Value[] = [];
  if (stop < start) {
    if (step >= 0) return v;
    reserve(Math.ceil((start - stop) / -step));
    for (let i = start; i > stop; i += step) v.push(BigInt(i));
    return v;
  }
  if (step <= 0) return v;
  reserve(Math.ceil((stop - start) / step));
  for (let i = start; i < stop; i += step) v.push(BigInt(i));
  return v;
}

/** Registers the Sprig math functions. */
export function registerMath(def: Define): void {
  def('add1', 1, 1, 'int', ([a]) => wrap(toInt64(a) + 1n));
  def('add', 0, Infinity, 'int', (args) => args.reduce<bigint>((s, x) => wrap(s + toInt64(x)), 0n));
  def('sub', 2, 2, 'int', ([a, b]) => wrap(toInt64(a) - toInt64(b)));
  def('div', 2, 2, 'int', ([a, b]) => {
    const d = toInt64(b);
    if (d === 0n) throw new FuncError('runtime error: integer divide by zero');
    return wrap(toInt64(a) / d);
  });
  def('mod', 2, 2, 'int', ([a, b]) => {
    const d = toInt64(b);
    if (d === 0n) throw new FuncError('runtime error: integer divide by zero');
    return toInt64(a) % d;
  });
  def('mul', 1, Infinity, 'int', ([a, ...rest]) => rest.reduce<bigint>((s, x) => wrap(s * toInt64(x)), toInt64(a)));
  def('randInt', 2, 2, 'int', ([a, b]) => {
    const min = argInt(a);
    const max = argInt(b);
    if (max - min <= 0) throw new FuncError('invalid argument to Intn');
    return BigInt(min + Math.floor(Math.random() * (max - min)));
  });
  def('add1f', 1, 1, 'float', ([a]) => execDecimal(a, [1n], 'add'));
  def('addf', 0, Infinity, 'float', (args) => execDecimal(0, args, 'add'));
  def('subf', 1, Infinity, 'float', ([a, ...r]) => execDecimal(a, r, 'sub'));
  def('divf', 1, Infinity, 'float', ([a, ...r]) => execDecimal(a, r, 'div'));
  def('mulf', 1, Infinity, 'float', ([a, ...r]) => execDecimal(a, r, 'mul'));
  const maxI = ([a, ...r]: Value[]): bigint => r.reduce<bigint>((m, x) => { const v = toInt64(x); return v > m ? v : m; }, toInt64(a));
  const minI = ([a, ...r]: Value[]): bigint => r.reduce<bigint>((m, x) => { const v = toInt64(x); return v < m ? v : m; }, toInt64(a));
  def('max', 1, Infinity, 'int', maxI);
  def('biggest', 1, Infinity, 'int', maxI);
  def('min', 1, Infinity, 'int', minI);
  def('maxf', 1, Infinity, 'float', ([a, ...r]) => r.reduce<number>((m, x) => goMax(m, toFloat64(x)), toFloat64(a)));
  def('minf', 1, Infinity, 'float', ([a, ...r]) => r.reduce<number>((m, x) => goMin(m, toFloat64(x)), toFloat64(a)));
  def('ceil', 1, 1, 'float', ([a]) => Math.ceil(toFloat64(a)));
  def('floor', 1, 1, 'float', ([a]) => Math.floor(toFloat64(a)));
  def('round', 2, 3, 'float', ([a, p, r]) => {
    // The optional threshold is a variadic float64: anything else fails the call.
    if (r !== undefined && typeof r !== 'number') throw new FuncError(`reflect: cannot use ${goTypeName(r)} as type float64 in Call`);
    const roundOn = r === undefined ? 0.5 : r;
    const val = toFloat64(a);
    const pow = 10 ** argInt(p);
    const digit = pow * val;
    const frac = digit - Math.trunc(digit);
    return (frac >= roundOn ? Math.ceil(digit) : Math.floor(digit)) / pow;
  });
  def('int', 1, 1, 'int', ([a]) => toInt64(a));
  def('int64', 1, 1, 'int', ([a]) => toInt64(a));
  def('float64', 1, 1, 'float', ([a]) => toFloat64(a));
  def('toDecimal', 1, 1, 'int', ([a]) => {
    const s = displayString(a);
    if (!/^[+-]?[0-7]+$/.test(s)) return 0n;
    const n = parseIntBase0((s.startsWith('-') ? '-0o' : '0o') + s.replace(/^[+-]/, ''));
    return n ?? 0n;
  });
  def('until', 1, 1, 'value', ([n], cx) => {
    const c = argInt(n);
    return untilStep(0, c, c < 0 ? -1 : 1, cx.reserve);
  });
  def('untilStep', 3, 3, 'value', ([a, b, c], cx) => untilStep(argInt(a), argInt(b), argInt(c), cx.reserve));
  def('seq', 0, Infinity, 'string', (args, cx) => {
    const p = args.map(argInt);
    let list: Value[];
    switch (p.length) {
      case 1: {
        const inc = p[0] < 1 ? -1 : 1;
        list = untilStep(1, p[0] + inc, inc, cx.reserve);
        break;
      }
      case 2: {
        const step = p[1] < p[0] ? -1 : 1;
        list = untilStep(p[0], p[1] + step, step, cx.reserve);
        break;
      }
      case 3: {
        let inc = 1;
        if (p[2] < p[0]) {
          inc = -1;
          if (p[1] > 0) return '';
        }
        list = untilStep(p[0], p[2] + inc, p[1], cx.reserve);
        break;
      }
      default:
        return '';
    }
    return list.join(' ');
  });
}

function goMax(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.max(a, b);
}
function goMin(a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return Math.min(a, b);
}
