import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stateless MCP server speaking only protocol 2026-07-28 (node:http, written for the tests): no
 * initialize, no sessions, no GET stream; header/body validation with the coded 4xx answers;
 * server/discover; tools `echo`, `ask-name` (elicitation through an input_required result),
 * `slow` (progress, then an answer; a closed stream is recorded as cancelled), `touch` (changes a
 * resource and notifies its subscribers); resources and subscriptions/listen.
 */
export const MODERN = '2026-07-28';
const META_VERSION = 'io.modelcontextprotocol/protocolVersion';
const META_CAPS = 'io.modelcontextprotocol/clientCapabilities';
const SUB_ID = 'io.modelcontextprotocol/subscriptionId';
const SERVER_INFO = { name: 'stateless-upstream', version: '1.0.0' };

export interface SeenRequest {
  method: string;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface StatelessUpstream {
  address: string;
  url: string;
  /** Every POST body received (valid or not), in order. */
  seen: SeenRequest[];
  /** `tag` arguments of `slow` calls whose stream the caller closed before the answer. */
  cancelled: string[];
  /** Open subscriptions/listen streams. */
  listeners(): number;
  close(): Promise<void>;
}

type Listener = { id: unknown; uris: Set<string>; tools: boolean; res: http.ServerResponse };

const TOOLS = [
  { name: 'echo', description: 'Echoes a message', inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] } },
  { name: 'ask-name', description: 'Asks the user for a name (elicitation), then greets', inputSchema: { type: 'object', properties: {} } },
  { name: 'slow', description: 'Answers after `ms` milliseconds with progress', inputSchema: { type: 'object', properties: { ms: { type: 'number' }, tag: { type: 'string' } } } },
  { name: 'touch', description: 'Changes a resource and notifies its subscribers', inputSchema: { type: 'object', properties: { uri: { type: 'string' } }, required: ['uri'] } },
];

/** Decodes the `=?base64?…?=` header form. */
function headerValue(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  if (s === undefined) return undefined;
  const m = /^=\?base64\?(.*)\?=$/.exec(s);
  return m ? Buffer.from(m[1], 'base64').toString('utf8') : s;
}

function complete(result: Record<string, unknown>): Record<string, unknown> {
  return { resultType: 'complete', ...result, _meta: { 'io.modelcontextprotocol/serverInfo': SERVER_INFO } };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
}

function rpcError(res: http.ServerResponse, status: number, id: unknown, code: number, message: string, data?: unknown): void {
  sendJson(res, status, { jsonrpc: '2.0', id: id ?? null, error: data === undefined ? { code, message } : { code, message, data } });
}

