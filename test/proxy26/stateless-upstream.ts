import { createHmac, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A stateless MCP server speaking only protocol 2026-07-28 (node:http, written for the tests): no
 * initialize, no sessions, no GET stream; header/body validation with the coded 4xx answers;
 * server/discover; tools `echo`, `ask-name` (elicitation through an input_required result),
 * `slow` (progress, then an answer; a closed stream is recorded as cancelled), `touch` (changes a
 * resource and notifies its subscribers); resources and subscriptions/listen; and the tools and the
 * prompt of the conformance suite's input_required scenarios (requestState HMAC-sealed).
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
/** Tools of the conformance suite's input_required scenarios (listed after the test's own four). */
const CONFORMANCE_TOOLS = [
  'test_input_required_result_elicitation',
  'test_input_required_result_sampling',
  'test_input_required_result_list_roots',
  'test_input_required_result_request_state',
  'test_input_required_result_tampered_state',
  'test_input_required_result_multiple_inputs',
  'test_input_required_result_multi_round',
  'test_input_required_result_capabilities',
].map((name) => ({ name, description: `conformance: ${name}`, inputSchema: { type: 'object', properties: {} } }));

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

type InputRequest = { method: string; params: Record<string, unknown> };
const elicit = (message: string, field: string, type = 'string'): InputRequest => ({
  method: 'elicitation/create',
  params: { message, requestedSchema: { type: 'object', properties: { [field]: { type } }, required: [field] } },
});
const SAMPLE: InputRequest = { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'What is the capital of France?' } }], maxTokens: 100 } };
const GREETING: InputRequest = { method: 'sampling/createMessage', params: { messages: [{ role: 'user', content: { type: 'text', text: 'Generate a greeting' } }], maxTokens: 50 } };
const ROOTS: InputRequest = { method: 'roots/list', params: {} };

/**
 * The multi-round tools (and the prompt) the conformance suite's input_required scenarios call:
 * the input requests of each round; the answers of the last round complete the call.
 */
const ROUNDS: Record<string, { rounds: Array<Record<string, InputRequest>>; state: boolean; done: (answers: Record<string, any>) => string }> = {
  test_input_required_result_elicitation: { rounds: [{ user_name: elicit('What is your name?', 'name') }], state: false, done: (a) => `Hello, ${String(a.user_name?.content?.name)}!` },
  test_input_required_result_sampling: { rounds: [{ capital_question: SAMPLE }], state: false, done: (a) => `The model said: ${String(a.capital_question?.content?.text)}` },
  test_input_required_result_list_roots: { rounds: [{ client_roots: ROOTS }], state: false, done: (a) => `Roots: ${(Array.isArray(a.client_roots?.roots) ? a.client_roots.roots : []).map((r: { uri?: string }) => r.uri).join(', ')}` },
  test_input_required_result_request_state: { rounds: [{ confirm: elicit('Please confirm', 'ok', 'boolean') }], state: true, done: () => 'state-ok: the requestState was verified' },
  test_input_required_result_tampered_state: { rounds: [{ confirm: elicit('Please confirm', 'ok', 'boolean') }], state: true, done: () => 'state-ok' },
  test_input_required_result_multiple_inputs: { rounds: [{ user_name: elicit('What is your name?', 'name'), greeting: GREETING, client_roots: ROOTS }], state: true, done: (a) => `Hello, ${String(a.user_name?.content?.name)}; all inputs received` },
  test_input_required_result_multi_round: {
    rounds: [{ step1: elicit('Step 1: What is your name?', 'name') }, { step2: elicit('Step 2: What is your favorite color?', 'color') }],
    state: true,
    done: (a) => `Done: ${String(a.step2?.content?.color)}`,
  },
  test_input_required_result_prompt: { rounds: [{ user_context: elicit('What context should the prompt use?', 'context') }], state: false, done: (a) => `Use this context: ${String(a.user_context?.content?.context)}` },
};
const STATE_KEY = randomBytes(32);

function sealState(tool: string, round: number): string {
  const body = Buffer.from(JSON.stringify({ tool, round, n: randomBytes(6).toString('base64url') })).toString('base64url');
  return `${body}.${createHmac('sha256', STATE_KEY).update(body).digest('base64url')}`;
}

function openState(tool: string, state: string): number | undefined {
  const [body, mac] = state.split('.');
  if (!body || !mac || createHmac('sha256', STATE_KEY).update(body).digest('base64url') !== mac) return undefined;
  const v = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as { tool: string; round: number };
  return v.tool === tool ? v.round : undefined;
}

