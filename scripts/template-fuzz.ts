/**
 * Differential fuzzer for the template engine: random templates and JSON documents are rendered by a
 * reference binary (the Go gjson_template engine wrapped as a JSON-in/JSON-out program, built outside
 * this repository) and by our engine, and every disagreement is reported, grouped, with shrunk examples.
 *
 *   npx tsx scripts/template-fuzz.ts --oracle PATH [--cases N] [--seed S] [--batch B] [--show K] [--groups G]
 *                                    [--shrink-limit L] [--no-shrink] [--engine MODULE]
 *
 * --engine loads another module exporting compileTemplate (default: ../src/template/index.js).
 *
 * The oracle reads a JSON array of {id, template, data} (data is the JSON text) on stdin and writes an
 * array of {id, expected} or {id, error: true, errorMessage, phase} on stdout; see test/template/golden/README.md.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

// ---------------------------------------------------------------- options

interface Options {
  oracle?: string;
  engine?: string;
  cases: number;
  seed: number;
  batch: number;
  show: number;
  groups: number;
  shrink: boolean;
  shrinkLimit: number;
}

const USAGE = `usage: npx tsx scripts/template-fuzz.ts --oracle PATH [--cases N=1000] [--seed S=1] [--batch B=500]
       [--show K=2] [--groups G=30] [--shrink-limit L=60] [--no-shrink] [--engine MODULE]`;

function parseOptions(argv: string[]): Options {
  const opts: Options = { cases: 1000, seed: 1, batch: 500, show: 2, groups: 30, shrink: true, shrinkLimit: 60 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const next = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`option ${a} needs a value`);
      return v;
    };
    if (a === '--oracle') opts.oracle = next();
    else if (a === '--engine') opts.engine = next();
    else if (a === '--cases') opts.cases = Number(next());
    else if (a === '--seed') opts.seed = Number(next());
    else if (a === '--batch') opts.batch = Number(next());
    else if (a === '--show') opts.show = Number(next());
    else if (a === '--groups') opts.groups = Number(next());
    else if (a === '--shrink-limit') opts.shrinkLimit = Number(next());
    else if (a === '--no-shrink') opts.shrink = false;
    else if (a === '--help' || a === '-h') {
      console.log(USAGE);
      process.exit(0);
    } else throw new Error(`unknown option ${a}\n${USAGE}`);
  }
  for (const k of ['cases', 'seed', 'batch', 'show', 'groups', 'shrinkLimit'] as const) {
    if (!Number.isFinite(opts[k]) || opts[k] < 0) throw new Error(`--${k} must be a non-negative number`);
  }
  return opts;
}

// ---------------------------------------------------------------- randomness

class Rng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0 || 0x9e3779b9;
  }
  /** Uniform float in [0, 1) (mulberry32). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)];
  }
}

// ---------------------------------------------------------------- JSON data with exact number and string spelling

type JNode =
  | { t: 'obj'; entries: [string, JNode][]; spaced: boolean }
  | { t: 'arr'; items: JNode[]; spaced: boolean }
  | { t: 'lit'; raw: string };

const KEYS = ['a', 'b', 'c', 'n', 's', 'x', 'id', 'name', 'items', 'tags', 'user', 'v', 'ok', '日本', 'x.y', 'k k', ''];
const NUMBERS = ['0', '1', '-1', '2', '42', '1.5', '1.50', '1e3', '1E-2', '-0', '0.1', '3.14159', '1000000', '12345678901234567890', '-7.25', '2.0'];
const STRINGS = ['', 'hello', ' ', '0', 'false', 'true', 'héllo', '日本語', 'a\\nb', 'tab\\there', '<b>&amp;</b>', '%d %s', 'x\\u0001y', '\\"q\\"', '12', '2.5', 'A,b,,c', 'a.b', 'null', '\\u00e9\\ud83d\\ude00', 'back\\\\slash'];

function genJson(rng: Rng, depth: number): JNode {
  const r = rng.next();
  if (depth > 0 && r < 0.22) return genObject(rng, depth - 1);
  if (depth > 0 && r < 0.38) {
    const items: JNode[] = [];
    for (let i = rng.int(4); i > 0; i--) items.push(genJson(rng, depth - 1));
    return { t: 'arr', items, spaced: rng.chance(0.2) };
  }
  if (r < 0.62) return { t: 'lit', raw: rng.pick(NUMBERS) };
  if (r < 0.88) return { t: 'lit', raw: `"${rng.pick(STRINGS)}"` };
  return { t: 'lit', raw: rng.pick(['true', 'false', 'null']) };
}

function genObject(rng: Rng, depth: number): JNode {
  const entries: [string, JNode][] = [];
  for (let i = rng.int(6); i > 0; i--) entries.push([rng.pick(KEYS), genJson(rng, depth)]);
  return { t: 'obj', entries, spaced: rng.chance(0.2) };
}

function renderJson(n: JNode): string {
  if (n.t === 'lit') return n.raw;
  const sep = n.spaced ? ', ' : ',';
  if (n.t === 'arr') return `[${n.items.map(renderJson).join(sep)}]`;
  const colon = n.spaced ? ' : ' : ':';
  return `{${n.entries.map(([k, v]) => `${JSON.stringify(k)}${colon}${renderJson(v)}`).join(sep)}}`;
}

/** Smaller variants of a JSON tree: drop an entry or item, replace a container by a child. */
function shrinkJson(n: JNode): JNode[] {
  const out: JNode[] = [];
  if (n.t === 'obj') {
    n.entries.forEach((_, i) => out.push({ ...n, entries: n.entries.filter((__, j) => j !== i) }));
    if (n.spaced) out.push({ ...n, spaced: false });
    n.entries.forEach(([k, v], i) => {
      for (const s of shrinkJson(v)) out.push({ ...n, entries: n.entries.map((e, j) => (j === i ? [k, s] : e)) });
    });
  } else if (n.t === 'arr') {
    n.items.forEach((_, i) => out.push({ ...n, items: n.items.filter((__, j) => j !== i) }));
    if (n.spaced) out.push({ ...n, spaced: false });
    n.items.forEach((v, i) => {
      for (const s of shrinkJson(v)) out.push({ ...n, items: n.items.map((e, j) => (j === i ? s : e)) });
    });
  }
  return out;
}

