import { parseBody, JSONRPC_INVALID_REQUEST, type JsonRpcMessage, type JsonRpcResponse } from '../protocol/jsonrpc.js';
import { SessionLimitError, type Session } from '../protocol/session.js';
import { readBodyOrRefuse, sendJson, sendRpcError, SSE_HEADERS, sseEvent } from './http-io.js';
import { handleHostedMessage, invalidBatchItem, sameCaller } from './hosted-session.js';
import type { RoutedRequest, TransportContext } from './context.js';

function hasCredential(req: import('node:http').IncomingMessage): boolean {
  return !!(req.headers.authorization || req.headers['x-api-key'] || (req.url ?? '').includes('api_key='));
}

/** Aborted when a session's SSE stream closes, cancelling its in-flight calls. */
const streamGone = new WeakMap<Session, AbortSignal>();

/** GET /mcp-servers/{name}/sse: opens a legacy (2024-11-05) HTTP+SSE session. */
export async function sseOpen(ctx: TransportContext, r: RoutedRequest): Promise<void> {
  const { req, res, route } = r;
  const auth = await ctx.authenticate(route, req, res);
  if (!auth.ok) return;
  let session;
  try {
    session = ctx.sessions.create({ server: route.name, transport: 'sse', protocolVersion: '2024-11-05', consumer: auth.consumer });
  } catch (err) {
    if (err instanceof SessionLimitError) return sendRpcError(res, 503, -32000, 'SESSION_LIMIT', err.message, null, { 'retry-after': '5' });
    throw err;
  }
  res.writeHead(200, SSE_HEADERS);
  const endpoint = `/mcp-servers/${encodeURIComponent(route.name)}/message?sessionId=${session.id}`;
  res.write(sseEvent('endpoint', endpoint));
  const timer = setInterval(() => res.write(': keep-alive\n\n'), ctx.keepAliveMs);
  timer.unref();
  session.pinned = true;
  session.push = (message) => res.write(sseEvent('message', JSON.stringify(message)));
  const gone = new AbortController();
  streamGone.set(session, gone.signal);
  const id = session.id;
  session.onClose = () => {
    clearInterval(timer);
    res.end();
  };
  res.once('close', () => {
    gone.abort();
    clearInterval(timer);
    ctx.sessions.end(id);
  });
}

/** POST /mcp-servers/{name}/message?sessionId=…: a client message; the answer goes on the SSE stream. */
export async function sseMessage(ctx: TransportContext, r: RoutedRequest): Promise<void> {
  const { req, res, route } = r;
  const id = r.query.get('sessionId') ?? r.query.get('session_id');
  if (!id) return sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'SESSION_REQUIRED', 'Bad Request: the sessionId query parameter is required');
  const session = ctx.sessions.touch(id);
  if (!session || session.server !== route.name || session.transport !== 'sse' || !session.push) {
    return sendRpcError(res, 404, -32001, 'SESSION_NOT_FOUND', 'Session not found: open a new SSE stream');
  }
  // The legacy transport's message URL carries no credential of its own: the session id, bound to
  // the consumer at stream open, authorizes it; a credential that is sent must still match.
  if (hasCredential(req)) {
    const auth = await ctx.authenticate(route, req, res);
    if (!auth.ok || !sameCaller(route, session, auth.consumer, res)) return;
  }
  const text = await readBodyOrRefuse(req, res, ctx.maxBodyBytes);
  if (text === undefined) return;
  const parsed = parseBody(text);
  if (parsed.kind === 'error') {
    sendJson(res, 400, parsed.response);
    return;
  }
  res.writeHead(202, { 'content-type': 'text/plain', 'content-length': '8' }).end('Accepted');
  const provider = route.provider!;
  const messages = parsed.kind === 'single' ? [parsed.message] : parsed.messages;
  const responses: JsonRpcResponse[] = [];
  await Promise.all(
    messages.map(async (m) => {
      if ('invalid' in m) return void responses.push(invalidBatchItem(m.id, m.invalid));
      const out = await handleHostedMessage(provider, session, m as JsonRpcMessage, req, {
        gone: streamGone.get(session),
        allowedTools: route.toolAcl?.get(session.consumer ?? ''),
        metrics: ctx.metrics,
        limiter: ctx.limiter,
        route,
        accessLog: ctx.accessLog,
        tracing: ctx.tracing,
      });
      if (out) responses.push(out);
    }),
  );
  if (responses.length === 0) return;
  session.push?.(parsed.kind === 'single' ? responses[0] : responses);
}
