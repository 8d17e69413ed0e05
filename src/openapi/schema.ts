import { pointerJoin } from './errors.js';
import type { RefResolver } from './refs.js';

/** A JSON Schema (2020-12) object as emitted in tool args and output schemas. */
export type JsonSchema = Record<string, unknown>;

const JSON_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);
// Types seen in real documents that are not JSON Schema types; mapped so ajv accepts the schema.
const TYPE_ALIASES: Record<string, string> = {
  int: 'integer', int32: 'integer', int64: 'integer', long: 'integer', short: 'integer',
  float: 'number', double: 'number', decimal: 'number', bool: 'boolean',
  date: 'string', datetime: 'string', 'date-time': 'string', file: 'string', char: 'string', text: 'string',
  dict: 'object', map: 'object', list: 'array',
};
const NUMBER_KEYWORDS = ['minimum', 'maximum'] as const;
const COUNT_KEYWORDS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties'] as const;
/** Depths tried, deepest first, until a schema fits its node budget. */
const DEPTHS = [10, 6, 4, 3, 2, 1];
export const FULL_DEPTH = DEPTHS[0];
const MAX_ALLOF_NESTING = 16;

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Limits and findings of one bounded conversion. */
export interface SchemaState {
  maxDepth: number;
  maxNodes: number;
  nodes: number;
  enforce: boolean;
  cycles: boolean;
  /** Refs being expanded on the current path, to cut recursion. */
  stack: string[];
}

class BudgetExceeded extends Error {}
const BUDGET = new BudgetExceeded('schema budget exceeded');

const patternValidity = new Map<string, boolean>();
function validPattern(p: string): boolean {
  let ok = patternValidity.get(p);
  if (ok === undefined) {
    try {
      new RegExp(p, 'u');
      ok = true;
    } catch {
      ok = false;
    }
    if (patternValidity.size < 10_000) patternValidity.set(p, ok);
  }
  return ok;
}

function normaliseType(t: unknown): string | undefined {
  if (typeof t !== 'string') return undefined;
  const lower = t.toLowerCase();
  if (JSON_TYPES.has(lower)) return lower;
  return TYPE_ALIASES[lower];
}

/**
 * Converts OpenAPI schema objects (Swagger 2.0, 3.0, 3.1) into JSON Schema 2020-12 that ajv
 * compiles: `$ref` resolved at any depth, `allOf` merged, `nullable` turned into a `null` type,
 * unknown types mapped or dropped, invalid keywords removed, recursion and size bounded.
 */
export class SchemaConverter {
  /** allOf merges by ref, reused across operations (big documents merge the same bases often). */
  private readonly merged = new Map<string, Record<string, unknown>>();
  private cutMerges = 0;

  constructor(private readonly resolver: RefResolver) {}

  /**
   * Runs `build` with the deepest expansion whose node count fits `maxNodes`, so a huge schema
   * is cut evenly at a shallower depth instead of losing whole branches.
   */
  bounded<T>(maxNodes: number, build: (st: SchemaState) => T): { value: T; depth: number; cycles: boolean } {
    for (const depth of DEPTHS) {
      const st: SchemaState = { maxDepth: depth, maxNodes, nodes: 0, enforce: depth !== DEPTHS[DEPTHS.length - 1], cycles: false, stack: [] };
      try {
        return { value: build(st), depth, cycles: st.cycles };
      } catch (err) {
        if (err !== BUDGET) throw err;
      }
    }
    throw new Error('unreachable');
  }

  /**
   * Resolves `node` and merges its `allOf` members into one plain schema object (without
   * converting it), for callers that inspect properties, e.g. to split a body into args.
   */
  flatten(node: unknown, at: string, st: SchemaState): { schema: Record<string, unknown>; refs: string[]; cyclic: boolean; description?: string } {
    const r = this.resolver.resolve(node, at);
    const cyclic = r.refs.some((ref) => st.stack.includes(ref));
    let schema = isObject(r.value) ? r.value : {};
    if (!cyclic && Array.isArray(schema.allOf)) {
      const key = r.refs.length ? r.refs[r.refs.length - 1] : undefined;
      const cached = key !== undefined ? this.merged.get(key) : undefined;
      if (cached) schema = cached;
      else {
        st.stack.push(...r.refs);
        const before = this.cutMerges;
        try {
          schema = this.mergeAllOf(schema, key ? key.slice(1) : at, st, 0);
        } finally {
          st.stack.length -= r.refs.length;
        }
        // A merge that skipped a member because of recursion depends on the path; cache only clean ones.
        if (key !== undefined && this.cutMerges === before) this.merged.set(key, schema);
      }
    }
    return r.siblingDescription !== undefined ? { schema, refs: r.refs, cyclic, description: r.siblingDescription } : { schema, refs: r.refs, cyclic };
  }

