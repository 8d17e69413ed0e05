import type { Dispatcher } from 'undici';
import { TemplateError, type CompiledTemplate, type RenderContext } from '../../template/index.js';
import type { CompiledRestServer, CompiledRestTool } from './compile.js';
import { coerceArgs, goJson, stringifyArg } from './args.js';
import { literalHostProblem } from '../../transport/upstream/address-policy.js';
import { RETRY_SAFE, type ExternalAgents, type ServiceEndpoints } from '../../transport/upstream/http-pool.js';
import type { BackendTokenSource } from '../../auth/backend-tokens.js';
import { traceHeadersFor, type RequestTrace } from '../../observe/tracing.js';

/** An MCP `tools/call` result. */
export interface CallToolResult {
  content: Array<Record<string, unknown>>;
  isError?: boolean;
  structuredContent?: unknown;
}

/** Everything a call needs besides the tool, resolved from the snapshot once per server. */
export interface RestServerRuntime {
  serverName: string;
  compiled: CompiledRestServer;
  service?: ServiceEndpoints;
  allowPrivateNetworks: boolean;
  /** Hosts that URLs built from arguments may reach: exact `host[:port]` or `*.suffix`. */
  allowedHosts?: readonly string[];
  /** The server opted in to re-sending a call whose connection broke before an answer (retryToolCalls). */
  retryToolCalls?: boolean;
  timeoutMs: number;
  maxResponseBytes: number;
  /** Most calls in flight to the service (path URLs); more are refused with UPSTREAM_BUSY. */
  maxUpstreamConcurrency?: number;
  external: ExternalAgents;
  /** Header that tells the backend which consumer called (never the consumer's credential). */
  consumerHeader: string;
  /** Token sources of the server's bearer schemes that fetch their token, by scheme id. */
  tokenSources?: ReadonlyMap<string, BackendTokenSource>;
}

export interface RestCallContext {
  arguments: unknown;
  /** The client's request headers (lower-case names). */
  headers: Record<string, string | string[] | undefined>;
  remoteAddress?: string;
  consumer?: string;
  signal?: AbortSignal;
  /** Aborts `signal` with a reason; when given, the call's deadline reuses it. */
  cancel?: (reason: unknown) => void;
  /** The gateway request's span when tracing is on. */
  trace?: RequestTrace;
  /** Told the time from sending the backend request to its response headers, in seconds. */
  upstreamTimed?: (seconds: number) => void;
}

export function textResult(text: string, isError = false): CallToolResult {
  const r: CallToolResult = { content: [{ type: 'text', text }] };
  if (isError) r.isError = true;
  return r;
}

class CallFailure extends Error {}

/** The per-call timeout fired. */
class TimeoutFailure extends Error {
  constructor() {
    super('timeout');
    this.name = 'TimeoutError';
  }
}

function render(tool: CompiledRestTool, tpl: CompiledTemplate, data: string, ctx: RenderContext, field: string): string {
  try {
    return tpl.render(data, ctx);
  } catch (err) {
    if (err instanceof TemplateError) {
      throw new CallFailure(`tool "${tool.name}": ${field} template failed at line ${err.line}, column ${err.column}: ${err.message}`);
    }
    throw new CallFailure(`tool "${tool.name}": ${field} template failed: ${(err as Error).message}`);
  }
}

const FORBIDDEN_IN_HEADER = /[\r\n\0]/;

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Reads the client credential a tool passes through, per its downstream scheme. */
function passthroughCredential(tool: CompiledRestTool, ctx: RestCallContext): string | undefined {
  const d = tool.downstream;
  if (!d || !d.passthrough) return undefined;
  const s = d.scheme;
  if (s.type === 'http') {
    const auth = firstHeader(ctx.headers.authorization);
    if (!auth) return undefined;
    const prefix = s.scheme === 'basic' ? 'basic ' : 'bearer ';
    return auth.toLowerCase().startsWith(prefix) ? auth.slice(prefix.length).trim() : undefined;
  }
  if (s.in === 'header' && s.name) return firstHeader(ctx.headers[s.name.toLowerCase()]);
  return undefined;
}

