import type { Session } from '../../protocol/session.js';
import type { TransportContext } from '../../transport/context.js';
import type { McpUpstream, UpstreamEndpoint } from '../../transport/upstream/streamable-client.js';

/** How a gateway session reaches its backend. */
export type ProxyKind = 'streamable' | 'sse' | 'bridge-to-sse' | 'bridge-to-streamable' | 'bridge-2026-legacy-client';

/**
 * The upstream half of a gateway session. The gateway's id lives in the shared SessionRegistry
 * (TTL, cap, DELETE); this holds what it maps to and closes it when the registry ends the session.
 */
export interface UpstreamSession {
  kind: ProxyKind;
  upstream: McpUpstream;
  endpoint: UpstreamEndpoint;
  /** Ends upstream resources (streams, the backend session); called once by the registry. */
  close(how?: 'ended' | 'dropped'): void;
}

const upstreamOf = new WeakMap<Session, UpstreamSession>();

export function attachUpstream(session: Session, state: UpstreamSession): void {
  upstreamOf.set(session, state);
  session.onClose = (how) => state.close(how);
}

/** The session `id` of this server and kind when this replica holds it (no rebuilding; synchronous). */
export function heldSession<T extends UpstreamSession>(ctx: TransportContext, server: string, id: string | undefined, kind: ProxyKind): { session: Session; state: T } | undefined {
  const session = id ? ctx.sessions.touch(id) : undefined;
  const state = session && session.server === server ? upstreamOf.get(session) : undefined;
  return state && state.kind === kind ? { session: session!, state: state as T } : undefined;
}

/**
 * The live session `id` of this server and kind, or undefined (the caller answers 404). A session
 * another replica issued comes with claims only; `rebuild` makes its upstream half from them.
 */
export async function findSession<T extends UpstreamSession>(ctx: TransportContext, server: string, id: string | undefined, kind: ProxyKind, rebuild?: (session: Session) => T | undefined): Promise<{ session: Session; state: T } | undefined> {
  if (!id) return undefined;
  const session = await ctx.sessions.find(id);
  if (!session || session.server !== server) return undefined;
  let state = upstreamOf.get(session);
  if (!state && rebuild && session.claims?.kind === kind) {
    state = rebuild(session);
    if (state) attachUpstream(session, state);
  }
  if (!state || state.kind !== kind) return undefined;
  return { session, state: state as T };
}
