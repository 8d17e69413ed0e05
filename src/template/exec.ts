/**
 * Template execution with the fork's semantics: data is raw JSON, field access is a GJSON lookup,
 * and values move between pipeline stages as described in value.ts.
 */
import type { ArgNode, CommandNode, IdentifierNode, ListNode, Node, PipeNode, RangeNode } from './ast.js';
import { FuncError, LimitError, toGoArg } from './coerce.js';
import { EngineFault } from './errors.js';
import type { CallContext, FuncDef, RequestFacts } from './functions.js';
import {
  GoTime,
  JsonNode,
  JsonNumber,
  compareGoStrings,
  displayString,
  forkNum,
  forkRaw,
  forkType,
  lookup,
  printText,
  truthy,
  type Value,
} from './value.js';

/** Limits applied to one render. */
export interface ExecLimits {
  maxOutputBytes: number;
  maxDepth: number;
  maxSteps: number;
}

class BreakSignal {}
class ContinueSignal {}
const BREAK = new BreakSignal();
const CONTINUE = new ContinueSignal();

interface Variable {
  name: string;
  value: Value;
}

/** Executes one template tree against one JSON document. */
export class Execution implements CallContext {
  private out = '';
  private steps = 0;
  private depth = 0;
  private vars: Variable[];
  private pos = 0;
  dot: Value = undefined;

  constructor(
    private readonly templates: Map<string, ListNode>,
    private readonly limits: ExecLimits,
    readonly request: RequestFacts | undefined,
    root: Value,
  ) {
    this.vars = [{ name: '$', value: root }];
  }

  /** Runs the tree and returns the output. */
  run(root: Value, list: ListNode): string {
    this.walkList(root, list);
    if (this.out.length > this.limits.maxOutputBytes / 3 && Buffer.byteLength(this.out) > this.limits.maxOutputBytes) {
      throw new EngineFault('TEMPLATE_LIMIT', `output exceeds ${this.limits.maxOutputBytes} bytes`, this.pos);
    }
    return this.out;
  }

  reserve = (size: number): void => {
    if (size > this.limits.maxOutputBytes) {
      throw new LimitError(`result of ${size} elements/bytes exceeds the limit of ${this.limits.maxOutputBytes}`);
    }
    this.step(Math.floor(size / 64));
  };

  private fail(msg: string, pos = this.pos): never {
    throw new EngineFault('TEMPLATE_EXEC', msg, pos);
  }

  private step(n = 1): void {
    this.steps += n;
    if (this.steps > this.limits.maxSteps) {
      throw new EngineFault('TEMPLATE_LIMIT', `evaluation exceeded ${this.limits.maxSteps} steps`, this.pos);
    }
  }

  private write(s: string): void {
    this.out += s;
    if (this.out.length > this.limits.maxOutputBytes) {
      throw new EngineFault('TEMPLATE_LIMIT', `output exceeds ${this.limits.maxOutputBytes} bytes`, this.pos);
    }
  }

  private walkList(dot: Value, list: ListNode): void {
    for (const n of list.nodes) this.walk(dot, n);
  }

  private walk(dot: Value, node: Node): void {
    this.pos = node.pos;
    this.step();
    switch (node.kind) {
      case 'text':
        this.write(node.text);
        return;
      case 'action': {
        const v = this.evalPipeline(dot, node.pipe);
        if (node.pipe.decl.length === 0) this.write(printText(v));
        return;
      }
      case 'if':
      case 'with': {
        const mark = this.vars.length;
        const v = this.evalPipeline(dot, node.pipe);
        if (truthy(v)) this.walkList(node.kind === 'with' ? v : dot, node.list);
        else if (node.elseList) this.walkList(dot, node.elseList);
        this.vars.length = mark;
        return;
      }
      case 'range':
        this.walkRange(dot, node);
        return;
      case 'template': {
        const tmpl = this.templates.get(node.name);
        if (!tmpl) this.fail(`template ${JSON.stringify(node.name)} not defined`, node.pos);
        if (this.depth >= this.limits.maxDepth) {
          throw new EngineFault('TEMPLATE_LIMIT', `exceeded maximum template depth (${this.limits.maxDepth})`, node.pos);
        }
        const newDot = node.pipe ? this.evalPipeline(dot, node.pipe) : undefined;
        const saved = this.vars;
        this.vars = [{ name: '$', value: newDot }];
        this.depth++;
        try {
          this.walkList(newDot, tmpl);
        } finally {
          this.depth--;
          this.vars = saved;
        }
        return;
      }
      case 'break':
        throw BREAK;
      case 'continue':
        throw CONTINUE;
    }
  }

