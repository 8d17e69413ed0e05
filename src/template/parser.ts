/**
 * Parser for Go text/template syntax, producing the tree in ast.ts. It follows the grammar and the
 * error messages of Go's text/template/parse, and additionally checks function argument counts.
 */
import type {
  ArgNode,
  CommandNode,
  IdentifierNode,
  ListNode,
  Node,
  NumberNode,
  PipeNode,
  TemplateNode,
} from './ast.js';
import { EngineFault } from './errors.js';
import { lookupFunction } from './functions.js';
import { lex, Tok, type Token } from './lexer.js';
import { formatFloatG } from './value.js';

/** Result of parsing: the main tree plus every `define`d or `block` template. */
export interface ParsedSet {
  root: ListNode;
  templates: Map<string, ListNode>;
}

/** Deepest nesting of control structures and parentheses accepted. */
const MAX_NESTING = 500;

type EndMarker = { kind: 'end'; pos: number } | { kind: 'else'; pos: number };


function describe(t: Token): string {
  switch (t.typ) {
    case Tok.EOF:
      return 'EOF';
    case Tok.Error:
      return t.val;
    case Tok.LeftDelim:
    case Tok.RightDelim:
    case Tok.LeftParen:
    case Tok.RightParen:
    case Tok.Space:
    case Tok.Pipe:
    case Tok.Assign:
    case Tok.Declare:
    case Tok.Char:
      return `${JSON.stringify(t.val)}`;
    default:
      if (t.typ >= Tok.Block) return `<${t.val}>`;
      if (t.val.length > 10) return `${JSON.stringify(t.val.slice(0, 10))}...`;
      return JSON.stringify(t.val);
  }
}

class Parser {
  private i = 0;
  private vars: string[] = ['$'];
  private rangeDepth = 0;

  constructor(
    private readonly toks: Token[],
    private readonly set: Map<string, ListNode>,
  ) {}

  private nesting = 0;

  /** Bounds nesting so hostile input cannot exhaust the stack (here or when executing). */
  private enter(pos: number): void {
    if (++this.nesting > MAX_NESTING) throw new EngineFault('TEMPLATE_LIMIT', `nesting deeper than ${MAX_NESTING} levels`, pos);
  }

  private fail(msg: string, pos: number, code: 'TEMPLATE_SYNTAX' | 'TEMPLATE_UNKNOWN_FUNCTION' = 'TEMPLATE_SYNTAX'): never {
    throw new EngineFault(code, msg, pos);
  }

  private next(): Token {
    const t = this.toks[this.i];
    if (this.i < this.toks.length - 1) this.i++;
    if (t.typ === Tok.Error) this.fail(t.val, t.pos);
    return t;
  }
  private backup(n = 1): void {
    this.i -= n;
  }
  private peek(): Token {
    const t = this.toks[this.i];
    if (t.typ === Tok.Error) this.fail(t.val, t.pos);
    return t;
  }
  private nextNonSpace(): Token {
    let t = this.next();
    while (t.typ === Tok.Space) t = this.next();
    return t;
  }
  private peekNonSpace(): Token {
    const save = this.i;
    const t = this.nextNonSpace();
    this.i = save;
    return t;
  }
  private expect(typ: Tok, context: string): Token {
    const t = this.nextNonSpace();
    if (t.typ !== typ) this.unexpected(t, context);
    return t;
  }
  private unexpected(t: Token, context: string): never {
    if (t.typ === Tok.Error) this.fail(t.val, t.pos);
    this.fail(`unexpected ${describe(t)} in ${context}`, t.pos);
  }

  parseTop(): ListNode {
    const root: ListNode = { kind: 'list', pos: 0, nodes: [] };
    while (this.peek().typ !== Tok.EOF) {
      if (this.peek().typ === Tok.LeftDelim) {
        const save = this.i;
        this.next();
        if (this.nextNonSpace().typ === Tok.Define) {
          this.parseDefinition();
          continue;
        }
        this.i = save;
      }
      const n = this.textOrAction();
      if ('kind' in n && (n.kind === 'end' || n.kind === 'else')) this.fail(`unexpected {{${n.kind}}}`, n.pos);
      root.nodes.push(n as Node);
    }
    return root;
  }