/** Dotted paths reachable with Go field syntax (identifier keys only). */
function fieldPaths(n: JNode, prefix: string[], out: string[][], containersOnly = false): string[][] {
  if (n.t !== 'obj') return out;
  for (const [k, v] of n.entries) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) continue;
    if (!containersOnly || v.t !== 'lit') out.push([...prefix, k]);
    fieldPaths(v, [...prefix, k], out, containersOnly);
  }
  return out;
}

// ---------------------------------------------------------------- templates as shrinkable trees

interface TNode {
  render(): string;
  shrink(): TNode[];
  tags(): string[];
}

const node = (render: () => string, shrink: () => TNode[], tags: () => string[]): TNode => ({ render, shrink, tags });
const leaf = (text: string, tag: string, simpler: TNode[] = []): TNode => node(() => text, () => simpler, () => [tag]);
const EMPTY_LIT = leaf('""', 'lit:string');

/** Replaces the i-th child of a list, for shrinking. */
function withChild(children: TNode[], i: number, c: TNode): TNode[] {
  return children.map((x, j) => (j === i ? c : x));
}

function seqNode(children: TNode[]): TNode {
  return node(
    () => children.map((c) => c.render()).join(''),
    () => {
      const out: TNode[] = [];
      children.forEach((_, i) => out.push(seqNode(children.filter((__, j) => j !== i))));
      children.forEach((c, i) => c.shrink().forEach((s) => out.push(seqNode(withChild(children, i, s)))));
      return out;
    },
    () => children.flatMap((c) => c.tags()),
  );
}

/** A command: a function call, or a single operand when `fn` is empty. */
function cmdNode(fn: string, args: TNode[]): TNode {
  return node(
    () => [fn, ...args.map((a) => a.render())].filter((s) => s !== '').join(' '),
    () => {
      const out: TNode[] = [];
      if (fn) args.forEach((a) => out.push(a));
      args.forEach((a, i) => a.shrink().forEach((s) => out.push(cmdNode(fn, withChild(args, i, s)))));
      return out;
    },
    () => [...(fn ? [`fn:${fn}`] : []), ...args.flatMap((a) => a.tags())],
  );
}

function pipeNode(cmds: TNode[], decl: string): TNode {
  return node(
    () => (decl ? `${decl} ` : '') + cmds.map((c) => c.render()).join(' | '),
    () => {
      const out: TNode[] = [];
      if (cmds.length > 1) cmds.forEach((_, i) => out.push(pipeNode(cmds.filter((__, j) => j !== i), decl)));
      cmds.forEach((c, i) => c.shrink().forEach((s) => out.push(pipeNode(withChild(cmds, i, s), decl))));
      return out;
    },
    () => [...(cmds.length > 1 ? ['pipeline'] : []), ...(decl ? ['decl'] : []), ...cmds.flatMap((c) => c.tags())],
  );
}

function parenNode(pipe: TNode): TNode {
  return node(() => `(${pipe.render()})`, () => [pipe, ...pipe.shrink().map(parenNode)], () => ['paren', ...pipe.tags()]);
}

