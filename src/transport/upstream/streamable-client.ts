import { Agent, type Dispatcher } from 'undici';
import type { ServiceRuntime } from '../../snapshot/snapshot.js';
import { backendCredential, type BackendCredential } from './forward-headers.js';
import type { UpstreamObserver } from '../../observe/exchange.js';

/** A failure talking to an MCP backend, with a stable code and the HTTP status a client gets for it. */
export class UpstreamError extends Error {
  constructor(
    readonly code: 'UPSTREAM_UNAVAILABLE' | 'UPSTREAM_TIMEOUT' | 'UPSTREAM_RESET' | 'UPSTREAM_BAD_STREAM' | 'UPSTREAM_NO_ENDPOINT' | 'UPSTREAM_GONE' | 'UPSTREAM_STATUS' | 'STDIO_PROCESS_LIMIT',
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** Maps an undici or socket error to what a client is told. */
export function toUpstreamError(err: unknown, service: string): UpstreamError {
  if (err instanceof UpstreamError) return err;
  const e = err as { code?: string; message?: string; name?: string; cause?: { code?: string } };
  const code = e?.code ?? e?.cause?.code;
  switch (code) {
    case 'ECONNREFUSED':
    case 'EHOSTUNREACH':
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
    case 'UND_ERR_CONNECT_TIMEOUT':
      return new UpstreamError('UPSTREAM_UNAVAILABLE', 502, `backend of service "${service}" is unreachable (${code})`);
    case 'UND_ERR_HEADERS_TIMEOUT':
    case 'UND_ERR_BODY_TIMEOUT':
      return new UpstreamError('UPSTREAM_TIMEOUT', 504, `backend of service "${service}" did not answer in time (${code === 'UND_ERR_HEADERS_TIMEOUT' ? 'no response headers' : 'stream stalled'})`);
    case 'UND_ERR_CLOSED':
    case 'UND_ERR_DESTROYED':
      return new UpstreamError('UPSTREAM_GONE', 502, `connection pool of service "${service}" was replaced; start a new session`);
    case 'UPSTREAM_BAD_STREAM':
      return new UpstreamError('UPSTREAM_BAD_STREAM', 502, `backend of service "${service}" sent an invalid stream: ${e.message}`);
    default:
      if (e?.name === 'AbortError' || code === 'ABORT_ERR' || code === 'UND_ERR_ABORTED') return new UpstreamError('UPSTREAM_RESET', 499, 'the request was abandoned');
      return new UpstreamError('UPSTREAM_RESET', 502, `backend of service "${service}" closed the connection (${code ?? e?.message ?? 'reset'})`);
  }
}

/** One backend endpoint; a session stays on the endpoint it started on. */
export interface UpstreamEndpoint {
  origin: string;
  dispatcher: Dispatcher;
}

export interface UpstreamRequest {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  headers: Record<string, string>;
  body?: string;
  /** Long-lived streams (GET, legacy SSE) have no idle limit; request/response exchanges do. */
  longLived?: boolean;
  signal?: AbortSignal;
  /** Times the request and adds the gateway's trace context to its headers. */
  observer?: UpstreamObserver;
}

/**
 * Long-lived streams (legacy SSE sessions, GET streams) each hold a connection for their whole life,
 * so they must not count against the service pool's connection cap (they would starve calls, and
 * session 257 would wait forever). They get an uncapped agent per service, shared across snapshots
 * while the service's pools are.
 */
const streamAgents = new WeakMap<object, Agent>();

function streamAgent(service: ServiceRuntime): Agent {
  const key = service.endpoints ?? service;
  let agent = streamAgents.get(key);
  if (!agent) {
    const tls = service.spec.tls ?? {};
    agent = new Agent({
      connections: null,
      pipelining: 1,
      keepAliveTimeout: 10_000,
      headersTimeout: 0,
      bodyTimeout: 0,
      connect: service.spec.protocol === 'https' ? { rejectUnauthorized: !tls.insecureSkipVerify, servername: tls.serverName } : undefined,
    });
    streamAgents.set(key, agent);
  }
  return agent;
}

/** The HTTP side of an MCP backend: endpoint choice, credential, timeouts. Built once per snapshot. */
export class McpUpstream {
  readonly credential: BackendCredential;
  readonly serviceName: string;

  constructor(
    private readonly service: ServiceRuntime,
    /** The backend's MCP path (`/mcp`, `/sse`, …). */
    readonly path: string,
    readonly timeoutMs: number,
    /** Largest single event or JSON body accepted from the backend. */
    readonly maxMessageBytes: number,
  ) {
    this.credential = backendCredential(service.spec.auth);
    this.serviceName = service.spec.name;
  }

  pick(): UpstreamEndpoint {
    const ep = this.service.endpoints?.pick();
    if (!ep) throw new UpstreamError('UPSTREAM_NO_ENDPOINT', 503, `service "${this.serviceName}" has no endpoint to send to`);
    return ep;
  }

  /** The endpoint with this origin while it is still part of the service (a session resumed on another replica). */
  endpoint(origin: string): UpstreamEndpoint | undefined {
    return this.service.endpoints?.byOrigin(origin);
  }

  /** Sends one request; resolves on response headers. Errors are UpstreamError. */
  async send(ep: UpstreamEndpoint, r: UpstreamRequest): Promise<Dispatcher.ResponseData> {
    const dispatcher = r.longLived ? streamAgent(this.service) : ep.dispatcher;
    const done = r.observer?.upstreamStarted(r.method, ep.origin, r.path, r.headers);
    try {
      const res = await dispatcher.request({
        origin: ep.origin,
        path: r.path,
        method: r.method,
        headers: r.headers,
        body: r.body,
        signal: r.signal,
        headersTimeout: this.timeoutMs,
        bodyTimeout: r.longLived ? 0 : this.timeoutMs,
      });
      done?.(res.statusCode);
      return res;
    } catch (err) {
      const failure = toUpstreamError(err, this.serviceName);
      done?.(undefined, failure.code);
      throw failure;
    }
  }
}

/** Reads a whole (small) upstream body as text, bounded. */
export async function readUpstreamText(body: AsyncIterable<Buffer>, limit: number, service: string): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of body) {
      size += chunk.length;
      if (size > limit) throw new UpstreamError('UPSTREAM_BAD_STREAM', 502, `backend of service "${service}" sent more than ${limit} bytes in one message`);
      chunks.push(chunk);
    }
  } catch (err) {
    throw toUpstreamError(err, service);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** First value of a possibly repeated header. */
export function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}
