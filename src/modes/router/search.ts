import type { ServerRoute, Snapshot } from '../../snapshot/snapshot.js';
import type { CallerContext } from '../../protocol/dispatch.js';
import { mayUseTool } from './access.js';

/** One tool as the router indexes it. */
export interface IndexedTool {
  server: string;
  tool: string;
  description: string;
  definition: Record<string, unknown>;
  nameTokens: string[];
  argTokens: string[];
  descriptionTokens: string[];
  serverTokens: string[];
}

export interface SearchHit {
  server: string;
  tool: string;
  description: string;
  score: number;
  inputSchema: unknown;
}

const STOPWORDS = new Set(['a', 'an', 'and', 'the', 'of', 'to', 'for', 'in', 'on', 'by', 'with', 'or', 'is', 'are', 'me', 'my', 'get', 'tool', 'tools']);

/** Lower-case words of a text, with camelCase and snake_case names split. */
export function tokenize(text: string): string[] {
  return text
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^\p{L}\p{N}]+/u)
    .filter((t) => t.length > 0);
}

function argNames(schema: unknown): string[] {
  const props = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return props && typeof props === 'object' ? Object.keys(props) : [];
}

/** Index entries of one server's tool definitions (as tools/list returns them). */
export function indexTools(route: ServerRoute, defs: Array<Record<string, unknown>>): IndexedTool[] {
  const serverTokens = tokenize(`${route.name} ${route.spec.description ?? ''}`);
  const out: IndexedTool[] = [];
  for (const def of defs) {
    if (!def || typeof def.name !== 'string') continue;
    const description = typeof def.description === 'string' ? def.description : '';
    const args = argNames(def.inputSchema);
    out.push({
      server: route.name,
      tool: def.name,
      description,
      definition: def,
      nameTokens: tokenize(def.name),
      argTokens: args.flatMap((a) => tokenize(a)),
      descriptionTokens: tokenize(description),
      serverTokens,
    });
  }
  return out;
}

/** Builds the index of every tool of the gateway-hosted servers in a snapshot (the router itself excluded). */
export function buildIndex(snapshot: Snapshot, exclude: string): IndexedTool[] {
  const out: IndexedTool[] = [];
  for (const route of snapshot.servers.values()) {
    if (route.name === exclude || !route.provider || !route.enabled || route.brokenReason) continue;
    // Hosted providers precompute their list; the caller only filters it.
    out.push(...indexTools(route, route.provider.listTools({ headers: {}, protocolVersion: '2025-06-18' } as CallerContext)));
  }
  return out;
}

function matchWeight(term: string, tokens: string[], exact: number, prefix: number): number {
  let best = 0;
  for (const t of tokens) {
    if (t === term) return exact;
    if (term.length >= 3 && (t.startsWith(term) || term.startsWith(t)) && Math.min(t.length, term.length) >= 3) best = prefix;
  }
  return best;
}

/** Scores one tool for the query terms: name matches weigh most, then argument names, then descriptions. */
export function score(entry: IndexedTool, terms: string[], phrase: string): number {
  let total = 0;
  let matched = 0;
  for (const term of terms) {
    const s = matchWeight(term, entry.nameTokens, 6, 4) + matchWeight(term, entry.argTokens, 3, 2) + matchWeight(term, entry.descriptionTokens, 2, 1) + matchWeight(term, entry.serverTokens, 1, 0.5);
    if (s > 0) matched++;
    total += s;
  }
  if (total === 0) return 0;
  if (phrase && entry.tool.toLowerCase().includes(phrase)) total += 5;
  // Tools matching more of the query rank above tools matching one word many times.
  return total * (matched / terms.length);
}

/** Ranked search over the tools a consumer may call. */
export function search(index: IndexedTool[], routes: ReadonlyMap<string, ServerRoute>, consumer: string | undefined, query: string, limit: number, server?: string): SearchHit[] {
  const all = tokenize(query);
  const terms = all.filter((t) => !STOPWORDS.has(t));
  const use = terms.length ? terms : all;
  const phrase = query.trim().toLowerCase().replace(/\s+/g, '_');
  const hits: SearchHit[] = [];
  for (const entry of index) {
    if (server && entry.server !== server) continue;
    const route = routes.get(entry.server);
    if (!route || !mayUseTool(route, consumer, entry.tool)) continue;
    const s = use.length ? score(entry, use, phrase) : 1;
    if (s <= 0) continue;
    hits.push({ server: entry.server, tool: entry.tool, description: entry.description, score: Math.round(s * 100) / 100, inputSchema: entry.definition.inputSchema });
  }
  hits.sort((a, b) => b.score - a.score || a.server.localeCompare(b.server) || a.tool.localeCompare(b.tool));
  return hits.slice(0, limit);
}