function actionNode(pipe: TNode, trimL: boolean, trimR: boolean): TNode {
  return node(
    () => `{{${trimL ? '- ' : ''}${pipe.render()}${trimR ? ' -' : ''}}}`,
    () => [
      ...(trimL || trimR ? [actionNode(pipe, false, false)] : []),
      ...pipe.shrink().map((s) => actionNode(s, trimL, trimR)),
    ],
    () => [...(trimL || trimR ? ['trim'] : []), ...pipe.tags()],
  );
}

function blockNode(kw: 'if' | 'with' | 'range', pipe: TNode, body: TNode, elseBody: TNode | null): TNode {
  return node(
    () => `{{${kw} ${pipe.render()}}}${body.render()}${elseBody ? `{{else}}${elseBody.render()}` : ''}{{end}}`,
    () => [
      body,
      ...(elseBody ? [elseBody, blockNode(kw, pipe, body, null)] : []),
      ...pipe.shrink().map((s) => blockNode(kw, s, body, elseBody)),
      ...body.shrink().map((s) => blockNode(kw, pipe, s, elseBody)),
      ...(elseBody ? elseBody.shrink().map((s) => blockNode(kw, pipe, body, s)) : []),
    ],
    () => [kw, ...(elseBody ? [`${kw}-else`] : []), ...pipe.tags(), ...body.tags(), ...(elseBody?.tags() ?? [])],
  );
}

/** `{{if a}}…{{else if b}}…{{else}}…{{end}}`. */
function ifChainNode(conds: TNode[], bodies: TNode[], elseBody: TNode | null): TNode {
  return node(
    () =>
      conds.map((c, i) => `{{${i ? 'else if' : 'if'} ${c.render()}}}${bodies[i].render()}`).join('') +
      (elseBody ? `{{else}}${elseBody.render()}` : '') +
      '{{end}}',
    () => {
      const out: TNode[] = [...bodies];
      if (elseBody) out.push(elseBody, ifChainNode(conds, bodies, null));
      if (conds.length > 1) conds.forEach((_, i) => out.push(ifChainNode(conds.filter((__, j) => j !== i), bodies.filter((__, j) => j !== i), elseBody)));
      conds.forEach((c, i) => c.shrink().forEach((x) => out.push(ifChainNode(withChild(conds, i, x), bodies, elseBody))));
      bodies.forEach((b, i) => b.shrink().forEach((x) => out.push(ifChainNode(conds, withChild(bodies, i, x), elseBody))));
      return out;
    },
    () => ['if', 'else-if', ...conds.flatMap((c) => c.tags()), ...bodies.flatMap((b) => b.tags()), ...(elseBody?.tags() ?? [])],
  );
}

/** A syntax mutation applied to a rendered subtree, to exercise parse errors. */
function brokenNode(inner: TNode, cut: number, insert: string): TNode {
  return node(
    () => {
      const s = inner.render();
      const at = s.length === 0 ? 0 : cut % (s.length + 1);
      return s.slice(0, at) + insert + s.slice(at + (insert === '' ? 1 : 0));
    },
    () => [inner, ...inner.shrink().map((s) => brokenNode(s, cut, insert))],
    () => ['syntax-mutation', ...inner.tags()],
  );
}

// ---------------------------------------------------------------- template grammar

interface Scope {
  vars: string[];
  paths: string[][];
  /** Paths of arrays and objects, the things range can walk. */
  containers?: string[][];
  /** Inside a range body, where break and continue are allowed. */
  inRange?: boolean;
  depth: number;
}

type ArgKind = 'any' | 'str' | 'int' | 'num' | 'path' | 'fmt' | 'zone' | 'datefmt' | 'regex';