  private parseDefinition(): void {
    const context = 'define clause';
    const nameTok = this.nextNonSpace();
    if (nameTok.typ !== Tok.String && nameTok.typ !== Tok.RawString) this.unexpected(nameTok, context);
    const name = unquote(nameTok.val, nameTok.pos);
    this.expect(Tok.RightDelim, context);
    const savedVars = this.vars;
    const savedDepth = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    const [list, end] = this.itemList();
    if (end.kind !== 'end') this.fail(`unexpected {{${end.kind}}} in ${context}`, end.pos);
    this.addTemplate(name, list, nameTok.pos);
    this.vars = savedVars;
    this.rangeDepth = savedDepth;
  }

  private addTemplate(name: string, list: ListNode, pos: number): void {
    const existing = this.set.get(name);
    if (existing === undefined || isEmptyList(existing)) {
      this.set.set(name, list);
      return;
    }
    if (!isEmptyList(list)) this.fail(`template: multiple definition of template ${JSON.stringify(name)}`, pos);
  }

  private itemList(): [ListNode, EndMarker] {
    const list: ListNode = { kind: 'list', pos: this.peekNonSpace().pos, nodes: [] };
    while (this.peekNonSpace().typ !== Tok.EOF) {
      const n = this.textOrAction();
      if (n.kind === 'end' || n.kind === 'else') return [list, n as EndMarker];
      list.nodes.push(n as Node);
    }
    this.fail('unexpected EOF', this.peek().pos);
  }