  private mergeAllOf(schema: Record<string, unknown>, at: string, st: SchemaState, nesting: number): Record<string, unknown> {
    const merged: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema)) if (k !== 'allOf') merged[k] = v;
    const members = schema.allOf as unknown[];
    for (let i = 0; i < members.length; i++) {
      const r = this.resolver.resolve(members[i], pointerJoin(pointerJoin(at, 'allOf'), i));
      if (r.refs.some((ref) => st.stack.includes(ref))) {
        st.cycles = true;
        this.cutMerges++;
        continue;
      }
      let member = isObject(r.value) ? r.value : {};
      if (Array.isArray(member.allOf) && nesting < MAX_ALLOF_NESTING) {
        st.stack.push(...r.refs);
        try {
          member = this.mergeAllOf(member, r.refs.length ? r.refs[r.refs.length - 1].slice(1) : pointerJoin(pointerJoin(at, 'allOf'), i), st, nesting + 1);
        } finally {
          st.stack.length -= r.refs.length;
        }
      }
      for (const [k, v] of Object.entries(member)) {
        if (k === 'allOf') continue;
        if (k === 'properties' && isObject(v)) {
          const props = isObject(merged.properties) ? { ...merged.properties } : {};
          for (const [pk, pv] of Object.entries(v)) if (!(pk in props)) props[pk] = pv;
          merged.properties = props;
        } else if (k === 'required' && Array.isArray(v)) {
          const req = Array.isArray(merged.required) ? [...merged.required] : [];
          for (const name of v) if (!req.includes(name)) req.push(name);
          merged.required = req;
        } else if (merged[k] === undefined) {
          merged[k] = v;
        }
      }
    }
    return merged;
  }

  /** Converts one schema node at `depth` (0 = the arg or response root). */
  convert(node: unknown, at: string, depth: number, st: SchemaState): JsonSchema | boolean {
    if (typeof node === 'boolean') return node;
    st.nodes++;
    if (st.enforce && st.nodes > st.maxNodes) throw BUDGET;
    const flat = this.flatten(node, at, st);
    const s = flat.schema;
    const out: JsonSchema = {};
    const types: string[] = [];
    if (Array.isArray(s.type)) {
      for (const t of s.type) {
        const n = normaliseType(t);
        if (n && !types.includes(n)) types.push(n);
      }
    } else {
      const n = normaliseType(s.type);
      if (n) types.push(n);
    }
    if (types.length === 0) {
      if (isObject(s.properties) || isObject(s.additionalProperties)) types.push('object');
      else if (s.items !== undefined) types.push('array');
    }
    const nullable = s.nullable === true || s['x-nullable'] === true;
    if (nullable && types.length > 0 && !types.includes('null')) types.push('null');
    if (types.length === 1) out.type = types[0];
    else if (types.length > 1) out.type = types;
    if (typeof s.title === 'string') out.title = s.title;
    const description = flat.description ?? s.description;
    if (typeof description === 'string' && description !== '') out.description = description;
    if (typeof s.format === 'string') out.format = s.format;
    if (Array.isArray(s.enum) && s.enum.length > 0) {
      const values = s.enum.filter((v) => v !== undefined);
      if (types.includes('null') && !values.includes(null)) values.push(null);
      out.enum = values;
      st.nodes += values.length >> 4;
    }
    if ('const' in s && s.const !== undefined) out.const = s.const;
    if (s.default !== undefined) out.default = s.default;
    if (typeof s.pattern === 'string' && validPattern(s.pattern)) out.pattern = s.pattern;
    for (const k of NUMBER_KEYWORDS) if (typeof s[k] === 'number' && Number.isFinite(s[k])) out[k] = s[k];
    if (typeof s.multipleOf === 'number' && s.multipleOf > 0) out.multipleOf = s.multipleOf;
    for (const [flag, bound] of [['exclusiveMinimum', 'minimum'], ['exclusiveMaximum', 'maximum']] as const) {
      const v = s[flag];
      if (typeof v === 'number' && Number.isFinite(v)) out[flag] = v;
      else if (v === true && typeof out[bound] === 'number') {
        // OpenAPI 3.0 / draft-04 boolean form becomes the 2020-12 numeric form.
        out[flag] = out[bound];
        delete out[bound];
      }
    }
    for (const k of COUNT_KEYWORDS) if (Number.isInteger(s[k]) && (s[k] as number) >= 0) out[k] = s[k];
    if (typeof s.uniqueItems === 'boolean') out.uniqueItems = s.uniqueItems;

    if (flat.cyclic) {
      // A schema that contains itself: keep its type and description, stop expanding.
      st.cycles = true;
      return out;
    }
    if (depth >= st.maxDepth) return out;
    st.stack.push(...flat.refs);
    try {
      const base = flat.refs.length ? flat.refs[flat.refs.length - 1].slice(1) : at;
      if (isObject(s.properties)) {
        const props: Record<string, unknown> = {};
        for (const [name, child] of Object.entries(s.properties)) {
          if (child === undefined || child === null) continue;
          props[name] = this.convert(child, pointerJoin(pointerJoin(base, 'properties'), name), depth + 1, st);
        }
        out.properties = props;
      }
      if (Array.isArray(s.required)) {
        const req = [...new Set(s.required.filter((r): r is string => typeof r === 'string'))];
        if (req.length > 0) out.required = req;
      }
      if (typeof s.additionalProperties === 'boolean') out.additionalProperties = s.additionalProperties;
      else if (isObject(s.additionalProperties)) {
        out.additionalProperties = this.convert(s.additionalProperties, pointerJoin(base, 'additionalProperties'), depth + 1, st);
      }
      if (isObject(s.items) || typeof s.items === 'boolean') out.items = this.convert(s.items, pointerJoin(base, 'items'), depth + 1, st);
      else if (Array.isArray(s.items) && s.items.length > 0) {
        out.prefixItems = s.items.map((item, i) => this.convert(item, pointerJoin(pointerJoin(base, 'items'), i), depth + 1, st));
      }
      for (const k of ['oneOf', 'anyOf'] as const) {
        const list = s[k];
        if (Array.isArray(list) && list.length > 0) {
          out[k] = list.map((item, i) => this.convert(item, pointerJoin(pointerJoin(base, k), i), depth + 1, st));
        }
      }
      if (isObject(s.not)) out.not = this.convert(s.not, pointerJoin(base, 'not'), depth + 1, st);
    } finally {
      st.stack.length -= flat.refs.length;
    }
    return out;
  }
}