/** Functions with the kinds of their fixed arguments; `rest` allows 0..rest extra `any` arguments. */
const FUNCS: [string, ArgKind[], number][] = [
  ['len', ['any'], 0], ['index', ['any', 'any'], 0], ['print', [], 3], ['println', [], 2], ['printf', ['fmt'], 2],
  ['html', ['any'], 0], ['js', ['any'], 0], ['urlquery', ['any'], 0], ['not', ['any'], 0], ['and', ['any'], 2], ['or', ['any'], 2],
  ['eq', ['any', 'any'], 1], ['ne', ['any', 'any'], 0], ['lt', ['any', 'any'], 0], ['le', ['any', 'any'], 0], ['gt', ['any', 'any'], 0], ['ge', ['any', 'any'], 0],
  ['gjson', ['path'], 0], ['upper', ['str'], 0], ['lower', ['str'], 0], ['title', ['str'], 0], ['trim', ['str'], 0], ['default', ['any', 'any'], 0],
  ['empty', ['any'], 0], ['coalesce', ['any'], 2], ['ternary', ['any', 'any', 'any'], 0], ['toJson', ['any'], 0], ['toRawJson', ['any'], 0],
  ['toPrettyJson', ['any'], 0], ['fromJson', ['str'], 0], ['b64enc', ['str'], 0], ['b64dec', ['str'], 0], ['quote', ['any'], 1], ['squote', ['any'], 0],
  ['repeat', ['int', 'str'], 0], ['substr', ['int', 'int', 'str'], 0], ['trunc', ['int', 'str'], 0], ['replace', ['str', 'str', 'str'], 0],
  ['contains', ['str', 'str'], 0], ['hasPrefix', ['str', 'str'], 0], ['join', ['str', 'any'], 0], ['splitList', ['str', 'str'], 0],
  ['add', ['num', 'num'], 1], ['sub', ['num', 'num'], 0], ['mul', ['num', 'num'], 0], ['div', ['num', 'num'], 0], ['mod', ['num', 'num'], 0],
  ['add1', ['num'], 0], ['max', ['num'], 2], ['min', ['num'], 2], ['addf', ['num', 'num'], 0], ['subf', ['num', 'num'], 0], ['mulf', ['num', 'num'], 0],
  ['divf', ['num', 'num'], 0], ['floor', ['num'], 0], ['ceil', ['num'], 0], ['round', ['num', 'int'], 0], ['int', ['any'], 0], ['int64', ['any'], 0],
  ['float64', ['any'], 0], ['toString', ['any'], 0], ['atoi', ['str'], 0], ['list', [], 3], ['dict', [], 4], ['cat', ['any'], 2], ['nospace', ['str'], 0],
  ['sha1sum', ['str'], 0], ['sha256sum', ['str'], 0], ['adler32sum', ['str'], 0], ['regexMatch', ['regex', 'str'], 0],
  ['regexReplaceAll', ['regex', 'str', 'str'], 0], ['regexFindAll', ['regex', 'str', 'int'], 0], ['abbrev', ['int', 'str'], 0],
  ['plural', ['str', 'str', 'int'], 0], ['kindOf', ['any'], 0], ['typeOf', ['any'], 0], ['seq', ['int'], 1], ['until', ['int'], 0],
  ['indent', ['int', 'str'], 0], ['nindent', ['int', 'str'], 0], ['snakecase', ['str'], 0], ['kebabcase', ['str'], 0], ['swapcase', ['str'], 0],
  ['initials', ['str'], 0], ['wrap', ['int', 'str'], 0], ['date', ['datefmt', 'int'], 0], ['dateInZone', ['datefmt', 'int', 'zone'], 0],
  ['htmlDate', ['int'], 0], ['toDate', ['datefmt', 'str'], 0], ['b32enc', ['str'], 0], ['base', ['str'], 0], ['ext', ['str'], 0],
  ['semverCompare', ['str', 'str'], 0], ['getRealIP', [], 0], ['getSocketIP', [], 0], ['fail', ['str'], 0],
];
const STR_LITS = ['"a"', '""', '"héllo"', '"1"', '"x y"', '"a.b"', '"%d"', '"A,b,,c"', '"<i>"', '`raw\\n`', '"\\t"', '"日本"', '"1.5"', '"null"'];
const NUM_LITS = ['0', '1', '-1', '2', '3', '10', '1.5', '1e3', '0x10', "'a'", '2.0', '-2.5', '100'];
const FMTS = ['"%s"', '"%v"', '"%d"', '"%q"', '"%.2f"', '"%05d"', '"%x"', '"%t"', '"%8s|"', '"%-8s|"', '"%v-%v"', '"%T"', '"[%v]"', '"%s=%d"', '"%%"', '"%e"', '"%g"'];
const GJSON_PATHS = ['"a"', '"a.b"', '"items.#"', '"items.0"', '"items.#.id"', '"items.#(id==1).name"', '"items.#(id>0)#.name"', '"tags|@reverse"', '"@this"',
  '"a|@keys"', '"a|@values"', '"[a,b]"', '"{a,n}"', '"x\\\\.y"', '"*"', '"a*"', '"items|@flatten"', '"user.name"', '"items.#(name%\\"h*\\")"', '"@pretty"', '"n|@tostr"', '"s|@fromstr"'];