  private walkRange(dot: Value, r: RangeNode): void {
    const outerMark = this.vars.length;
    const val = this.evalPipeline(dot, r.pipe);
    const mark = this.vars.length;
    const decl = r.pipe.decl;
    const one = (index: Value, elem: Value): boolean => {
      this.step();
      if (decl.length > 0) {
        if (r.pipe.isAssign) {
          if (decl.length > 1) this.setVar(decl[0], index);
          else this.setVar(decl[0], elem);
        } else this.vars[this.vars.length - 1].value = elem;
      }
      if (decl.length > 1) {
        if (r.pipe.isAssign) this.setVar(decl[1], elem);
        else this.vars[this.vars.length - 2].value = index;
      }
      try {
        this.walkList(elem, r.list);
      } catch (e) {
        if (e === CONTINUE) return true;
        if (e === BREAK) return false;
        throw e;
      } finally {
        this.vars.length = mark;
      }
      return true;
    };
    const orElse = (): void => {
      if (r.elseList) this.walkList(dot, r.elseList);
    };
    try {
      if (val instanceof JsonNode || Array.isArray(val) || val instanceof Map) {
        if (Array.isArray(val) || (val instanceof JsonNode && val.isArray)) {
          const items = Array.isArray(val) ? val : (val as JsonNode).items();
          if (items.length === 0) return orElse();
          for (let i = 0; i < items.length; i++) if (!one(BigInt(i), items[i])) break;
          return;
        }
        const entries = val instanceof Map ? [...val.keys()].sort(compareGoStrings).map((k) => [k, val.get(k)] as const) : (val as JsonNode).pairs();
        if (entries.length === 0) return orElse();
        for (const [k, v] of entries) if (!one(k, v)) break;
        return;
      }
      const t = forkType(val);
      if (t === 'Number') {
        if (decl.length > 1) this.fail(`can't use ${forkRaw(val)} to iterate over more than one variable`, r.pos);
        const n = goInt(forkNum(val));
        if (!(n > 0)) return orElse();
        if (n > this.limits.maxSteps) throw new EngineFault('TEMPLATE_LIMIT', `range over ${n} exceeds ${this.limits.maxSteps} steps`, r.pos);
        for (let i = 0; i < n; i++) if (!one(BigInt(i), BigInt(i))) break;
        return;
      }
      if ((t === 'String' && typeof val === 'string') || val instanceof GoTime) {
        // A time reaches the fork's range as its fmt.Sprint text.
        const str = typeof val === 'string' ? val : displayString(val);
        if (str === '') return orElse();
        let offset = 0;
        for (const ch of str) {
          if (!one(BigInt(offset), ch)) break;
          offset += Buffer.byteLength(ch);
        }
        return;
      }
      if (val instanceof Uint8Array) {
        if (val.length === 0) return orElse();
        for (let i = 0; i < val.length; i++) if (!one(BigInt(i), BigInt(val[i]))) break;
        return;
      }
      this.fail(`range can't iterate over ${val instanceof GoTime ? displayString(val) : forkRaw(val)}`, r.pos);
    } finally {
      this.vars.length = outerMark;
    }
  }

  private setVar(name: string, value: Value): void {
    for (let i = this.vars.length - 1; i >= 0; i--) {
      if (this.vars[i].name === name) {
        this.vars[i].value = value;
        return;
      }
    }
    this.fail(`undefined variable: ${name}`);
  }

  private varValue(name: string): Value {
    for (let i = this.vars.length - 1; i >= 0; i--) if (this.vars[i].name === name) return this.vars[i].value;
    this.fail(`undefined variable: ${name}`);
  }

  private evalPipeline(dot: Value, pipe: PipeNode): Value {
    this.pos = pipe.pos;
    let value: Value = undefined;
    const cmds = pipe.cmds;
    for (let i = 0; i < cmds.length; i++) value = this.evalCommand(dot, cmds[i], value);
    for (const name of pipe.decl) {
      if (pipe.isAssign) this.setVar(name, value);
      else this.vars.push({ name, value });
    }
    return value;
  }

  private notAFunction(args: ArgNode[], final: Value, what: string): void {
    if (args.length > 1 || final !== undefined) this.fail(`can't give argument to non-function ${what}`);
  }

  private evalCommand(dot: Value, cmd: CommandNode, final: Value): Value {
    const first = cmd.args[0];
    this.pos = first.pos;
    switch (first.kind) {
      case 'field':
        return this.fieldChain(dot, first.path, cmd.args, final);
      case 'chain': {
        const recv = this.evalArg(dot, first.node);
        return this.fieldChain(recv, first.path, cmd.args, final);
      }
      case 'identifier':
        return this.evalFunction(dot, first, cmd.args, final);
      case 'pipe':
        this.notAFunction(cmd.args, final, '(pipeline)');
        return this.evalPipeline(dot, first);
      case 'variable':
        return this.evalVariable(first.name, first.path, cmd.args, final);
      case 'string': {
        const t = first.text;
        if (t.startsWith('`') && t.endsWith('`')) {
          // The fork treats a string operand wrapped in backticks as a GJSON path on dot.
          if (t.length < 2) this.fail('runtime error: slice bounds out of range');
          const path = t.slice(1, -1);
          if (cmd.args.length > 1 || final !== undefined) this.fail(`gjson path ${JSON.stringify(path)} is not a method but has arguments`);
          return lookup(dot, path);
        }
        this.notAFunction(cmd.args, final, first.quoted);
        return t;
      }
      case 'bool':
        this.notAFunction(cmd.args, final, String(first.value));
        return first.value;
      case 'dot':
        this.notAFunction(cmd.args, final, '.');
        return dot;
      case 'nil':
        this.notAFunction(cmd.args, final, 'nil');
        this.fail('nil is not a command');
        break;
      case 'number':
        this.notAFunction(cmd.args, final, first.text);
        return first.value;
    }
    this.fail(`can't evaluate command`);
  }