  private textOrAction(): Node | EndMarker {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case Tok.Text:
        return { kind: 'text', pos: t.pos, text: t.val };
      case Tok.LeftDelim:
        return this.action();
      default:
        this.unexpected(t, 'input');
    }
  }

  private action(): Node | EndMarker {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case Tok.Block:
        return this.blockControl();
      case Tok.Break:
      case Tok.Continue: {
        const word = t.typ === Tok.Break ? 'break' : 'continue';
        if (this.rangeDepth === 0) this.fail(`{{${word}}} outside {{range}}`, t.pos);
        const r = this.nextNonSpace();
        if (r.typ !== Tok.RightDelim) this.unexpected(r, `{{${word}}}`);
        return { kind: word, pos: t.pos };
      }
      case Tok.Else: {
        const p = this.peekNonSpace();
        if (p.typ === Tok.If || p.typ === Tok.With) return { kind: 'else', pos: t.pos };
        this.expect(Tok.RightDelim, 'else');
        return { kind: 'else', pos: t.pos };
      }
      case Tok.End:
        this.expect(Tok.RightDelim, 'end');
        return { kind: 'end', pos: t.pos };
      case Tok.If:
        return this.control('if', t.pos);
      case Tok.Range:
        return this.control('range', t.pos);
      case Tok.With:
        return this.control('with', t.pos);
      case Tok.Template:
        return this.templateControl(t.pos);
    }
    this.backup();
    const pos = this.peek().pos;
    return { kind: 'action', pos, pipe: this.pipeline('command', Tok.RightDelim) };
  }

  private control(context: 'if' | 'range' | 'with', pos: number): Node {
    this.enter(pos);
    const mark = this.vars.length;
    const pipe = this.pipeline(context, Tok.RightDelim);
    if (context === 'range') this.rangeDepth++;
    const [list, firstEnd] = this.itemList();
    let next = firstEnd;
    if (context === 'range') this.rangeDepth--;
    let elseList: ListNode | null = null;
    if (next.kind === 'else') {
      const p = this.peekNonSpace();
      if ((context === 'if' && p.typ === Tok.If) || (context === 'with' && p.typ === Tok.With)) {
        // "else if" / "else with" chains into a nested control with a single end.
        this.nextNonSpace();
        elseList = { kind: 'list', pos: next.pos, nodes: [this.control(context, p.pos)] };
      } else {
        [elseList, next] = this.itemList();
        if (next.kind !== 'end') this.fail(`expected end; found {{${next.kind}}}`, next.pos);
      }
    }
    this.vars.length = mark;
    this.nesting--;
    return { kind: context, pos, pipe, list, elseList } as Node;
  }

  private templateControl(pos: number): TemplateNode {
    const context = 'template clause';
    const t = this.nextNonSpace();
    if (t.typ !== Tok.String && t.typ !== Tok.RawString) this.unexpected(t, context);
    const name = unquote(t.val, t.pos);
    let pipe: PipeNode | null = null;
    if (this.nextNonSpace().typ !== Tok.RightDelim) {
      this.backup();
      pipe = this.pipeline(context, Tok.RightDelim);
    }
    return { kind: 'template', pos, name, pipe };
  }

  private blockControl(): TemplateNode {
    const context = 'block clause';
    const t = this.nextNonSpace();
    if (t.typ !== Tok.String && t.typ !== Tok.RawString) this.unexpected(t, context);
    const name = unquote(t.val, t.pos);
    const pipe = this.pipeline(context, Tok.RightDelim);
    const savedVars = this.vars;
    const savedDepth = this.rangeDepth;
    this.vars = ['$'];
    this.rangeDepth = 0;
    const [list, end] = this.itemList();
    if (end.kind !== 'end') this.fail(`unexpected {{${end.kind}}} in ${context}`, end.pos);
    this.vars = savedVars;
    this.rangeDepth = savedDepth;
    this.addTemplate(name, list, t.pos);
    return { kind: 'template', pos: t.pos, name, pipe };
  }

  private pipeline(context: string, end: Tok): PipeNode {
    const pipe: PipeNode = { kind: 'pipe', pos: this.peekNonSpace().pos, isAssign: false, decl: [], cmds: [] };
    for (;;) {
      const v = this.peekNonSpace();
      if (v.typ !== Tok.Variable) break;
      this.nextNonSpace();
      const varIndex = this.i - 1;
      const nx = this.peekNonSpace();
      if (nx.typ === Tok.Assign || nx.typ === Tok.Declare) {
        pipe.isAssign = nx.typ === Tok.Assign;
        this.nextNonSpace();
        pipe.decl.push(v.val);
        this.vars.push(v.val);
      } else if (nx.typ === Tok.Char && nx.val === ',') {
        this.nextNonSpace();
        pipe.decl.push(v.val);
        this.vars.push(v.val);
        if (context === 'range' && pipe.decl.length < 2) {
          const p = this.peekNonSpace().typ;
          if (p === Tok.Variable || p === Tok.RightDelim || p === Tok.RightParen) continue;
          this.fail('range can only initialize variables', nx.pos);
        }
        this.fail(`too many declarations in ${context}`, nx.pos);
      } else {
        // Not a declaration: the variable is the pipeline's first operand.
        this.i = varIndex;
      }
      break;
    }
    for (;;) {
      const t = this.nextNonSpace();
      if (t.typ === end) {
        this.checkPipeline(pipe, context, t.pos);
        return pipe;
      }
      switch (t.typ) {
        case Tok.Bool:
        case Tok.CharConstant:
        case Tok.Complex:
        case Tok.Dot:
        case Tok.Field:
        case Tok.Identifier:
        case Tok.Number:
        case Tok.Nil:
        case Tok.RawString:
        case Tok.String:
        case Tok.Variable:
        case Tok.LeftParen:
          this.backup();
          pipe.cmds.push(this.command());
          break;
        default:
          this.unexpected(t, context);
      }
    }
  }

  private checkPipeline(pipe: PipeNode, context: string, pos: number): void {
    if (pipe.cmds.length === 0) this.fail(`missing value for ${context}`, pos);
    for (let i = 1; i < pipe.cmds.length; i++) {
      const k = pipe.cmds[i].args[0].kind;
      if (k === 'bool' || k === 'dot' || k === 'nil' || k === 'number' || k === 'string')
        this.fail(`non executable command in pipeline stage ${i + 1}`, pipe.cmds[i].pos);
    }
    // Argument counts are checked here because only now do we know which stages receive a piped value.
    pipe.cmds.forEach((cmd, i) => checkArity(cmd, i > 0, (m, p) => this.fail(m, p)));
  }

  private command(): CommandNode {
    const cmd: CommandNode = { kind: 'command', pos: this.peekNonSpace().pos, args: [] };
    for (;;) {
      this.peekNonSpace();
      const op = this.operand();
      if (op) cmd.args.push(op);
      const t = this.next();
      if (t.typ === Tok.Space) continue;
      if (t.typ === Tok.RightDelim || t.typ === Tok.RightParen) this.backup();
      else if (t.typ !== Tok.Pipe) this.unexpected(t, 'operand');
      break;
    }
    if (cmd.args.length === 0) this.fail('empty command', cmd.pos);
    return cmd;
  }

  private operand(): ArgNode | null {
    let node = this.term();
    if (!node) return null;
    if (this.peek().typ === Tok.Field) {
      const fields: string[] = [];
      const pos = this.peek().pos;
      while (this.peek().typ === Tok.Field) fields.push(this.next().val.slice(1));
      switch (node.kind) {
        case 'field': {
          const idents = [...node.idents, ...fields];
          node = { kind: 'field', pos: node.pos, idents, path: idents.join('.') };
          break;
        }
        case 'variable': {
          const idents = [...node.idents, ...fields];
          node = { kind: 'variable', pos: node.pos, name: node.name, idents, path: idents.join('.') };
          break;
        }
        case 'bool':
        case 'string':
        case 'number':
        case 'nil':
        case 'dot':
          this.fail(`unexpected . after term ${JSON.stringify(termText(node))}`, pos);
        // falls through (fail never returns)
        default:
          node = { kind: 'chain', pos, node, fields, path: fields.join('.') };
      }
    }
    return node;
  }

  private term(): ArgNode | null {
    const t = this.nextNonSpace();
    switch (t.typ) {
      case Tok.Identifier: {
        const fn = lookupFunction(t.val);
        if (!fn) this.fail(`function ${JSON.stringify(t.val)} not defined`, t.pos, 'TEMPLATE_UNKNOWN_FUNCTION');
        return { kind: 'identifier', pos: t.pos, name: t.val, fn } satisfies IdentifierNode;
      }
      case Tok.Dot:
        return { kind: 'dot', pos: t.pos };
      case Tok.Nil:
        return { kind: 'nil', pos: t.pos };
      case Tok.Variable: {
        const parts = t.val.split('.');
        const name = parts[0];
        if (!this.vars.includes(name)) this.fail(`undefined variable ${JSON.stringify(name)}`, t.pos);
        const idents = parts.slice(1);
        return { kind: 'variable', pos: t.pos, name, idents, path: idents.join('.') };
      }
      case Tok.Field: {
        const idents = [t.val.slice(1)];
        return { kind: 'field', pos: t.pos, idents, path: idents[0] };
      }
      case Tok.Bool:
        return { kind: 'bool', pos: t.pos, value: t.val === 'true' };
      case Tok.CharConstant:
      case Tok.Complex:
      case Tok.Number:
        return parseNumber(t, (m) => this.fail(m, t.pos));
      case Tok.LeftParen:
      {
        this.enter(t.pos);
        const p = this.pipeline('parenthesized pipeline', Tok.RightParen);
        this.nesting--;
        return p;
      }
      case Tok.String:
      case Tok.RawString:
        return { kind: 'string', pos: t.pos, quoted: t.val, text: unquote(t.val, t.pos) };
    }
    this.backup();
    return null;
  }
}