function genLiteral(rng: Rng, kind: ArgKind): TNode {
  switch (kind) {
    case 'str': return leaf(rng.pick(STR_LITS), 'lit:string', [EMPTY_LIT]);
    case 'int': return leaf(rng.pick(['0', '1', '2', '3', '-1', '5', '10']), 'lit:int', [leaf('1', 'lit:int')]);
    case 'num': return leaf(rng.pick(NUM_LITS), 'lit:num', [leaf('1', 'lit:int')]);
    case 'path': return leaf(rng.pick(GJSON_PATHS), 'gjson-path', [leaf('"a"', 'gjson-path')]);
    case 'fmt': {
      const f = rng.pick(FMTS);
      return leaf(f, `printf:${f}`, f === '"%v"' ? [] : [leaf('"%v"', 'printf:"%v"')]);
    }
    case 'zone': return leaf(rng.pick(['"UTC"', '"Asia/Shanghai"', '"America/New_York"', '"Bad/Zone"']), 'lit:zone');
    case 'datefmt': return leaf(rng.pick(['"2006-01-02"', '"15:04:05"', '"Mon Jan 2 2006"', '"2006-01-02T15:04:05Z07:00"', '"20060102"']), 'lit:datefmt');
    case 'regex': return leaf(rng.pick(['"a"', '"^h"', '"[0-9]+"', '"(l+)"', '"."', '"\\\\s"', '"("', '"é"']), 'lit:regex');
    default: {
      const r = rng.next();
      if (r < 0.4) return genLiteral(rng, 'str');
      if (r < 0.8) return genLiteral(rng, 'num');
      if (r < 0.98) return leaf(rng.pick(['true', 'false']), 'lit:bool', [leaf('true', 'lit:bool')]);
      return leaf('nil', 'lit:nil', [EMPTY_LIT]);
    }
  }
}

/** An operand that reads data: a field path, a variable, dot, root or gjson. */
function genRef(rng: Rng, scope: Scope): TNode {
  const r = rng.next();
  if (r < 0.55) {
    const path = scope.paths.length && rng.chance(0.8) ? rng.pick(scope.paths) : [rng.pick(['a', 'b', 'missing', 'n', 's', 'items', 'x'])];
    const text = '.' + path.join('.');
    return leaf(text, 'field', path.length > 1 ? [leaf('.' + path[0], 'field')] : []);
  }
  if (r < 0.7 && scope.vars.length) return leaf(rng.pick(scope.vars), 'var');
  if (r < 0.8) return leaf(rng.chance(0.7) ? '.' : '$', 'dot', []);
  // Parenthesised, so the call stays one operand wherever it is used.
  return parenNode(pipeNode([cmdNode('gjson', [genLiteral(rng, 'path')])], ''));
}

function genArg(rng: Rng, scope: Scope, kind: ArgKind, depth: number): TNode {
  const r = rng.next();
  // Sprig functions are strictly typed, so typed parameters mostly get literals of the right kind.
  const refShare = kind === 'any' ? 0.5 : kind === 'str' || kind === 'num' ? 0.2 : 0.05;
  if (kind !== 'path' && kind !== 'fmt' && r < refShare) return genRef(rng, scope);
  if (depth > 0 && r < 0.6) return parenNode(genPipe(rng, scope, depth - 1, ''));
  return genLiteral(rng, kind);
}

function genCommand(rng: Rng, scope: Scope, depth: number, piped: boolean): TNode {
  if (!piped && rng.chance(0.35)) return cmdNode('', [genArg(rng, scope, 'any', depth)]);
  const [fn, fixed, rest] = rng.pick(FUNCS);
  // In a pipeline stage the previous value becomes the last argument, so leave one out sometimes.
  const kinds = piped && fixed.length > 0 && rng.chance(0.9) ? fixed.slice(0, -1) : fixed;
  const args = kinds.map((k) => genArg(rng, scope, k, depth));
  for (let i = rng.int(rest + 1); i > 0; i--) args.push(genArg(rng, scope, 'any', depth));
  if (rng.chance(0.03)) args.pop(); // wrong arity on purpose
  return cmdNode(fn, args);
}

function genPipe(rng: Rng, scope: Scope, depth: number, decl: string): TNode {
  const cmds = [genCommand(rng, scope, depth, false)];
  for (let i = rng.chance(0.3) ? 1 + rng.int(2) : 0; i > 0; i--) cmds.push(genCommand(rng, scope, depth, true));
  return pipeNode(cmds, decl);
}

function genText(rng: Rng): TNode {
  return leaf(rng.pick(['', ' ', 'x', '-', '\n', ' | ', 'é', '  \n  ', '}', 'a b', '{ ']), 'text');
}

function genList(rng: Rng, scope: Scope, n: number): TNode {
  const children: TNode[] = [];
  for (let i = 0; i < n; i++) children.push(genItem(rng, scope));
  return seqNode(children);
}