  private fieldChain(recv: Value, path: string, args: ArgNode[], final: Value): Value {
    if (recv === undefined) return undefined;
    const result = lookup(recv, path);
    if (args.length > 1 || final !== undefined) this.fail(`${path} is not a method but has arguments`);
    return result;
  }

  private evalVariable(name: string, path: string, args: ArgNode[], final: Value): Value {
    const v = this.varValue(name);
    if (path === '') {
      this.notAFunction(args, final, name);
      return v;
    }
    return this.fieldChain(v, path, args, final);
  }

  private evalArg(dot: Value, n: ArgNode): Value {
    this.pos = n.pos;
    switch (n.kind) {
      case 'dot':
        return dot;
      case 'nil':
        return null;
      case 'field':
        return dot === undefined ? undefined : lookup(dot, n.path);
      case 'variable': {
        const v = this.varValue(n.name);
        return n.path === '' ? v : v === undefined ? undefined : lookup(v, n.path);
      }
      case 'pipe':
        return this.evalPipeline(dot, n);
      case 'identifier':
        return this.evalFunction(dot, n, [n], undefined);
      case 'chain': {
        const recv = this.evalArg(dot, n.node);
        return recv === undefined ? undefined : lookup(recv, n.path);
      }
      case 'bool':
        return n.value;
      case 'number':
        return n.value;
      case 'string':
        return n.text;
    }
  }

  private evalFunction(dot: Value, id: IdentifierNode, args: ArgNode[], final: Value): Value {
    const fn: FuncDef = id.fn;
    this.step();
    if (fn.lazy) return this.evalAndOr(dot, fn.name === 'and', args, final);
    const vals: Value[] = [];
    for (let i = 1; i < args.length; i++) vals.push(this.evalArg(dot, args[i]));
    // As in the fork, a missing piped value is not passed at all.
    if (final !== undefined) vals.push(final);
    this.pos = id.pos;
    if (vals.length < fn.min || vals.length > fn.max) {
      this.fail(`wrong number of args for ${fn.name}: want ${fn.min === fn.max ? fn.min : `at least ${fn.min}`} got ${vals.length}`, id.pos);
    }
    this.dot = dot;
    let result: Value;
    try {
      result = fn.call(fn.convertArgs ? vals.map(toGoArg) : vals, this);
    } catch (e) {
      if (e instanceof FuncError) this.fail(`${fn.name}: ${e.message}`, id.pos);
      if (e instanceof LimitError) throw new EngineFault('TEMPLATE_LIMIT', `${fn.name}: ${e.message}`, id.pos);
      throw e;
    }
    this.chargeResult(fn.name, result, id.pos);
    return normalizeResult(fn, result);
  }

  /** Charges the work a result represents, so loops that grow strings or lists stay bounded. */
  private chargeResult(name: string, v: Value, pos: number): void {
    let size = 0;
    if (typeof v === 'string') size = v.length;
    else if (Array.isArray(v)) size = v.length * 16;
    else if (v instanceof Map) size = v.size * 16;
    else return;
    if (size > this.limits.maxOutputBytes) {
      throw new EngineFault('TEMPLATE_LIMIT', `${name}: result exceeds ${this.limits.maxOutputBytes} bytes`, pos);
    }
    if (size >= 64) {
      this.pos = pos;
      this.step(size >> 6);
    }
  }

  private evalAndOr(dot: Value, isAnd: boolean, args: ArgNode[], final: Value): Value {
    let last: Value = undefined;
    const n = args.length - 1 + (final !== undefined ? 1 : 0);
    if (n < 1) this.fail(`wrong number of args for ${isAnd ? 'and' : 'or'}: want at least 1 got 0`);
    for (let i = 1; i <= n; i++) {
      const v = i < args.length ? this.evalArg(dot, args[i]) : final;
      last = v;
      if (truthy(v) !== isAnd) return v;
    }
    return last;
  }
}

/** Go's int(x) of a float64 on amd64: out-of-range values become the minimum int64. */
function goInt(x: number): number {
  if (Number.isNaN(x) || x >= 2 ** 63 || x < -(2 ** 63)) return -(2 ** 63);
  return Math.trunc(x);
}

/** Converts a function's Go result into the next pipeline value, as the fork does. */
function normalizeResult(fn: FuncDef, v: Value): Value {
  switch (fn.ret) {
    case 'int':
      return typeof v === 'bigint' ? BigInt.asIntN(64, v) : v;
    case 'any':
      // interface{} results go through fmt.Sprint in the fork; lists, dicts and times keep their type here.
      if (v === null || v === undefined || typeof v === 'boolean' || typeof v === 'bigint' || typeof v === 'number') return displayString(v);
      if (v instanceof JsonNumber) return v.raw;
      return v;
    default:
      return v;
  }
}