/** Adds the backend credential; returns the token when it came from a token source (for 401 retry). */
async function applyUpstreamSecurity(runtime: RestServerRuntime, tool: CompiledRestTool, url: URL, headers: Array<[string, string]>, passthrough: string | undefined): Promise<string | undefined> {
  const up = tool.upstream;
  if (!up) return undefined;
  const source = passthrough === undefined ? runtime.tokenSources?.get(up.scheme.id) : undefined;
  let fromSource: string | undefined;
  if (source) {
    try {
      fromSource = await source.token();
    } catch (err) {
      throw new CallFailure(`tool "${tool.name}": ${(err as Error).message}`);
    }
  }
  const credential = fromSource ?? passthrough ?? up.credential;
  if (!credential) throw new CallFailure(`tool "${tool.name}": no credential configured for security scheme "${up.scheme.id}"`);
  const s = up.scheme;
  if (s.type === 'http') {
    let value: string;
    if (s.scheme === 'basic') {
      value = credential.startsWith('Basic ') ? credential : `Basic ${passthrough === undefined && credential.includes(':') ? Buffer.from(credential).toString('base64') : credential}`;
    } else {
      value = credential.startsWith('Bearer ') ? credential : `Bearer ${credential}`;
    }
    headers.push(['authorization', value]);
  } else if (s.in === 'header' && s.name) {
    headers.push([s.name, credential]);
  } else if (s.in === 'query' && s.name) {
    url.searchParams.set(s.name, credential);
  }
  return fromSource;
}

/** Substitutes `{name}` placeholders with path-encoded values, so `../` in an argument stays inside its segment. */
function substitutePath(url: string, pathArgs: Array<[string, unknown]>): string {
  for (const [name, value] of pathArgs) url = url.split(`{${name}}`).join(encodeURIComponent(stringifyArg(value)));
  return url;
}