function genItem(rng: Rng, scope: Scope): TNode {
  const r = rng.next();
  const inner: Scope = { ...scope, vars: [...scope.vars], depth: scope.depth + 1 };
  const deep = scope.depth >= 3;
  if (r < 0.25) return genText(rng);
  if (scope.inRange && rng.chance(0.06)) {
    const word = rng.pick(['break', 'continue']);
    const cond = genPipe(rng, scope, 0, '');
    return node(() => `{{if ${cond.render()}}}{{${word}}}{{end}}`, () => [leaf(`{{${word}}}`, word)], () => [word, ...cond.tags()]);
  }
  if (scope.vars.length && rng.chance(0.04)) {
    const v = rng.pick(scope.vars);
    const p = genPipe(rng, scope, 1, `${v} =`);
    return actionNode(p, false, false);
  }
  if (r < 0.6 || deep) {
    const declare = rng.chance(0.08);
    const name = `$v${scope.vars.length}`;
    const act = actionNode(genPipe(rng, scope, 1, declare ? `${name} :=` : ''), rng.chance(0.1), rng.chance(0.1));
    if (declare) scope.vars.push(name);
    return act;
  }
  if (r < 0.72) {
    const elseB = rng.chance(0.5) ? genList(rng, inner, 1 + rng.int(2)) : null;
    if (rng.chance(0.25)) {
      const n = 2 + rng.int(2);
      const conds = Array.from({ length: n }, () => genPipe(rng, scope, 1, ''));
      return ifChainNode(conds, conds.map(() => genList(rng, { ...inner, vars: [...scope.vars] }, 1)), elseB);
    }
    return blockNode('if', genPipe(rng, scope, 1, ''), genList(rng, inner, 1 + rng.int(2)), elseB);
  }
  if (r < 0.8) {
    const elseB = rng.chance(0.4) ? genList(rng, inner, 1) : null;
    return blockNode('with', genPipe(rng, scope, 1, ''), genList(rng, { ...inner, paths: [], containers: [] }, 1 + rng.int(2)), elseB);
  }
  if (r < 0.93) {
    const two = rng.chance(0.5);
    const i = `$i${scope.depth}`;
    const e = `$e${scope.depth}`;
    const decl = rng.chance(0.6) ? (two ? `${i}, ${e} :=` : `${e} :=`) : '';
    const bodyScope: Scope = { vars: [...scope.vars, ...(decl ? (two ? [i, e] : [e]) : [])], paths: [], inRange: true, depth: scope.depth + 1 };
    const elseB = rng.chance(0.3) ? genList(rng, inner, 1) : null;
    const containers = scope.containers ?? [];
    const over = containers.length && rng.chance(0.6)
      ? pipeNode([cmdNode('', [leaf('.' + rng.pick(containers).join('.'), 'field')])], decl)
      : genPipe(rng, scope, 1, decl);
    return blockNode('range', over, genList(rng, bodyScope, 1 + rng.int(3)), elseB);
  }
  // {{define}} is only allowed at the top level.
  if (r < 0.96 || scope.depth > 0) return leaf(rng.pick(['{{/* c */}}', '{{- /* c */ -}}', '{{/*\n*/}}']), 'comment');
  const body = genList(rng, { vars: [], paths: [], depth: scope.depth + 1 }, 1);
  const name = `t${rng.int(1e6)}`;
  if (rng.chance(0.3)) {
    const p = genPipe(rng, scope, 0, '');
    return node(() => `{{block "${name}" ${p.render()}}}${body.render()}{{end}}`, () => [body], () => ['block', ...p.tags(), ...body.tags()]);
  }
  const arg = rng.pick(['', ' .', ' .a', ' $']);
  return node(
    () => `{{define "${name}"}}${body.render()}{{end}}{{template "${name}"${arg}}}`,
    () => [body],
    () => ['define', ...body.tags()],
  );
}

function genTemplate(rng: Rng, data: JNode): TNode {
  const scope: Scope = { vars: [], paths: fieldPaths(data, [], []), containers: fieldPaths(data, [], [], true), depth: 0 };
  const t = genList(rng, scope, 1 + rng.int(3));
  if (rng.chance(0.04)) return brokenNode(t, rng.int(1000), rng.pick(['', '{{', '}}', '(', ')', '|', '"', 'end', '{{end}}', '$']));
  return t;
}

// ---------------------------------------------------------------- running both engines

interface Case {
  id: string;
  template: TNode;
  data: JNode;
}
type Outcome = { ok: true; out: string } | { ok: false; phase: string; message: string };
interface Verdict {
  kind: string;
  oracle: Outcome;
  engine: Outcome;
}
interface RequestFacts {
  remoteAddress?: string;
  headers?: Record<string, string>;
}
interface Engine {
  compileTemplate(source: string): { render(data: string, ctx?: RequestFacts): string };
}

/** The same request the oracle fakes: getSocketIP gives 192.0.2.10, getRealIP gives 203.0.113.7. */
const REQUEST: RequestFacts = { remoteAddress: '192.0.2.10', headers: { 'x-forwarded-for': '203.0.113.7, 198.51.100.1' } };