function termText(n: ArgNode): string {
  switch (n.kind) {
    case 'bool':
      return String(n.value);
    case 'string':
      return n.quoted;
    case 'number':
      return n.text;
    case 'nil':
      return 'nil';
    default:
      return '.';
  }
}

function isEmptyList(l: ListNode): boolean {
  return l.nodes.every((n) => n.kind === 'text' && n.text.trim() === '');
}

/** Checks a command's argument count against its function's declared arity. */
function checkArity(cmd: CommandNode, piped: boolean, fail: (msg: string, pos: number) => never): void {
  const first = cmd.args[0];
  for (const a of cmd.args.slice(1)) {
    if (a.kind === 'identifier') checkCount(a, 0, fail);
  }
  if (first.kind === 'identifier') checkCount(first, cmd.args.length - 1 + (piped ? 1 : 0), fail);
}

function checkCount(id: IdentifierNode, n: number, fail: (msg: string, pos: number) => never): void {
  const { min, max } = id.fn;
  if (n < min || n > max) {
    const want = min === max ? `${min}` : max === Infinity ? `at least ${min}` : `${min} to ${max}`;
    fail(`wrong number of args for ${id.name}: want ${want} got ${n}`, id.pos);
  }
}

/** Parses a numeric token into the value the fork evaluates it to. */
function parseNumber(t: Token, fail: (m: string) => never): NumberNode {
  const text = t.val;
  const node = (value: bigint | number | string): NumberNode => ({ kind: 'number', pos: t.pos, text, value });
  if (t.typ === Tok.CharConstant) {
    const s = unquoteChar(text, fail);
    return node(BigInt(s.codePointAt(0)!));
  }
  if (t.typ === Tok.Complex || text.endsWith('i')) {
    // Complex constants become their Go %v text, as in the fork.
    return node(formatComplex(text, fail));
  }
  const clean = text.replace(/_/g, '');
  const asInt = parseGoInt(clean);
  if (asInt !== null) {
    if (asInt >= -(2n ** 63n) && asInt < 2n ** 64n) {
      // The fork converts through float64 and back for integral constants.
      const f = Number(asInt);
      // int64(float64(x)) overflows for values that round up to 2^63; the fork then keeps the float.
      if (f >= -(2 ** 63) && f < 2 ** 63) return node(BigInt(f));
      return node(f);
    }
    fail(`integer overflow: ${JSON.stringify(text)}`);
  }
  if (!/[.eEpP]/.test(clean)) fail(`illegal number syntax: ${JSON.stringify(text)}`);
  const f = parseGoFloat(clean);
  if (f === null) fail(`illegal number syntax: ${JSON.stringify(text)}`);
  if (Number.isInteger(f) && Math.abs(f) < 2 ** 63) return node(BigInt(f));
  return node(f);
}

