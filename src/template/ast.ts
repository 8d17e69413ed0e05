/**
 * Parse tree of a template, mirroring Go's text/template/parse node kinds. Every node keeps its
 * source offset so errors can name a line and column.
 */
import type { FuncDef } from './functions.js';

/** A node that can appear in a template body. */
export type Node = TextNode | ActionNode | IfNode | RangeNode | WithNode | TemplateNode | BreakNode | ContinueNode;

/** A sequence of nodes (the body of a template or of a control structure). */
export interface ListNode {
  kind: 'list';
  pos: number;
  nodes: Node[];
}

/** Literal text outside actions. */
export interface TextNode {
  kind: 'text';
  pos: number;
  text: string;
}

/** `{{pipeline}}`: evaluates and prints unless it declares variables. */
export interface ActionNode {
  kind: 'action';
  pos: number;
  pipe: PipeNode;
}

/** `{{if}}…{{else}}…{{end}}`. */
export interface IfNode {
  kind: 'if';
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}

/** `{{with}}…{{else}}…{{end}}`: like if, and sets dot. */
export interface WithNode {
  kind: 'with';
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}

/** `{{range}}…{{else}}…{{end}}`. */
export interface RangeNode {
  kind: 'range';
  pos: number;
  pipe: PipeNode;
  list: ListNode;
  elseList: ListNode | null;
}

/** `{{template "name" pipeline}}` (also produced by block). */
export interface TemplateNode {
  kind: 'template';
  pos: number;
  name: string;
  pipe: PipeNode | null;
}

/** `{{break}}` inside range. */
export interface BreakNode {
  kind: 'break';
  pos: number;
}

/** `{{continue}}` inside range. */
export interface ContinueNode {
  kind: 'continue';
  pos: number;
}

/** A pipeline with optional variable declarations: `$x := a | b c`. */
export interface PipeNode {
  kind: 'pipe';
  pos: number;
  isAssign: boolean;
  decl: string[];
  cmds: CommandNode[];
}

/** One stage of a pipeline: an operand followed by arguments. */
export interface CommandNode {
  kind: 'command';
  pos: number;
  args: ArgNode[];
}

/** An operand of a command. */
export type ArgNode =
  | FieldNode
  | VariableNode
  | DotNode
  | NilNode
  | BoolNode
  | NumberNode
  | StringNode
  | IdentifierNode
  | PipeNode
  | ChainNode;

/** `.a.b`: `path` is the GJSON path `a.b`. */
export interface FieldNode {
  kind: 'field';
  pos: number;
  idents: string[];
  path: string;
}

/** `$x` or `$x.a.b`: `path` is the GJSON path after the variable, or ''. */
export interface VariableNode {
  kind: 'variable';
  pos: number;
  name: string;
  idents: string[];
  path: string;
}

/** `.` */
export interface DotNode {
  kind: 'dot';
  pos: number;
}

/** `nil` */
export interface NilNode {
  kind: 'nil';
  pos: number;
}

/** `true` / `false` */
export interface BoolNode {
  kind: 'bool';
  pos: number;
  value: boolean;
}

/** A numeric constant, already converted to the value the fork gives it (int64 or float64, or a string for complex). */
export interface NumberNode {
  kind: 'number';
  pos: number;
  text: string;
  value: bigint | number | string;
}

/** A quoted or raw string literal; `text` is the unquoted value. */
export interface StringNode {
  kind: 'string';
  pos: number;
  quoted: string;
  text: string;
}

/** A function name, resolved against the function table at parse time. */
export interface IdentifierNode {
  kind: 'identifier';
  pos: number;
  name: string;
  fn: FuncDef;
}

/** `(pipeline).a.b`: field access on the result of a parenthesized pipeline. */
export interface ChainNode {
  kind: 'chain';
  pos: number;
  node: ArgNode;
  fields: string[];
  path: string;
}