/** Dot segments in a rendered path (also percent-encoded) would let an argument climb out of the configured path. */
const DOT_SEGMENT = /(^|\/)(\.|%2e){1,2}(\/|\?|#|$)/i;

function resolveTarget(runtime: RestServerRuntime, tool: CompiledRestTool, rendered: string): { url: URL; dispatcher: Dispatcher } {
  // The URL parser drops tabs and line breaks and reads "\" as "/", which would turn ".\t." or "\..\" into dot segments.
  if (/[\x00-\x1f\x7f]/.test(rendered)) throw new CallFailure(`tool "${tool.name}": the rendered URL contains a control character; refused`);
  const pathPart = rendered.replace(/^https?:\/\/[^/?#\\]*/i, '').split(/[?#]/)[0];
  if (pathPart.includes('\\')) throw new CallFailure(`tool "${tool.name}": the rendered URL path contains a backslash; refused`);
  if (DOT_SEGMENT.test(pathPart)) throw new CallFailure(`tool "${tool.name}": the rendered URL path contains "." or ".." segments; refused`);
  if (/^https?:\/\//i.test(rendered)) {
    let url: URL;
    try {
      url = new URL(rendered);
    } catch {
      throw new CallFailure(`tool "${tool.name}": the rendered URL is not valid: ${rendered.slice(0, 200)}`);
    }
    const problem = literalHostProblem(url.hostname, runtime.allowPrivateNetworks);
    if (problem) throw new CallFailure(`tool "${tool.name}": refused to call ${url.host}: ${problem}; set allowPrivateNetworks on MCP server "${runtime.serverName}" to allow it [UPSTREAM_ADDRESS_BLOCKED]`);
    const rule = tool.urlHost;
    const pinned = (rule.kind === 'literal' && url.host.toLowerCase() === rule.host) || rule.kind === 'config';
    if (!pinned && !hostAllowed(url, runtime.allowedHosts)) {
      throw new CallFailure(`tool "${tool.name}": refused to call ${url.host}: the host is not the one its URL template names; list it in allowedHosts of MCP server "${runtime.serverName}" to allow it [UPSTREAM_HOST_NOT_ALLOWED]`);
    }
    return { url, dispatcher: runtime.allowPrivateNetworks ? runtime.external.open : runtime.external.guarded };
  }
  // "//host/x" is a path to nobody: the URL parser would read it as another host.
  if (/^[/\\]{2}/.test(rendered)) throw new CallFailure(`tool "${tool.name}": the rendered path "${rendered.slice(0, 200)}" names another host; refused [UPSTREAM_HOST_NOT_ALLOWED]`);
  if (tool.urlHost.kind !== 'path' && !runtime.service) throw new CallFailure(`tool "${tool.name}": the rendered URL "${rendered.slice(0, 200)}" is not an http(s) URL; refused`);
  if (!runtime.service) throw new CallFailure(`tool "${tool.name}": its URL "${rendered.slice(0, 200)}" is a path, but MCP server "${runtime.serverName}" has no service`);
  const picked = runtime.service.pick();
  if (!picked) throw new CallFailure(`tool "${tool.name}": service "${runtime.service.service}" has no available endpoint`);
  const path = rendered.startsWith('/') ? rendered : `/${rendered}`;
  let url: URL;
  try {
    url = new URL(path, picked.origin);
  } catch {
    throw new CallFailure(`tool "${tool.name}": the rendered path is not valid: ${rendered.slice(0, 200)}`);
  }
  if (url.origin !== new URL(picked.origin).origin) throw new CallFailure(`tool "${tool.name}": the rendered path leaves service "${runtime.service.service}"; refused [UPSTREAM_HOST_NOT_ALLOWED]`);
  return { url, dispatcher: picked.dispatcher };
}

/** An allowedHosts entry names a host with or without a port (any port when none), or `*.suffix` for its subdomains. */
function hostAllowed(url: URL, allowed: readonly string[] | undefined): boolean {
  if (!allowed?.length) return false;
  const host = url.hostname.toLowerCase();
  const port = url.port || (url.protocol === 'https:' ? '443' : '80');
  return allowed.some((entry) => {
    const e = entry.toLowerCase();
    const colon = e.lastIndexOf(':');
    const [name, wantPort] = colon > 0 ? [e.slice(0, colon), e.slice(colon + 1)] : [e, undefined];
    if (wantPort !== undefined && wantPort !== port) return false;
    return name.startsWith('*.') ? host.endsWith(name.slice(1)) && host.length > name.length - 1 : host === name;
  });
}

async function readLimited(body: Dispatcher.ResponseData['body'], limit: number, tool: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > limit) {
      body.destroy();
      throw new CallFailure(`tool "${tool}": the backend response exceeds the limit of ${limit} bytes [UPSTREAM_TOO_LARGE]`);
    }
    chunks.push(chunk as Buffer);
  }
  return chunks.length === 1 ? chunks[0] : Buffer.concat(chunks);
}

function withHeaders(body: string, headers: Record<string, string>): string {
  const trimmed = body.trim();
  const headersJson = JSON.stringify(headers);
  if (trimmed.startsWith('{') && trimmed.endsWith('}')) {
    try {
      JSON.parse(trimmed);
      const inner = trimmed.slice(1, -1).trim();
      return inner ? `{"_headers":${headersJson},${inner}}` : `{"_headers":${headersJson}}`;
    } catch {
      // not JSON: fall through
    }
  }
  return `{"_headers":${headersJson},"_body":${JSON.stringify(body)}}`;
}

/** The stable code a failed backend request ends with, as the direct proxy names them. */
function upstreamCode(e: Error, code: string | undefined): string {
  if (code && ['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EADDRNOTAVAIL'].includes(code)) return 'UPSTREAM_UNAVAILABLE';
  if (code && ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED'].includes(code)) return 'UPSTREAM_RESET';
  if (e.name === 'HTTPParserError' || code?.startsWith('HPE_')) return 'UPSTREAM_BAD_RESPONSE';
  return 'UPSTREAM_ERROR';
}

/** Runs one HTTP-to-MCP tool call: args -> templates -> HTTP request -> MCP result. Never throws. */
export async function callRestTool(runtime: RestServerRuntime, tool: CompiledRestTool, ctx: RestCallContext): Promise<CallToolResult> {
  try {
    return await execute(runtime, tool, ctx);
  } catch (err) {
    if (err instanceof CallFailure) return textResult(err.message, true);
    const e = err as Error & { code?: string };
    if (e.name === 'TimeoutError' || e.name === 'AbortError' || e.code === 'UND_ERR_ABORTED' || e.code === 'ABORT_ERR') {
      return textResult(`tool "${tool.name}": the backend did not answer within ${runtime.timeoutMs} ms [UPSTREAM_TIMEOUT]`, true);
    }
    if (e.code === 'UPSTREAM_ADDRESS_BLOCKED' || (e as { cause?: { code?: string } }).cause?.code === 'UPSTREAM_ADDRESS_BLOCKED') {
      const msg = e.code === 'UPSTREAM_ADDRESS_BLOCKED' ? e.message : ((e as { cause?: Error }).cause?.message ?? e.message);
      return textResult(`tool "${tool.name}": refused: ${msg} [UPSTREAM_ADDRESS_BLOCKED]`, true);
    }
    const code = e.code ?? (e as { cause?: { code?: string } }).cause?.code;
    return textResult(`tool "${tool.name}": backend request failed${code ? ` (${code})` : ''}: ${e.message} [${upstreamCode(e, code)}]`, true);
  }
}

async function execute(runtime: RestServerRuntime, tool: CompiledRestTool, ctx: RestCallContext): Promise<CallToolResult> {
  const raw = ctx.arguments ?? {};
  if (typeof raw !== 'object' || Array.isArray(raw)) return textResult(`tool "${tool.name}": arguments must be an object`, true);
  const supplied = coerceArgs(tool.args, raw as Record<string, unknown>);
  if (!tool.validateArgs(supplied)) {
    const problems = (tool.validateArgs.errors ?? []).map((e) => `${e.instancePath ? e.instancePath.slice(1) : 'arguments'} ${e.message}`).join('; ');
    return textResult(`tool "${tool.name}": invalid arguments: ${problems}`, true);
  }
  const args: Record<string, unknown> = {};
  for (const a of tool.args) {
    if (a.name in supplied) args[a.name] = supplied[a.name];
    else if (a.default !== undefined) args[a.name] = a.default;
  }
  const data = `{"config":${runtime.compiled.configJson},"args":${goJson(args)}}`;
  const renderCtx: RenderContext = { remoteAddress: ctx.remoteAddress, headers: ctx.headers };

  if (tool.directResponse) {
    const text = render(tool, tool.response!, data, renderCtx, 'responseTemplate.body');
    return textResult(text);
  }

  let urlText = render(tool, tool.url!, data, renderCtx, 'requestTemplate.url').trim();
  const pathArgs: Array<[string, unknown]> = [];
  const queryArgs: Array<[string, unknown]> = [];
  const headerArgs: Array<[string, unknown]> = [];
  const cookieArgs: Array<[string, unknown]> = [];
  const bodyArgs: Record<string, unknown> = {};
  const defaultArgs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(args)) {
    switch (tool.positions.get(name)) {
      case 'path': pathArgs.push([name, value]); break;
      case 'query': queryArgs.push([name, value]); break;
      case 'header': headerArgs.push([name, value]); break;
      case 'cookie': cookieArgs.push([name, value]); break;
      case 'body': bodyArgs[name] = value; break;
      default: defaultArgs[name] = value;
    }
  }
  urlText = substitutePath(urlText, pathArgs);
  const { url, dispatcher } = resolveTarget(runtime, tool, urlText);
  for (const [name, value] of queryArgs) url.searchParams.set(name, stringifyArg(value));
  if (tool.argsToUrlParam) for (const [name, value] of Object.entries(defaultArgs)) url.searchParams.set(name, stringifyArg(value));

  const headers: Array<[string, string]> = [];
  for (const h of tool.headers) headers.push([h.key, render(tool, h.template, data, renderCtx, `requestTemplate.headers (${h.key})`)]);
  for (const [name, value] of headerArgs) headers.push([name, stringifyArg(value)]);
  if (cookieArgs.length > 0) {
    const cookie = cookieArgs.map(([n, v]) => `${n}=${stringifyArg(v)}`).join('; ');
    const existing = headers.find(([k]) => k.toLowerCase() === 'cookie');
    if (existing) existing[1] = `${existing[1]}; ${cookie}`;
    else headers.push(['cookie', cookie]);
  }
  const hasHeader = (name: string, contains?: string) =>
    headers.some(([k, v]) => k.toLowerCase() === name && (!contains || v.toLowerCase().includes(contains)));

  let body: string | undefined;
  if (tool.body) {
    body = render(tool, tool.body, data, renderCtx, 'requestTemplate.body');
    const t = body.trim();
    if (!hasHeader('content-type') && ((t.startsWith('{') && t.endsWith('}')) || (t.startsWith('[') && t.endsWith(']')))) {
      try {
        JSON.parse(t);
        headers.push(['content-type', 'application/json; charset=utf-8']);
      } catch {
        // a non-JSON body keeps whatever type the configuration set
      }
    }
  } else if (tool.argsToJsonBody) {
    body = JSON.stringify({ ...bodyArgs, ...defaultArgs });
    if (!hasHeader('content-type', 'application/json')) headers.push(['content-type', 'application/json; charset=utf-8']);
  } else if (tool.argsToFormBody) {
    const form = new URLSearchParams();
    for (const [k, v] of Object.entries({ ...bodyArgs, ...defaultArgs })) form.set(k, stringifyArg(v));
    body = form.toString();
    if (!hasHeader('content-type', 'application/x-www-form-urlencoded')) headers.push(['content-type', 'application/x-www-form-urlencoded']);
  } else if (Object.keys(bodyArgs).length > 0) {
    if (hasHeader('content-type', 'application/x-www-form-urlencoded')) {
      const form = new URLSearchParams();
      for (const [k, v] of Object.entries(bodyArgs)) form.set(k, stringifyArg(v));
      body = form.toString();
    } else {
      body = JSON.stringify(bodyArgs);
      if (!hasHeader('content-type', 'application/json')) headers.push(['content-type', 'application/json; charset=utf-8']);
    }
  }
  if (!hasHeader('accept')) headers.push(['accept', '*/*']);
  if (ctx.consumer) headers.push([runtime.consumerHeader, ctx.consumer]);
  for (const [k, v] of headers) {
    if (FORBIDDEN_IN_HEADER.test(v) || FORBIDDEN_IN_HEADER.test(k)) {
      throw new CallFailure(`tool "${tool.name}": header "${k}" would contain a line break or NUL; refused`);
    }
  }
  const passthrough = passthroughCredential(tool, ctx);
  // Calls to the server's service count against its concurrency cap; refused at once rather than queued.
  const gate = /^https?:\/\//i.test(urlText) ? undefined : runtime.service;
  if (gate) {
    const cap = runtime.maxUpstreamConcurrency ?? Number.POSITIVE_INFINITY;
    if (gate.callsInFlight >= cap) throw new CallFailure(`tool "${tool.name}": service "${gate.service}" already has ${cap} calls in flight (MCPGW_MAX_UPSTREAM_CONCURRENCY); try again shortly [UPSTREAM_BUSY]`);
    gate.callsInFlight++;
  }
  try {
    let { res, responseBody, token } = await send(runtime, tool, ctx, dispatcher, url, headers, body, passthrough);
    if (res.statusCode === 401 && token) {
      // The backend refused a fetched token (revoked or expired early): fetch a new one and retry once.
      runtime.tokenSources?.get(tool.upstream!.scheme.id)?.invalidate(token);
      ({ res, responseBody, token } = await send(runtime, tool, ctx, dispatcher, url, headers, body, passthrough));
    }
    return toResult(tool, res, responseBody, renderCtx);
  } finally {
    if (gate) gate.callsInFlight--;
  }
}

async function send(
  runtime: RestServerRuntime,
  tool: CompiledRestTool,
  ctx: RestCallContext,
  dispatcher: Dispatcher,
  baseUrl: URL,
  baseHeaders: Array<[string, string]>,
  body: string | undefined,
  passthrough: string | undefined,
): Promise<{ res: Dispatcher.ResponseData; responseBody: Buffer; token?: string }> {
  const url = new URL(baseUrl);
  const headers = baseHeaders.slice();
  const token = await applyUpstreamSecurity(runtime, tool, url, headers, passthrough);

  // One timer per call; the caller's controller is reused when there is one (AbortSignal.any/timeout are
  // slow and retain memory on Node 20).
  let signal: AbortSignal;
  let cancel: (reason: unknown) => void;
  let onCallerGone: (() => void) | undefined;
  if (ctx.signal && ctx.cancel) {
    signal = ctx.signal;
    cancel = ctx.cancel;
  } else {
    const controller = new AbortController();
    signal = controller.signal;
    cancel = (reason) => controller.abort(reason);
    onCallerGone = () => controller.abort();
    ctx.signal?.addEventListener('abort', onCallerGone, { once: true });
  }
  const upstream = ctx.trace?.upstream(tool.method, url.origin, url.pathname);
  traceHeadersFor(upstream, ctx.headers, (name, value) => headers.push([name, value]));
  const timer = setTimeout(() => cancel(new TimeoutFailure()), runtime.timeoutMs);
  let res: Dispatcher.ResponseData;
  let responseBody: Buffer;
  const sent = ctx.upstreamTimed ? performance.now() : 0;
  try {
    res = await dispatcher.request({
      origin: url.origin,
      path: `${url.pathname}${url.search}`,
      method: tool.method as Dispatcher.HttpMethod,
      headers: headers.flat(),
      body,
      signal,
      [RETRY_SAFE]: runtime.retryToolCalls === true,
    } as Dispatcher.RequestOptions);
    ctx.upstreamTimed?.((performance.now() - sent) / 1000);
    responseBody = await readLimited(res.body, runtime.maxResponseBytes, tool.name);
    upstream?.end(res.statusCode);
  } catch (err) {
    upstream?.end(undefined, signal.reason instanceof TimeoutFailure ? 'timeout' : ((err as { code?: string }).code ?? 'error'));
    if (signal.reason instanceof TimeoutFailure) throw signal.reason;
    throw err;
  } finally {
    clearTimeout(timer);
    if (onCallerGone) ctx.signal?.removeEventListener('abort', onCallerGone);
  }
  return { res, responseBody, token };
}

function toResult(tool: CompiledRestTool, res: Dispatcher.ResponseData, responseBody: Buffer, renderCtx: RenderContext): CallToolResult {
  const contentType = String(res.headers['content-type'] ?? '');
  if (res.statusCode < 200 || res.statusCode >= 300) {
    const text = responseBody.toString('utf8');
    if (tool.errorResponse) {
      const flat: Record<string, string> = { ':status': String(res.statusCode) };
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) flat[k] = Array.isArray(v) ? v.join(', ') : v;
      const rendered = render(tool, tool.errorResponse, withHeaders(text, flat), renderCtx, 'errorResponseTemplate');
      if (rendered !== '') return textResult(rendered, true);
    }
    return textResult(`call failed, status: ${res.statusCode}, response: ${text}`, true);
  }
  if (contentType.startsWith('image/') || contentType.startsWith('audio/')) {
    const type = contentType.startsWith('image/') ? 'image' : 'audio';
    return { content: [{ type, data: responseBody.toString('base64'), mimeType: contentType.split(';')[0].trim() }] };
  }
  const text = responseBody.toString('utf8');
  let out: string;
  if (tool.response) out = render(tool, tool.response, text, renderCtx, 'responseTemplate.body');
  else out = tool.prependBody + text + tool.appendBody;
  if (out === '') out = 'success';
  const result = textResult(out);
  if (tool.hasOutputSchema) {
    try {
      const parsed = JSON.parse(text);
      if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) result.structuredContent = parsed;
    } catch {
      // not JSON: no structured content, as Higress does
    }
  }
  return result;
}

/** Where a token request of this server goes: absolute URLs under the same address policy as tools. */
export function tokenTarget(runtime: Pick<RestServerRuntime, 'service' | 'allowPrivateNetworks' | 'external' | 'serverName'>) {
  return (raw: string): { origin: string; path: string; dispatcher: Dispatcher } => {
    if (/^https?:\/\//i.test(raw)) {
      const url = new URL(raw);
      const problem = literalHostProblem(url.hostname, runtime.allowPrivateNetworks);
      if (problem) throw new Error(`refused to call ${url.host}: ${problem}`);
      return { origin: url.origin, path: `${url.pathname}${url.search}`, dispatcher: runtime.allowPrivateNetworks ? runtime.external.open : runtime.external.guarded };
    }
    const picked = runtime.service?.pick();
    if (!picked) throw new Error(`the token URL "${raw}" is a path, but MCP server "${runtime.serverName}" has no service endpoint`);
    const url = new URL(raw.startsWith('/') ? raw : `/${raw}`, picked.origin);
    return { origin: url.origin, path: `${url.pathname}${url.search}`, dispatcher: picked.dispatcher };
  };
}
