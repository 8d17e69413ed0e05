import { isMap, isScalar, parseDocument, type Document } from 'yaml';
import { MAX_NESTING_DEPTH, nestingDepth } from '../openapi/nesting.js';
import type { ResourceKind } from '../store/types.js';
import { SECRET_PATHS } from '../config/schemas.js';

export const MASK = '****';

/** The cipher used for secret fields; SecretBox (secrets.ts) implements it. */
export interface SecretCipher {
  encrypt(plain: string): string;
  decrypt(value: string): string;
  isEncrypted(value: unknown): boolean;
}

type Visit = (holder: Record<string, unknown>, key: string, value: unknown) => void;

/** Calls visit for every value at a dotted path with `*` wildcards (array items or map keys). */
function walk(obj: unknown, parts: string[], visit: Visit): void {
  if (obj === null || typeof obj !== 'object') return;
  const [head, ...tail] = parts;
  const holder = obj as Record<string, unknown>;
  const keys = head === '*' ? Object.keys(holder) : [head];
  for (const k of keys) {
    if (!(k in holder)) continue;
    if (tail.length === 0) visit(holder, k, holder[k]);
    else walk(holder[k], tail, visit);
  }
}

function eachSecret(kind: ResourceKind, spec: Record<string, unknown>, visit: Visit): void {
  for (const path of SECRET_PATHS[kind]) walk(spec, path.split('.'), visit);
}

function deepCopy<T>(v: T): T {
  return JSON.parse(JSON.stringify(v)) as T;
}

/* ---------- secrets inside tool YAML (MCP servers) ---------- */

const SECRET_CONFIG_KEY = /(key|token|secret|password|passwd|credential|auth|cookie|signature)/i;

/** YAML paths of the secret scalars in Higress tool YAML. */
function toolYamlSecretPaths(doc: Document): Array<Array<string | number>> {
  const out: Array<Array<string | number>> = [];
  const js = doc.toJS() as Record<string, any> | null;
  if (!js || typeof js !== 'object') return out;
  const server = js.server ?? {};
  (Array.isArray(server.securitySchemes) ? server.securitySchemes : []).forEach((s: any, i: number) => {
    if (s && typeof s === 'object' && 'defaultCredential' in s) out.push(['server', 'securitySchemes', i, 'defaultCredential']);
    if (s?.tokenSource && typeof s.tokenSource === 'object' && 'clientSecret' in s.tokenSource) out.push(['server', 'securitySchemes', i, 'tokenSource', 'clientSecret']);
  });
  for (const k of ['defaultDownstreamSecurity', 'defaultUpstreamSecurity']) if (server[k] && 'credential' in server[k]) out.push(['server', k, 'credential']);
  if (server.config && typeof server.config === 'object') {
    for (const k of Object.keys(server.config)) if (SECRET_CONFIG_KEY.test(k) && typeof server.config[k] === 'string') out.push(['server', 'config', k]);
  }
  (Array.isArray(js.tools) ? js.tools : []).forEach((t: any, i: number) => {
    if (t?.security && 'credential' in t.security) out.push(['tools', i, 'security', 'credential']);
    if (t?.requestTemplate?.security && 'credential' in t.requestTemplate.security) out.push(['tools', i, 'requestTemplate', 'security', 'credential']);
  });
  return out;
}