function runOracle(oracle: string, cases: { id: string; template: string; data: string }[]): Map<string, Outcome> {
  const res = spawnSync(oracle, { input: JSON.stringify(cases), env: { ...process.env, TZ: 'UTC' }, maxBuffer: 1 << 30 });
  if (res.error) throw new Error(`oracle failed to start: ${res.error.message}`);
  if (res.status !== 0) throw new Error(`oracle exited ${res.status}: ${res.stderr.toString().slice(0, 500)}`);
  const rows = JSON.parse(res.stdout.toString()) as { id: string; expected?: string; error?: boolean; errorMessage?: string; phase?: string }[];
  return new Map(
    rows.map((r) => [r.id, r.error ? { ok: false, phase: r.phase ?? 'exec', message: r.errorMessage ?? '' } : { ok: true, out: r.expected ?? '' }]),
  );
}

function runEngine(engine: Engine, template: string, data: string): Outcome {
  let compiled: ReturnType<Engine['compileTemplate']>;
  try {
    compiled = engine.compileTemplate(template);
  } catch (e) {
    return { ok: false, phase: isTemplateError(e) ? 'parse' : 'crash', message: String((e as Error)?.message ?? e) };
  }
  try {
    return { ok: true, out: compiled.render(data, REQUEST) };
  } catch (e) {
    return { ok: false, phase: isTemplateError(e) ? 'exec' : 'crash', message: String((e as Error)?.message ?? e) };
  }
}

function isTemplateError(e: unknown): boolean {
  return e instanceof Error && e.name === 'TemplateError';
}

function judge(oracle: Outcome, engine: Outcome): string | null {
  if (!engine.ok && engine.phase === 'crash') return 'engine threw a non-TemplateError';
  if (oracle.ok && engine.ok) return oracle.out === engine.out ? null : 'different output';
  if (oracle.ok) return 'engine errors, Go renders';
  if (engine.ok) return 'Go errors, engine renders';
  const goParse = oracle.phase === 'parse';
  if (goParse !== (engine.phase === 'parse')) return goParse ? 'Go parse error, engine fails only at render' : 'engine parse error, Go fails only at render';
  return null;
}

function evaluate(oracle: string, engine: Engine, items: { template: TNode; data: JNode }[]): Verdict[] {
  const rows = items.map((c, i) => ({ id: String(i), template: c.template.render(), data: renderJson(c.data) }));
  const go = runOracle(oracle, rows);
  return rows.map((r) => {
    const o = go.get(r.id) ?? { ok: false, phase: 'missing', message: 'no oracle answer' };
    const e = runEngine(engine, r.template, r.data);
    return { kind: judge(o, e) ?? '', oracle: o, engine: e };
  });
}

/** Greedy shrinking: keep the first smaller variant that still fails the same way. */
function shrinkCase(oracle: string, engine: Engine, c: Case, kind: string): Case {
  let cur = c;
  for (let round = 0; round < 60; round++) {
    const cands: Case[] = [
      ...cur.template.shrink().map((t) => ({ ...cur, template: t })),
      ...shrinkJson(cur.data).map((d) => ({ ...cur, data: d })),
    ].slice(0, 400);
    if (cands.length === 0) break;
    const verdicts = evaluate(oracle, engine, cands);
    const i = verdicts.findIndex((v) => v.kind === kind);
    if (i < 0) break;
    cur = cands[i];
  }
  return cur;
}

/** Error text without template name, position and quoted operands, so similar failures group together. */
function normalise(message: string): string {
  return message
    .replace(/^template: [^:]*(:\d+)*: /, '')
    .replace(/^executing "[^"]*" at <.*?>: /, '')
    .replace(/"(?:[^"\\]|\\.)*"/g, '"…"')
    .replace(/-?\d+(\.\d+)?/g, 'N')
    .slice(0, 100);
}

function groupKey(v: Verdict, c: Case): string {
  if (v.kind === 'different output') return `${v.kind} | ${[...new Set(c.template.tags())].sort().join(' ')}`;
  const side = !v.engine.ok && (v.kind.startsWith('engine') || v.oracle.ok) ? v.engine : v.oracle;
  return `${v.kind} | ${side.ok ? '' : normalise(side.message)}`;
}

/** Output and accept/reject disagreements first; phase-only differences last. */
const rank = (kind: string): number =>
  ['different output', 'engine threw', 'engine errors, Go renders', 'Go errors, engine renders'].findIndex((p) => kind.startsWith(p)) >>> 0;
const size = (c: Case): number => c.template.render().length + renderJson(c.data).length;
const show = (o: Outcome): string => (o.ok ? JSON.stringify(o.out) : `ERROR(${o.phase}) ${o.message.slice(0, 160)}`);

// ---------------------------------------------------------------- main

