import { parseBody, JSONRPC_INVALID_REQUEST, isRequest, type JsonRpcMessage, type JsonRpcRequest, type JsonRpcResponse } from '../protocol/jsonrpc.js';
import { allowsBatch, isSupportedVersion, negotiateVersion, SUPPORTED_VERSIONS } from '../protocol/versions.js';
import { isModernRequest, unsupportedVersion } from '../protocol/modern.js';
import { SessionLimitError, type Session } from '../protocol/session.js';
import { accepts, readBodyOrRefuse, sendJson, sendRpcError, SSE_HEADERS } from './http-io.js';
import { handleHostedMessage, invalidBatchItem, rateLimitedAfter, sameCaller } from './hosted-session.js';
import { statelessPost } from './stateless.js';
import type { RoutedRequest, TransportContext } from './context.js';

const SESSION_HEADER = 'mcp-session-id';
const VERSION_HEADER = 'mcp-protocol-version';

function header(r: RoutedRequest, name: string): string | undefined {
  const v = r.req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Resolves the session a request names: 400 when missing, 404 when unknown or of another server. */
async function requireSession(ctx: TransportContext, r: RoutedRequest): Promise<Session | undefined> {
  const id = header(r, SESSION_HEADER);
  if (!id) {
    sendRpcError(r.res, 400, JSONRPC_INVALID_REQUEST, 'SESSION_REQUIRED', 'Bad Request: the Mcp-Session-Id header is required (send initialize first)');
    return undefined;
  }
  const session = await ctx.sessions.find(id);
  if (!session || session.server !== r.route.name || session.transport !== 'streamable-http' || session.claims?.kind !== undefined) {
    sendRpcError(r.res, 404, -32001, 'SESSION_NOT_FOUND', 'Session not found: it expired or was ended; initialize a new one');
    return undefined;
  }
  return session;
}

/** 400 when MCP-Protocol-Version names a version the gateway does not speak. */
function versionProblem(r: RoutedRequest): boolean {
  const v = header(r, VERSION_HEADER);
  if (v !== undefined && !isSupportedVersion(v)) {
    const refusal = unsupportedVersion(null, v, SUPPORTED_VERSIONS);
    sendJson(r.res, refusal.status, refusal.response);
    return true;
  }
  return false;
}

/** GET and DELETE: version header, caller, then the caller's own session (each refusal answered here). */
async function callerSession(ctx: TransportContext, r: RoutedRequest): Promise<Session | undefined> {
  if (versionProblem(r)) return undefined;
  const auth = await ctx.authenticate(r.route, r.req, r.res);
  if (!auth.ok) return undefined;
  const session = await requireSession(ctx, r);
  if (!session || !sameCaller(r.route, session, auth.consumer, r.res)) return undefined;
  return session;
}

/** POST /mcp-servers/{name}: client messages to a gateway-hosted server. */
export async function streamablePost(ctx: TransportContext, r: RoutedRequest): Promise<void> {
  const { req, res, route } = r;
  const provider = route.provider!;
  const accept = header(r, 'accept');
  if (!accepts(accept, 'application/json') || !accepts(accept, 'text/event-stream')) {
    sendRpcError(res, 406, JSONRPC_INVALID_REQUEST, 'NOT_ACCEPTABLE', 'Not Acceptable: the client must accept both application/json and text/event-stream');
    return;
  }
  const contentType = header(r, 'content-type') ?? '';
  if (!contentType.toLowerCase().startsWith('application/json')) {
    sendRpcError(res, 415, JSONRPC_INVALID_REQUEST, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type: the body must be application/json');
    return;
  }
  // Who calls is settled before the body is read or any session is looked at.
  const auth = await ctx.authenticate(route, req, res);
  if (!auth.ok) return;
  const text = await readBodyOrRefuse(req, res, ctx.maxBodyBytes);
  if (text === undefined) return;
  const parsed = parseBody(text);
  if (parsed.kind === 'error') {
    sendJson(res, 400, { ...parsed.response, error: { ...parsed.response.error, data: { code: parsed.response.error!.code === -32700 ? 'PARSE_ERROR' : 'INVALID_REQUEST' } } });
    return;
  }
  // 2026-07-28 requests are stateless: they never touch sessions.
  if (parsed.kind === 'single' && isModernRequest(header(r, VERSION_HEADER), parsed.message)) return statelessPost(ctx, r, auth.consumer, parsed.message);
  if (versionProblem(r)) return;
  const messages: Array<JsonRpcMessage | { invalid: string; id: JsonRpcResponse['id'] }> = parsed.kind === 'single' ? [parsed.message] : parsed.messages;
  const isInit = messages.some((m) => 'method' in m && m.method === 'initialize');

  let session: Session | undefined;
  if (isInit) {
    if (parsed.kind === 'batch') {
      sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'INVALID_REQUEST', 'Invalid Request: initialize must not be part of a batch');
      return;
    }
    try {
      // The negotiated version is known now, so a cluster session id can carry it.
      const requested = ((messages[0] as JsonRpcRequest).params as Record<string, unknown> | undefined)?.protocolVersion;
      session = ctx.sessions.create({ server: route.name, transport: 'streamable-http', protocolVersion: negotiateVersion(requested), consumer: auth.consumer });
    } catch (err) {
      if (err instanceof SessionLimitError) sendRpcError(res, 503, -32000, 'SESSION_LIMIT', err.message, null, { 'retry-after': '5' });
      else throw err;
      return;
    }
  } else {
    session = await requireSession(ctx, r);
    if (!session) return;
    if (!sameCaller(route, session, auth.consumer, res)) return;
    if (parsed.kind === 'batch' && !allowsBatch(session.protocolVersion)) {
      sendRpcError(res, 400, JSONRPC_INVALID_REQUEST, 'BATCH_NOT_SUPPORTED', `Invalid Request: JSON-RPC batches are not allowed in protocol version ${session.protocolVersion}`);
      return;
    }
  }

  const requests = messages.filter((m) => 'invalid' in m || isRequest(m as JsonRpcMessage));
  const hasRequests = requests.some((m) => 'invalid' in m || 'id' in m);
  if (!hasRequests) {
    for (const m of messages) await handleHostedMessage(provider, session, m as JsonRpcMessage, req);
    res.writeHead(202).end();
    return;
  }
  const responses: JsonRpcResponse[] = [];
  await Promise.all(
    messages.map(async (m) => {
      if ('invalid' in m) {
        responses.push(invalidBatchItem(m.id, m.invalid));
        return;
      }
      const out = await handleHostedMessage(provider, session!, m, req, {
        response: res,
        allowedTools: route.toolAcl?.get(session!.consumer ?? ''),
        metrics: ctx.metrics,
        limiter: ctx.limiter,
        route,
        accessLog: ctx.accessLog,
        tracing: ctx.tracing,
      });
      if (out) responses.push(out);
    }),
  );
  const headers: Record<string, string> = { [SESSION_HEADER]: session.id };
  if (isInit) {
    const initResponse = responses[0];
    if (!initResponse || initResponse.error) ctx.sessions.end(session.id);
  }
  const retryAfter = parsed.kind === 'single' ? rateLimitedAfter(responses[0]) : undefined;
  if (retryAfter !== undefined) {
    sendJson(res, 429, responses[0], { ...headers, 'retry-after': String(retryAfter) });
    return;
  }
  sendJson(res, 200, parsed.kind === 'single' ? responses[0] : responses, headers);
}

/** GET /mcp-servers/{name}: the server-to-client stream of a session. */
export async function streamableGet(ctx: TransportContext, r: RoutedRequest): Promise<void> {
  if (!accepts(header(r, 'accept'), 'text/event-stream')) {
    sendRpcError(r.res, 406, JSONRPC_INVALID_REQUEST, 'NOT_ACCEPTABLE', 'Not Acceptable: GET needs Accept: text/event-stream');
    return;
  }
  const session = await callerSession(ctx, r);
  if (!session) return;
  if (session.push) {
    sendRpcError(r.res, 409, JSONRPC_INVALID_REQUEST, 'STREAM_EXISTS', 'Conflict: this session already has a GET stream open');
    return;
  }
  const { res } = r;
  res.writeHead(200, { ...SSE_HEADERS, [SESSION_HEADER]: session.id });
  res.flushHeaders();
  const timer = setInterval(() => res.write(': keep-alive\n\n'), ctx.keepAliveMs);
  timer.unref();
  session.pinned = true;
  session.push = (message) => res.write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
  const close = () => {
    clearInterval(timer);
    if (session.push) session.push = undefined;
    session.pinned = false;
    session.lastSeen = Date.now();
  };
  res.once('close', close);
  const previousOnClose = session.onClose;
  session.onClose = (how) => {
    previousOnClose?.(how);
    close();
    res.end();
  };
}

/** DELETE /mcp-servers/{name}: the client ends its session. */
export async function streamableDelete(ctx: TransportContext, r: RoutedRequest): Promise<void> {
  const session = await callerSession(ctx, r);
  if (!session) return;
  ctx.sessions.endEverywhere(session.id);
  r.res.writeHead(200, { 'content-length': '0' }).end();
}