/** Go's %v of a complex constant, e.g. 1i -> (0+1i), 1+2i -> (1+2i). */
function formatComplex(text: string, fail: (m: string) => never): string {
  const m = /^([+-]?[^+-]*(?:[eE][+-]?\d+)?)?([+-][^+-]*(?:[eE][+-]?\d+)?)i$|^([+-]?.*)i$/.exec(text.replace(/_/g, ''));
  let re = 0;
  let im = 0;
  if (m && m[2] !== undefined) {
    re = parseGoFloat(m[1] ?? '0') ?? NaN;
    im = parseGoFloat(m[2]) ?? NaN;
  } else if (m && m[3] !== undefined) {
    im = parseGoFloat(m[3]) ?? NaN;
  }
  if (Number.isNaN(re) || Number.isNaN(im)) fail(`illegal number syntax: ${JSON.stringify(text)}`);
  const g = (x: number): string => formatFloatG(x, -1, false);
  return `(${g(re)}${im < 0 || Object.is(im, -0) ? '' : '+'}${g(im)}i)`;
}

function parseGoInt(s: string): bigint | null {
  const m = /^([+-]?)(0[xX][0-9a-fA-F]+|0[oO][0-7]+|0[bB][01]+|0[0-7]*|[1-9][0-9]*)$/.exec(s);
  if (!m) return null;
  let body = m[2];
  if (/^0[0-7]+$/.test(body)) body = '0o' + body.slice(1);
  const v = BigInt(body);
  return m[1] === '-' ? -v : v;
}

