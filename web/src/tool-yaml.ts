import { isMap, isSeq, LineCounter, parseDocument, type Document, YAMLMap, YAMLSeq } from 'yaml';

/** A problem located in a YAML text (1-based line and column). */
export interface YamlProblem {
  line: number;
  column?: number;
  message: string;
  severity?: 'error' | 'warning';
  source?: string;
}

function parse(text: string): { doc: Document.Parsed; lines: LineCounter } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: true, uniqueKeys: true });
  return { doc, lines };
}

/**
 * Syntax errors of a tool YAML text, plus the shape mistakes a reader would catch at a glance
 * (`tools` not a list, a tool without a name). The server's validation stays the authority.
 */
export function yamlProblems(text: string): YamlProblem[] {
  if (!text.trim()) return [];
  const { doc, lines } = parse(text);
  const problems: YamlProblem[] = doc.errors.map((e) => {
    // The parser reports an unclosed quote where the text ends; point at the opening quote instead.
    const quote = e.code === 'MISSING_CHAR' ? /Missing closing (["'])quote/.exec(e.message)?.[1] : undefined;
    const opener = quote ? text.lastIndexOf(quote, e.pos[0]) : -1;
    if (opener >= 0) {
      const at = lines.linePos(opener);
      return { line: at.line, column: at.col, message: `This ${quote === '"' ? 'double' : 'single'}-quoted string is never closed`, source: 'yaml' };
    }
    const pos = e.linePos?.[0] ?? lines.linePos(e.pos[0]);
    return { line: pos.line, column: pos.col, message: e.message.split('\n')[0], source: 'yaml' };
  });
  if (problems.length) return problems;
  const at = (node: { range?: [number, number, number] | null } | null | undefined) => {
    const pos = lines.linePos(node?.range?.[0] ?? 0);
    return { line: pos.line, column: pos.col };
  };
  const root = doc.contents;
  if (root && !isMap(root)) return [{ ...at(root), message: 'The tool configuration must be a mapping with server and tools', source: 'shape' }];
  const tools = isMap(root) ? root.get('tools', true) : undefined;
  if (tools !== undefined && tools !== null && !isSeq(tools)) {
    problems.push({ ...at(tools as never), message: '`tools` must be a list', source: 'shape' });
  } else if (isSeq(tools)) {
    tools.items.forEach((item, i) => {
      if (!isMap(item)) problems.push({ ...at(item as never), message: `tools[${i}] must be a mapping`, source: 'shape' });
      else if (!item.get('name')) problems.push({ ...at(item), message: `tools[${i}] has no name`, source: 'shape' });
    });
  }
  return problems;
}

/** Backend (upstream) authentication the console can write into `server.securitySchemes`. */
export type BackendAuth =
  | { kind: 'none' }
  | { kind: 'basic'; username: string; password: string }
  | { kind: 'bearer'; token: string }
  | { kind: 'apiKey'; in: 'header' | 'query'; name: string; value: string };

const SCHEME_ID = 'backend';

function ensureMap(doc: Document, key: string): YAMLMap {
  let node = doc.get(key, true);
  if (!isMap(node)) {
    node = doc.createNode({});
    doc.set(key, node);
  }
  return node as YAMLMap;
}

function dumps(doc: Document): string {
  return doc.toString({ lineWidth: 0 });
}

/** Reads the console-managed backend scheme (id `backend`) from a tool YAML text. */
export function readBackendAuth(text: string): BackendAuth {
  const { doc } = parse(text || '{}');
  const schemes = doc.getIn(['server', 'securitySchemes']);
  const list = isSeq(schemes) ? (schemes.toJSON() as Array<Record<string, string>>) : [];
  const s = list.find((x) => x && x.id === SCHEME_ID);
  if (!s) return { kind: 'none' };
  const cred = String(s.defaultCredential ?? '');
  if (s.type === 'http' && s.scheme === 'basic') {
    const i = cred.indexOf(':');
    return { kind: 'basic', username: i < 0 ? cred : cred.slice(0, i), password: i < 0 ? '' : cred.slice(i + 1) };
  }
  if (s.type === 'http' && s.scheme === 'bearer') return { kind: 'bearer', token: cred };
  if (s.type === 'apiKey') return { kind: 'apiKey', in: s.in === 'query' ? 'query' : 'header', name: s.name ?? '', value: cred };
  return { kind: 'none' };
}

/**
 * Writes `auth` as the `backend` entry of `server.securitySchemes` and makes it the server's
 * `defaultUpstreamSecurity`, keeping every other part of the text (comments included).
 */
export function writeBackendAuth(text: string, auth: BackendAuth, serverName: string): string {
  const { doc } = parse(text.trim() ? text : `server:\n  name: ${serverName}\ntools: []\n`);
  if (doc.errors.length) throw new Error(`The tool YAML has a syntax error: ${doc.errors[0].message.split('\n')[0]}`);
  const server = ensureMap(doc, 'server');
  if (!server.get('name')) server.set('name', serverName);
  const found: unknown = server.get('securitySchemes', true);
  const seq: YAMLSeq = isSeq(found) ? found : new YAMLSeq();
  seq.items = seq.items.filter((item) => !(isMap(item) && item.get('id') === SCHEME_ID));
  if (auth.kind === 'none') {
    if (seq.items.length) server.set('securitySchemes', seq);
    else server.delete('securitySchemes');
    const def = server.get('defaultUpstreamSecurity');
    if (isMap(def) && def.get('id') === SCHEME_ID) server.delete('defaultUpstreamSecurity');
    return dumps(doc);
  }
  const entry: Record<string, string> =
    auth.kind === 'basic'
      ? { id: SCHEME_ID, type: 'http', scheme: 'basic', defaultCredential: `${auth.username}:${auth.password}` }
      : auth.kind === 'bearer'
        ? { id: SCHEME_ID, type: 'http', scheme: 'bearer', defaultCredential: auth.token }
        : { id: SCHEME_ID, type: 'apiKey', in: auth.in, name: auth.name, defaultCredential: auth.value };
  seq.items.push(doc.createNode(entry));
  server.set('securitySchemes', seq);
  server.set('defaultUpstreamSecurity', doc.createNode({ id: SCHEME_ID }));
  return dumps(doc);
}

/**
 * Adds the tools of `generated` to `existing`: a generated tool replaces the existing one of the same
 * name; the existing `server` section (security schemes, config) is kept. Empty `existing` -> `generated`.
 */
export function mergeTools(existing: string, generated: string): string {
  if (!existing.trim()) return generated;
  const base = parse(existing).doc;
  const gen = parse(generated).doc;
  if (base.errors.length || gen.errors.length) return generated;
  const baseTools = base.get('tools', true);
  const genTools = gen.get('tools', true);
  if (!isSeq(genTools)) return existing;
  const seq = isSeq(baseTools) ? baseTools : new YAMLSeq();
  const names = new Map<string, number>();
  seq.items.forEach((item, i) => isMap(item) && names.set(String(item.get('name')), i));
  for (const item of genTools.items) {
    const copy = base.createNode((item as YAMLMap).toJSON());
    const name = isMap(item) ? String(item.get('name')) : '';
    const at = names.get(name);
    if (at !== undefined) seq.items[at] = copy;
    else seq.items.push(copy);
  }
  base.set('tools', seq);
  return dumps(base);
}

/** Names of the tools declared in a tool YAML text (empty when it does not parse). */
export function toolNames(text: string): string[] {
  if (!text?.trim()) return [];
  const { doc } = parse(text);
  const tools = doc.get('tools');
  if (!isSeq(tools)) return [];
  return tools.items.map((t) => (isMap(t) ? String(t.get('name') ?? '') : '')).filter(Boolean);
}

/** An editable example tool configuration in the Higress format. */
export function exampleToolYaml(serverName: string): string {
  return `server:
  name: ${serverName}
tools:
  - name: get-item
    description: "Fetch one item by its id from the backend service"
    args:
      - name: id
        description: "Identifier of the item"
        type: string
        required: true
      - name: verbose
        description: "Include every field"
        type: boolean
        required: false
    requestTemplate:
      # A path is sent to this server's service; an absolute URL is sent as written.
      url: "/items/{{.args.id}}"
      method: GET
      headers:
        - key: Accept
          value: application/json
    responseTemplate:
      body: |
        # Item {{.id}}
        - **Name**: {{.name}}
        - **Price**: {{.price}}
`;
}