const CAPABILITY_OF: Record<string, string> = { 'elicitation/create': 'elicitation', 'sampling/createMessage': 'sampling', 'roots/list': 'roots' };

/**
 * One step of a multi-round call: an input_required result, the final text, or an error. Answers
 * must be objects; a tampered requestState is refused; missing answers re-ask the same round.
 */
function mrtrStep(name: string, params: Record<string, any>, caps: Record<string, unknown>): { result: Record<string, unknown> } | { text: string } | { error: { code: number; message: string } } {
  const spec = ROUNDS[name];
  if (name === 'test_input_required_result_capabilities') {
    const all: Record<string, InputRequest> = { user_name: elicit('What is your name?', 'name'), greeting: GREETING, client_roots: ROOTS };
    const allowed = Object.fromEntries(Object.entries(all).filter(([, r]) => caps[CAPABILITY_OF[r.method]]));
    const answers = params.inputResponses;
    if (answers && typeof answers === 'object' && Object.keys(allowed).every((k) => answers[k])) return { text: 'capabilities respected' };
    if (Object.keys(allowed).length === 0) return { error: { code: -32021, message: 'Missing required client capability' } };
    return { result: { resultType: 'input_required', inputRequests: allowed } };
  }
  let round = 0;
  if (params.requestState !== undefined) {
    const opened = typeof params.requestState === 'string' ? openState(name, params.requestState) : undefined;
    if (opened === undefined) return { error: { code: -32602, message: 'Invalid params: requestState failed its integrity check' } };
    round = opened;
  }
  const answers = params.inputResponses;
  if (answers !== undefined && (!answers || typeof answers !== 'object' || Array.isArray(answers))) return { error: { code: -32602, message: 'Invalid params: inputResponses must be an object' } };
  const wanted = spec.rounds[round];
  const given = (answers ?? {}) as Record<string, unknown>;
  const complete = Object.keys(wanted).every((k) => given[k] && typeof given[k] === 'object' && !Array.isArray(given[k]));
  if (answers !== undefined && Object.keys(wanted).some((k) => k in given && (typeof given[k] !== 'object' || given[k] === null))) {
    return { error: { code: -32602, message: 'Invalid params: each input response must be an object' } };
  }
  if (complete && round === spec.rounds.length - 1) return { text: spec.done(given as Record<string, any>) };
  const next = complete ? round + 1 : round;
  const result: Record<string, unknown> = { resultType: 'input_required', inputRequests: spec.rounds[next] };
  if (spec.state || next > 0) result.requestState = sealState(name, next);
  return { result };
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
          result: complete({ supportedVersions: [MODERN], capabilities: { tools: { listChanged: true }, resources: { subscribe: true, listChanged: true }, prompts: {} }, instructions: 'A stateless test server.', ttlMs: 60_000, cacheScope: 'public' }),
        });
      case 'tools/list':
        return sendJson(res, 200, { jsonrpc: '2.0', id, result: complete({ tools: [...TOOLS, ...CONFORMANCE_TOOLS], ttlMs: 0, cacheScope: 'public' }) });
      case 'prompts/list':
        return sendJson(res, 200, { jsonrpc: '2.0', id, result: complete({ prompts: [{ name: 'test_input_required_result_prompt', description: 'Asks for context first' }], ttlMs: 0, cacheScope: 'public' }) });
      case 'prompts/get': {
        if (params.name !== 'test_input_required_result_prompt') return rpcError(res, 200, id, -32602, `Unknown prompt: ${String(params.name)}`);
        const step = mrtrStep(params.name, params, caps);
        if ('error' in step) return rpcError(res, step.error.code === -32021 ? 400 : 200, id, step.error.code, step.error.message);
        if ('result' in step) return sendJson(res, 200, { jsonrpc: '2.0', id, result: step.result });
        return sendJson(res, 200, { jsonrpc: '2.0', id, result: complete({ messages: [{ role: 'user', content: { type: 'text', text: step.text } }] }) });
      }
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
      default: {
        if (!ROUNDS[params.name] && params.name !== 'test_input_required_result_capabilities') return rpcError(res, 200, id, -32602, `Unknown tool: ${String(params.name)}`);
        const step = mrtrStep(params.name, params, caps);
        if ('error' in step) return rpcError(res, step.error.code === -32021 ? 400 : 200, id, step.error.code, step.error.message);
        if ('result' in step) return sendJson(res, 200, { jsonrpc: '2.0', id, result: step.result });
        return ok(step.text);
      }
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