async function loadEngine(modulePath: string | undefined): Promise<Engine | string> {
  try {
    const mod = (await (modulePath ? import(pathToFileURL(resolve(modulePath)).href) : import('../src/template/index.js'))) as Partial<Engine>;
    if (typeof mod.compileTemplate !== 'function') return 'src/template/index.ts has no compileTemplate export';
    return mod as Engine;
  } catch (e) {
    return (e as Error).message.split('\n')[0];
  }
}

async function main(): Promise<number> {
  const opts = parseOptions(process.argv.slice(2));
  const rng = new Rng(opts.seed);
  const cases: Case[] = [];
  for (let i = 0; i < opts.cases; i++) {
    const data = rng.chance(0.97) ? genObject(rng, 3) : genJson(rng, 3);
    cases.push({ id: `fuzz-${i}`, template: genTemplate(rng, data), data });
  }
  const engine = await loadEngine(opts.engine);
  if (typeof engine === 'string') {
    console.log(`engine not available: ${engine}`);
    if (opts.oracle) {
      const go = runOracle(opts.oracle, cases.map((c) => ({ id: c.id, template: c.template.render(), data: renderJson(c.data) })));
      const errs = [...go.values()].filter((o) => !o.ok).length;
      console.log(`oracle rendered ${go.size - errs} of ${go.size} generated cases (${errs} errors); nothing to compare against`);
      const kinds = new Map<string, number>();
      for (const o of go.values()) if (!o.ok) kinds.set(normalise(o.message), (kinds.get(normalise(o.message)) ?? 0) + 1);
      for (const [k, n] of [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 10)) console.log(`  ${String(n).padStart(6)}  ${k}`);
    }
    return 0;
  }
  if (!opts.oracle) throw new Error('--oracle PATH is required');
  const oracle = opts.oracle;

  const failures: { c: Case; v: Verdict }[] = [];
  for (let start = 0; start < cases.length; start += Math.max(1, opts.batch)) {
    const chunk = cases.slice(start, start + Math.max(1, opts.batch));
    evaluate(oracle, engine, chunk).forEach((v, i) => {
      if (v.kind) failures.push({ c: chunk[i], v });
    });
  }
  console.log(`${cases.length} cases, seed ${opts.seed}: ${cases.length - failures.length} agree, ${failures.length} differ`);
  if (failures.length === 0) return 0;

  // Group by kind and normalised error message; output differences are shrunk first and grouped by
  // the constructs left in the shrunk example.
  // Most serious kinds first, so the shrink budget goes to them; smallest examples first within a kind.
  failures.sort((a, b) => rank(a.v.kind) - rank(b.v.kind) || size(a.c) - size(b.c));
  const groups = new Map<string, { count: number; examples: { c: Case; v: Verdict }[] }>();
  let shrinkBudget = opts.shrink ? opts.shrinkLimit : 0;
  const seenKeys = new Set<string>();
  for (const f of failures) {
    let key = groupKey(f.v, f.c);
    let ex = f;
    if (shrinkBudget > 0 && (!seenKeys.has(key) || f.v.kind === 'different output')) {
      shrinkBudget--;
      const small = shrinkCase(oracle, engine, f.c, f.v.kind);
      ex = { c: small, v: evaluate(oracle, engine, [small])[0] };
      key = groupKey(ex.v, ex.c);
    }
    seenKeys.add(groupKey(f.v, f.c));
    const g = groups.get(key) ?? { count: 0, examples: [] };
    g.count++;
    if (g.examples.length < opts.show && !g.examples.some((e) => e.c.template.render() === ex.c.template.render())) g.examples.push(ex);
    groups.set(key, g);
  }
  const byKind = new Map<string, number>();
  for (const f of failures) byKind.set(f.v.kind, (byKind.get(f.v.kind) ?? 0) + 1);
  console.log('\nby kind:');
  for (const [k, n] of [...byKind].sort((a, b) => b[1] - a[1])) console.log(`  ${String(n).padStart(6)}  ${k}`);
  const sorted = [...groups].sort((a, b) => rank(a[0]) - rank(b[0]) || b[1].count - a[1].count);
  console.log(`\n${groups.size} groups; ${Math.min(sorted.length, opts.groups)} shown, most serious kinds first (examples shrunk where budget allowed):`);
  for (const [k, g] of sorted.slice(0, opts.groups)) {
    console.log(`\n[${g.count}] ${k}`);
    for (const { c, v } of g.examples) {
      console.log(`    template: ${JSON.stringify(c.template.render())}`);
      console.log(`    data:     ${renderJson(c.data)}`);
      console.log(`    go:       ${show(v.oracle)}`);
      console.log(`    engine:   ${show(v.engine)}`);
    }
  }
  if (sorted.length > opts.groups) console.log(`\n... ${sorted.length - opts.groups} smaller groups not shown (--groups N)`);
  return 1;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`template-fuzz: ${(e as Error).message}`);
    process.exit(2);
  },
);