function parseGoFloat(s: string): number | null {
  if (/^[+-]?0[xX]/.test(s)) {
    const m = /^([+-]?)0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?[pP]([+-]?\d+)$/.exec(s);
    if (!m) return null;
    const mant = parseInt((m[2] || '0') + (m[3] || ''), 16) / 16 ** (m[3]?.length ?? 0);
    const v = mant * 2 ** Number(m[4]);
    return m[1] === '-' ? -v : v;
  }
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(s)) return null;
  return Number(s);
}

/** Go's strconv.Unquote for "..." and `...` literals. */
export function unquote(q: string, pos: number): string {
  if (q.startsWith('`')) return q.slice(1, -1).replace(/\r/g, '');
  const body = q.slice(1, -1);
  let out = '';
  let bytes: number[] = [];
  const flush = (): void => {
    if (bytes.length) {
      out += Buffer.from(bytes).toString('utf8');
      bytes = [];
    }
  };
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c !== '\\') {
      flush();
      out += c;
      continue;
    }
    const e = body[++i];
    switch (e) {
      case 'a': flush(); out += '\x07'; break;
      case 'b': flush(); out += '\b'; break;
      case 'f': flush(); out += '\f'; break;
      case 'n': flush(); out += '\n'; break;
      case 'r': flush(); out += '\r'; break;
      case 't': flush(); out += '\t'; break;
      case 'v': flush(); out += '\v'; break;
      case '\\': flush(); out += '\\'; break;
      case '"': flush(); out += '"'; break;
      case 'x': {
        const h = body.slice(i + 1, i + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) throw new EngineFault('TEMPLATE_SYNTAX', 'invalid syntax', pos);
        bytes.push(parseInt(h, 16));
        i += 2;
        break;
      }
      case 'u':
      case 'U': {
        const n = e === 'u' ? 4 : 8;
        const h = body.slice(i + 1, i + 1 + n);
        if (!new RegExp(`^[0-9a-fA-F]{${n}}$`).test(h)) throw new EngineFault('TEMPLATE_SYNTAX', 'invalid syntax', pos);
        const cp = parseInt(h, 16);
        if (cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000)) throw new EngineFault('TEMPLATE_SYNTAX', 'invalid syntax', pos);
        flush();
        out += String.fromCodePoint(cp);
        i += n;
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          const o = body.slice(i, i + 3);
          if (!/^[0-7]{3}$/.test(o) || parseInt(o, 8) > 255) throw new EngineFault('TEMPLATE_SYNTAX', 'invalid syntax', pos);
          bytes.push(parseInt(o, 8));
          i += 2;
          break;
        }
        throw new EngineFault('TEMPLATE_SYNTAX', 'invalid syntax', pos);
    }
  }
  flush();
  return out;
}

function unquoteChar(text: string, fail: (m: string) => never): string {
  const body = text.slice(1, -1);
  if (body === "\\'") return "'";
  if (body === '"') return '"';
  if (body.startsWith('\\')) {
    try {
      const s = unquote(`"${body}"`, 0);
      if ([...s].length === 1) return s;
    } catch {
      /* reported below */
    }
    fail(`malformed character constant: ${text}`);
  }
  if ([...body].length !== 1) fail(`malformed character constant: ${text}`);
  return body;
}

/** Parses template source into its main tree and named templates. Throws EngineFault on error. */
export function parseTemplate(source: string, name: string): ParsedSet {
  const templates = new Map<string, ListNode>();
  const parser = new Parser(lex(source), templates);
  const root = parser.parseTop();
  const existing = templates.get(name);
  if (existing === undefined || !isEmptyList(root)) templates.set(name, root);
  return { root: templates.get(name)!, templates };
}
