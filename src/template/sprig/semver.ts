/** Sprig's semver and semverCompare (Masterminds/semver v3 rules: loose versions, wildcards, ~, ^, ranges). */
import { FuncError, argString } from '../coerce.js';
import type { Define } from '../functions.js';

interface Version {
  major: number;
  minor: number;
  patch: number;
  pre: string;
  meta: string;
}

const VERSION = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

function parseVersion(s: string): Version {
  const m = VERSION.exec(s.trim());
  if (!m) throw new FuncError('Invalid Semantic Version');
  return { major: Number(m[1]), minor: Number(m[2] ?? 0), patch: Number(m[3] ?? 0), pre: m[4] ?? '', meta: m[5] ?? '' };
}

function versionString(v: Version): string {
  return `${v.major}.${v.minor}.${v.patch}${v.pre ? '-' + v.pre : ''}${v.meta ? '+' + v.meta : ''}`;
}

function comparePre(a: string, b: string): number {
  if (a === b) return 0;
  if (a === '') return 1;
  if (b === '') return -1;
  const x = a.split('.');
  const y = b.split('.');
  for (let i = 0; i < Math.max(x.length, y.length); i++) {
    if (i >= x.length) return -1;
    if (i >= y.length) return 1;
    const nx = /^\d+$/.test(x[i]);
    const ny = /^\d+$/.test(y[i]);
    if (nx && ny) {
      const d = Number(x[i]) - Number(y[i]);
      if (d !== 0) return Math.sign(d);
    } else if (nx !== ny) return nx ? -1 : 1;
    else if (x[i] !== y[i]) return x[i] < y[i] ? -1 : 1;
  }
  return 0;
}

function compare(a: Version, b: Version): number {
  return Math.sign(a.major - b.major) || Math.sign(a.minor - b.minor) || Math.sign(a.patch - b.patch) || comparePre(a.pre, b.pre);
}

/** One parsed constraint term: an inclusive/exclusive range check. */
type Check = (v: Version) => boolean;

const WILD = /^(x|X|\*)$/;

function term(op: string, raw: string): Check {
  const parts = raw.replace(/^v/, '').split(/[-+]/)[0].split('.');
  const wildAt = parts.findIndex((p) => WILD.test(p));
  const given = wildAt >= 0 ? wildAt : parts.length;
  const base = parseVersion(raw.replace(/(^|\.)(x|X|\*)/g, '$10'));
  const dirty = given < 3;
  const upper = (level: number): Version =>
    level === 0 ? { major: base.major + 1, minor: 0, patch: 0, pre: '', meta: '' } : level === 1 ? { major: base.major, minor: base.minor + 1, patch: 0, pre: '', meta: '' } : { major: base.major, minor: base.minor, patch: base.patch + 1, pre: '', meta: '' };
  const preOk = (v: Version): boolean => v.pre === '' || base.pre !== '';
  const lo = (v: Version): boolean => compare(v, base) >= 0;
  const ltUpper = (v: Version, level: number): boolean => compare(v, upper(level)) < 0;
  if (wildAt === 0) return (v) => preOk(v) && op !== '!=' && op !== '<' && op !== '>';
  switch (op) {
    case '':
    case '=':
      return dirty ? (v) => preOk(v) && lo(v) && ltUpper(v, given - 1) : (v) => compare(v, base) === 0;
    case '!=':
      return dirty ? (v) => preOk(v) && !(lo(v) && ltUpper(v, given - 1)) : (v) => preOk(v) && compare(v, base) !== 0;
    case '>':
      return dirty ? (v) => preOk(v) && compare(v, upper(given - 1)) >= 0 : (v) => preOk(v) && compare(v, base) > 0;
    case '<':
      return (v) => preOk(v) && compare(v, base) < 0;
    case '>=':
    case '=>':
      return (v) => preOk(v) && lo(v);
    case '<=':
    case '=<':
      return dirty ? (v) => preOk(v) && ltUpper(v, given - 1) : (v) => preOk(v) && compare(v, base) <= 0;
    case '~':
    case '~>':
      return (v) => preOk(v) && lo(v) && ltUpper(v, given === 1 ? 0 : 1);
    case '^': {
      const level = base.major > 0 || given === 1 ? 0 : base.minor > 0 || given === 2 ? 1 : 2;
      return (v) => preOk(v) && lo(v) && ltUpper(v, level);
    }
  }
  throw new FuncError(`improper constraint: ${op}${raw}`);
}

/** Parses a constraint string into OR-ed groups of AND-ed checks. */
function parseConstraint(c: string): Check[][] {
  return c.split('||').map((group) => {
    const g = group.trim().replace(/\s+-\s+/g, ' - ');
    const tokens = g.split(/\s*,\s*|\s+/).filter((t) => t !== '');
    const checks: Check[] = [];
    for (let i = 0; i < tokens.length; i++) {
      if (tokens[i + 1] === '-' && tokens[i + 2] !== undefined) {
        checks.push(term('>=', tokens[i]), term('<=', tokens[i + 2]));
        i += 2;
        continue;
      }
      const m = /^(!=|>=|=>|<=|=<|~>|[=<>~^]?)\s*(.+)$/.exec(tokens[i]);
      if (!m) throw new FuncError(`improper constraint: ${group}`);
      const version = m[2];
      if (!/^v?(\d+|x|X|\*)(\.(\d+|x|X|\*))?(\.(\d+|x|X|\*))?(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/.test(version)) {
        throw new FuncError(`improper constraint: ${group}`);
      }
      checks.push(term(m[1], version));
    }
    if (checks.length === 0) throw new FuncError(`improper constraint: ${c}`);
    return checks;
  });
}

/** Registers the Sprig semver functions. */
export function registerSemver(def: Define): void {
  def('semver', 1, 1, 'string', ([s]) => versionString(parseVersion(argString(s))));
  def('semverCompare', 2, 2, 'bool', ([c, s]) => {
    const groups = parseConstraint(argString(c));
    const v = parseVersion(argString(s));
    return groups.some((g) => g.every((check) => check(v)));
  });
}