function parseYaml(text: string): Document | undefined {
  // Too deep to parse safely; validation refuses such tool YAML anyway.
  if (nestingDepth(text, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) return undefined;
  const doc = parseDocument(text);
  return doc.errors.length === 0 && isMap(doc.contents) ? doc : undefined;
}

/** Replaces every non-empty secret in tool YAML with the mask; returns the text unchanged when nothing is secret. */
export function maskToolYaml(text: string): string {
  const doc = parseYaml(text);
  if (!doc) return text;
  let changed = false;
  for (const p of toolYamlSecretPaths(doc)) {
    const node = doc.getIn(p, true);
    if (isScalar(node) && typeof node.value === 'string' && node.value !== '' && node.value !== MASK) {
      node.value = MASK;
      changed = true;
    }
  }
  return changed ? doc.toString({ lineWidth: 0 }) : text;
}

/** True when tool YAML holds at least one non-empty secret. */
export function toolYamlHasSecrets(text: string): boolean {
  return maskToolYaml(text) !== text;
}

/** Puts back secrets the client sent as the mask, from the stored text, path by path. */
export function restoreToolYamlSecrets(incoming: string, stored: string | undefined): string {
  if (!stored || !incoming.includes(MASK)) return incoming;
  const doc = parseYaml(incoming);
  const old = parseYaml(stored);
  if (!doc || !old) return incoming;
  let changed = false;
  for (const p of toolYamlSecretPaths(doc)) {
    const node = doc.getIn(p, true);
    if (isScalar(node) && node.value === MASK) {
      const previous = old.getIn(p);
      if (typeof previous === 'string') {
        node.value = previous;
        changed = true;
      }
    }
  }
  return changed ? doc.toString({ lineWidth: 0 }) : incoming;
}

/* ---------- whole resources ---------- */

/** For storage: encrypts every secret field (and tool YAML holding secrets). */
export function encryptSpec(kind: ResourceKind, spec: Record<string, unknown>, cipher: SecretCipher): Record<string, unknown> {
  const out = deepCopy(spec);
  eachSecret(kind, out, (holder, key, value) => {
    if (typeof value === 'string' && value !== '' && !cipher.isEncrypted(value)) holder[key] = cipher.encrypt(value);
  });
  if (kind === 'mcp-servers' && typeof out.tools === 'string' && toolYamlHasSecrets(out.tools)) out.tools = cipher.encrypt(out.tools);
  return out;
}

/** From storage: decrypts every secret field. */
export function decryptSpec(kind: ResourceKind, spec: Record<string, unknown>, cipher: SecretCipher): Record<string, unknown> {
  const out = deepCopy(spec);
  eachSecret(kind, out, (holder, key, value) => {
    if (cipher.isEncrypted(value)) holder[key] = cipher.decrypt(value as string);
  });
  if (kind === 'mcp-servers' && cipher.isEncrypted(out.tools)) out.tools = cipher.decrypt(out.tools as string);
  return out;
}

/** For API answers and exports: every secret as the mask. Takes a decrypted spec. */
export function maskSpec(kind: ResourceKind, spec: Record<string, unknown>): Record<string, unknown> {
  const out = deepCopy(spec);
  eachSecret(kind, out, (holder, key, value) => {
    if (typeof value === 'string' && value !== '') holder[key] = MASK;
  });
  if (kind === 'mcp-servers' && typeof out.tools === 'string') out.tools = maskToolYaml(out.tools);
  return out;
}

/** A write that sends the mask back keeps the stored secret (both decrypted). */
export function restoreMaskedSecrets(kind: ResourceKind, incoming: Record<string, unknown>, stored: Record<string, unknown> | undefined): Record<string, unknown> {
  if (!stored) return incoming;
  const out = deepCopy(incoming);
  for (const path of SECRET_PATHS[kind]) {
    const parts = path.split('.');
    walk(out, parts, (holder, key, value) => {
      if (value !== MASK) return;
      // Find the same path in the stored spec by replaying the concrete keys.
      const concrete = findConcrete(out, holder, key);
      const previous = concrete ? getPath(stored, concrete) : undefined;
      if (typeof previous === 'string') holder[key] = previous;
    });
  }
  if (kind === 'mcp-servers' && typeof out.tools === 'string') out.tools = restoreToolYamlSecrets(out.tools, stored.tools as string | undefined);
  return out;
}

function findConcrete(root: unknown, holder: unknown, key: string, prefix: string[] = []): string[] | undefined {
  if (root === holder) return [...prefix, key];
  if (root === null || typeof root !== 'object') return undefined;
  for (const [k, v] of Object.entries(root as Record<string, unknown>)) {
    const found = findConcrete(v, holder, key, [...prefix, k]);
    if (found) return found;
  }
  return undefined;
}

function getPath(obj: unknown, path: string[]): unknown {
  let cur = obj;
  for (const p of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}
