import type { IncomingMessage, ServerResponse } from 'node:http';
import { GW_FORBIDDEN, GW_RATE_LIMITED, type JsonRpcId } from '../../protocol/jsonrpc.js';
import type { Session } from '../../protocol/session.js';
import type { ServerRoute } from '../../snapshot/snapshot.js';
import type { TransportContext } from '../../transport/context.js';
import { sameCaller } from '../../transport/hosted-session.js';

/** A tools/call the gateway refuses before it reaches the backend. */
export interface Refusal {
  status: number;
  code: string;
  rpcCode: number;
  message: string;
  retryAfterSeconds?: number;
}

export interface CallAdmission {
  refusal?: Refusal;
  /** Ends the calls' concurrency slots (after their answers, or when they are abandoned). */
  release(): void;
}

const ADMITTED: CallAdmission = { release: () => undefined };

type Msg = Record<string, unknown>;

function toolCalls(parsed: unknown): string[] {
  const list = Array.isArray(parsed) ? parsed : [parsed];
  const names: string[] = [];
  for (const m of list) {
    if (m && typeof m === 'object' && (m as Msg).method === 'tools/call') {
      const name = ((m as Msg).params as Msg | undefined)?.name;
      names.push(typeof name === 'string' ? name : '');
    }
  }
  return names;
}

/**
 * Applies the server's per-consumer tool allow-list and rate limits to the tools/call requests in a
 * client body, as the gateway-hosted servers do; other methods pass (their bodies are not read).
 */
export async function admitToolCalls(ctx: TransportContext, route: ServerRoute, consumer: string | undefined, parsed: unknown): Promise<CallAdmission> {
  const acl = route.toolAcl?.get(consumer ?? '');
  const limited = !!ctx.limiter && !!route.spec.rateLimits?.length;
  if (!acl && !limited) return ADMITTED;
  const names = toolCalls(parsed);
  if (names.length === 0) return ADMITTED;
  if (acl) {
    const denied = names.find((n) => !acl.has(n));
    if (denied !== undefined) {
      return { refusal: { status: 403, code: 'TOOL_NOT_ALLOWED', rpcCode: GW_FORBIDDEN, message: `Forbidden: consumer "${consumer ?? ''}" may not call tool "${denied}"` }, release: () => undefined };
    }
  }
  if (!limited) return ADMITTED;
  const releases: Array<() => void> = [];
  const release = () => {
    for (const r of releases.splice(0)) r();
  };
  for (const tool of names) {
    const admission = await ctx.limiter!.admit(route.spec.rateLimits, { server: route.name, consumer, tool });
    if (!admission.ok) {
      release();
      ctx.metrics?.rateLimited.inc({ server: route.name, scope: admission.scope });
      return {
        refusal: { status: 429, code: 'RATE_LIMITED', rpcCode: GW_RATE_LIMITED, message: `Rate limit exceeded: ${admission.rule}; retry after ${admission.retryAfterSeconds}s`, retryAfterSeconds: admission.retryAfterSeconds },
        release: () => undefined,
      };
    }
    releases.push(admission.release);
  }
  return { release };
}

/** The JSON text of a refusal answer to one request. */
export function refusalJson(id: JsonRpcId, r: Refusal): string {
  const data: Record<string, unknown> = { code: r.code };
  if (r.retryAfterSeconds !== undefined) data.retryAfterSeconds = r.retryAfterSeconds;
  return JSON.stringify({ jsonrpc: '2.0', id, error: { code: r.rpcCode, message: r.message, data } });
}

/** Answers a Streamable HTTP POST whose calls were refused. */
export function sendRefusal(res: ServerResponse, r: Refusal, id: JsonRpcId, headers: Record<string, string> = {}): void {
  const text = refusalJson(id, r);
  const h: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers };
  if (r.retryAfterSeconds !== undefined) h['retry-after'] = String(r.retryAfterSeconds);
  res.writeHead(r.status, h).end(text);
}

/**
 * Authenticates a request on an existing session the way the hosted transports do: every
 * Streamable HTTP request, and a legacy message POST when it carries a credential; the caller must
 * be the session's consumer. Answers the refusal itself; returns the consumer when allowed.
 */
export async function checkCaller(ctx: TransportContext, route: ServerRoute, req: IncomingMessage, res: ServerResponse, session: Session | undefined, always: boolean): Promise<{ ok: boolean; consumer?: string }> {
  if (!always && !hasCredential(req)) return { ok: true, consumer: session?.consumer };
  const auth = await ctx.authenticate(route, req, res);
  if (!auth.ok) return { ok: false };
  if (session && !sameCaller(route, session, auth.consumer, res)) return { ok: false };
  return { ok: true, consumer: auth.consumer };
}

function hasCredential(req: IncomingMessage): boolean {
  return !!(req.headers.authorization || req.headers['x-api-key'] || (req.url ?? '').includes('api_key='));
}