export async function startStatelessUpstream(): Promise<StatelessUpstream> {
  const seen: SeenRequest[] = [];
  const cancelled: string[] = [];
  const listeners = new Set<Listener>();
  const versions = new Map<string, number>([['test://counter', 0], ['test://static', 0]]);
  /** requestState values issued by ask-name and not yet redeemed. */
  const states = new Set<string>();

  const notify = (uri: string) => {
    for (const l of listeners) {
      if (!l.uris.has(uri)) continue;
      l.res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/resources/updated', params: { uri, _meta: { [SUB_ID]: l.id } } })}\n\n`);
    }
  };

  const handle = (req: http.IncomingMessage, res: http.ServerResponse, text: string) => {
    if (req.method !== 'POST') return void res.writeHead(405, { allow: 'POST' }).end();
    let msg: any;
    try {
      msg = JSON.parse(text);
    } catch {
      return rpcError(res, 400, null, -32700, 'Parse error');
    }
    seen.push({ method: typeof msg?.method === 'string' ? msg.method : '', headers: req.headers, body: msg });
    if (!msg || typeof msg !== 'object' || Array.isArray(msg) || msg.jsonrpc !== '2.0' || typeof msg.method !== 'string') return rpcError(res, 400, msg?.id, -32600, 'Invalid Request');
    const id = msg.id;
    const params = (msg.params ?? {}) as Record<string, any>;
    const meta = (params._meta ?? {}) as Record<string, any>;
    const version = headerValue(req.headers['mcp-protocol-version']);
    if (version === undefined) return rpcError(res, 400, id, -32020, 'Header mismatch: MCP-Protocol-Version is required');
    if (version !== MODERN) return rpcError(res, 400, id, -32022, 'Unsupported protocol version', { supported: [MODERN], requested: version });
    if (meta[META_VERSION] !== version) return rpcError(res, 400, id, -32020, `Header mismatch: MCP-Protocol-Version ${version} does not match _meta ${String(meta[META_VERSION])}`);
    if (headerValue(req.headers['mcp-method']) !== msg.method) return rpcError(res, 400, id, -32020, 'Header mismatch: Mcp-Method');
    if (msg.method === 'tools/call' || msg.method === 'prompts/get' || msg.method === 'resources/read') {
      const bodyName = msg.method === 'resources/read' ? params.uri : params.name;
      if (headerValue(req.headers['mcp-name']) !== bodyName) return rpcError(res, 400, id, -32020, 'Header mismatch: Mcp-Name');
    }
    if (id === undefined) return void res.writeHead(202).end();
    const caps = (meta[META_CAPS] ?? {}) as Record<string, unknown>;
    switch (msg.method) {
      case 'server/discover':
        return sendJson(res, 200, {
          jsonrpc: '2.0',
          id,
          result: complete({ supportedVersions: [MODERN], capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true } }, instructions: 'A stateless test server.', ttlMs: 60_000, cacheScope: 'public' }),
        });
      case 'tools/list':
        return sendJson(res, 200, { jsonrpc: '2.0', id, result: complete({ tools: TOOLS, ttlMs: 0, cacheScope: 'public' }) });
      case 'resources/list':
        return sendJson(res, 200, { jsonrpc: '2.0', id, result: complete({ resources: [...versions.keys()].map((uri) => ({ uri, name: uri.slice(7) })), ttlMs: 0, cacheScope: 'public' }) });
      case 'resources/read': {
        if (!versions.has(params.uri)) return rpcError(res, 200, id, -32602, `Resource not found: ${params.uri}`);
        return sendJson(res, 200, { jsonrpc: '2.0', id, result: complete({ contents: [{ uri: params.uri, mimeType: 'text/plain', text: `${params.uri} v${versions.get(params.uri)}` }], ttlMs: 0, cacheScope: 'public' }) });
      }
      case 'subscriptions/listen': {
        const wanted = (params.notifications ?? {}) as Record<string, any>;
        const uris = Array.isArray(wanted.resourceSubscriptions) ? wanted.resourceSubscriptions.filter((u: unknown) => typeof u === 'string') : [];
        const l: Listener = { id, uris: new Set(uris), tools: wanted.toolsListChanged === true, res };
        const acked: Record<string, unknown> = {};
        if (l.tools) acked.toolsListChanged = true;
        if (uris.length) acked.resourceSubscriptions = uris;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/subscriptions/acknowledged', params: { _meta: { [SUB_ID]: id }, notifications: acked } })}\n\n`);
        listeners.add(l);
        res.once('close', () => listeners.delete(l));
        return;
      }
      case 'tools/call':
        return callTool(res, id, params, caps, meta);
      default:
        return rpcError(res, 404, id, -32601, `Method not found: ${msg.method}`);
    }
  };

  const callTool = (res: http.ServerResponse, id: unknown, params: Record<string, any>, caps: Record<string, unknown>, meta: Record<string, any>) => {
    const args = (params.arguments ?? {}) as Record<string, any>;
    const ok = (text: string) => sendJson(res, 200, { jsonrpc: '2.0', id, result: complete({ content: [{ type: 'text', text }] }) });
    switch (params.name) {
      case 'echo':
        return ok(`Echo: ${String(args.message)}`);
      case 'touch': {
        const uri = String(args.uri);
        versions.set(uri, (versions.get(uri) ?? 0) + 1);
        notify(uri);
        return ok(`touched ${uri}`);
      }
      case 'ask-name': {
        const state = params.requestState;
        const answer = params.inputResponses?.name;
        if (typeof state === 'string' && states.has(state) && answer) {
          states.delete(state);
          if (answer.action !== 'accept') return ok('No name given');
          return ok(`Hello, ${String(answer.content?.name)}`);
        }
        if (!caps.elicitation) return rpcError(res, 400, id, -32021, 'Missing required client capability: elicitation', { requiredCapabilities: { elicitation: {} } });
        const token = randomBytes(12).toString('base64url');
        states.add(token);
        return sendJson(res, 200, {
          jsonrpc: '2.0',
          id,
          result: {
            resultType: 'input_required',
            inputRequests: {
              name: { method: 'elicitation/create', params: { mode: 'form', message: 'What is your name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] } } },
            },
            requestState: token,
          },
        });
      }
      case 'slow': {
        const ms = Number(args.ms ?? 200);
        const tag = String(args.tag ?? '');
        const token = meta.progressToken;
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        let step = 0;
        const timer = setInterval(() => {
          step++;
          if (token !== undefined) res.write(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/progress', params: { progressToken: token, progress: step } })}\n\n`);
        }, 50);
        const done = setTimeout(() => {
          clearInterval(timer);
          res.end(`event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id, result: complete({ content: [{ type: 'text', text: `slept ${ms} ms` }] }) })}\n\n`);
        }, ms);
        res.once('close', () => {
          clearInterval(timer);
          clearTimeout(done);
          if (!res.writableFinished) cancelled.push(tag);
        });
        return;
      }
      default:
        return rpcError(res, 200, id, -32602, `Unknown tool: ${String(params.name)}`);
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => handle(req, res, Buffer.concat(chunks).toString('utf8')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    address: `127.0.0.1:${port}`,
    url: `http://127.0.0.1:${port}/mcp`,
    seen,
    cancelled,
    listeners: () => listeners.size,
    close: () =>
      new Promise<void>((resolve) => {
        for (const l of listeners) l.res.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
