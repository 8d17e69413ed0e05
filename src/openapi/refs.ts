import { OpenApiError } from './errors.js';

const MAX_CHAIN = 64;

export interface Resolved {
  /** The object reached after following every `$ref` (never itself a `$ref`). */
  value: unknown;
  /** The refs followed on the way, outermost first (empty when `node` was not a `$ref`). */
  refs: string[];
  /** A `description` written beside the outermost `$ref` (OpenAPI 3.1 allows it). */
  siblingDescription?: string;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Follows local `$ref`s (`#/...`) inside one document, lazily and memoised. External refs
 * (other files, URLs) are never fetched: they raise OPENAPI_BAD_REF naming where they occur.
 */
export class RefResolver {
  private readonly cache = new Map<string, unknown>();

  constructor(private readonly root: unknown) {}

  /** Resolves `node` if it is a `$ref` object; `at` is its JSON pointer, used in errors. */
  resolve(node: unknown, at: string): Resolved {
    if (!isObject(node) || typeof node.$ref !== 'string') return { value: node, refs: [] };
    const refs: string[] = [];
    const siblingDescription = typeof node.description === 'string' ? node.description : undefined;
    let current: unknown = node;
    let where = at;
    while (isObject(current) && typeof current.$ref === 'string') {
      const ref = current.$ref;
      if (refs.includes(ref) || refs.length >= MAX_CHAIN) {
        throw new OpenApiError('OPENAPI_BAD_REF', `$ref chain "${refs[0]}" never reaches a value (loop through "${ref}")`, `${at}/$ref`);
      }
      refs.push(ref);
      current = this.lookup(ref, `${where}/$ref`);
      where = ref.slice(1);
    }
    return siblingDescription === undefined ? { value: current, refs } : { value: current, refs, siblingDescription };
  }

  /** Returns the value a local ref points to, or throws OPENAPI_BAD_REF. */
  lookup(ref: string, location: string): unknown {
    const hit = this.cache.get(ref);
    if (hit !== undefined) return hit;
    if (!ref.startsWith('#')) {
      throw new OpenApiError('OPENAPI_BAD_REF', `external $ref "${ref}" is not followed: bundle the document into one file first`, location);
    }
    let value: unknown = this.root;
    const body = ref.slice(1);
    if (body !== '' && !body.startsWith('/')) {
      throw new OpenApiError('OPENAPI_BAD_REF', `$ref "${ref}" is not a JSON pointer (anchors are not supported)`, location);
    }
    const tokens = body === '' ? [] : body.slice(1).split('/');
    for (const raw of tokens) {
      let token: string;
      try {
        token = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      } catch {
        token = raw.replace(/~1/g, '/').replace(/~0/g, '~');
      }
      if (Array.isArray(value) && /^\d+$/.test(token) && Number(token) < value.length) value = value[Number(token)];
      else if (isObject(value) && Object.prototype.hasOwnProperty.call(value, token)) value = value[token];
      else throw new OpenApiError('OPENAPI_BAD_REF', `$ref "${ref}" points to nothing: "${token}" does not exist`, location);
    }
    if (value === undefined || value === null) {
      throw new OpenApiError('OPENAPI_BAD_REF', `$ref "${ref}" points to an empty value`, location);
    }
    this.cache.set(ref, value);
    return value;
  }
}
