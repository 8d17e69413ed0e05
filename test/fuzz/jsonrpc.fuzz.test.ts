/**
 * JSON-RPC bodies and headers against a running gateway, on Streamable HTTP and on HTTP+SSE: every
 * answer comes within its deadline, is never a 5xx (nothing here is the gateway's fault), carries a
 * coded error when it refuses, and the gateway keeps serving with bounded memory and sessions.
 * Tool arguments are fuzzed too: whatever lands in paths, queries and headers stays encoded or is refused.
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startBackend, type TestBackend } from '../support/backend.js';
import { connectClient } from '../support/mcp-client.js';
import { report, runs, SEED, timeout } from './support.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

const DEADLINE_MS = 10_000;
const VERSIONS = ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'];

const TOOLS = [
  'server:\n  name: fz\ntools:',
  '  - name: echo\n    description: e\n    args:\n      - { name: id, position: path }\n      - { name: q, position: query }\n      - { name: h, position: header }\n      - { name: c, position: cookie }\n      - { name: b, position: body, type: object }\n    requestTemplate: { url: "/base/{id}", method: POST }',
  '  - name: templated\n    description: t\n    args: [{ name: p }, { name: n, type: integer }, { name: tags, type: array, items: { type: string } }]\n    requestTemplate: { url: "/base/{{.args.p}}?n={{.args.n}}", method: GET, headers: [{ key: x-p, value: "{{.args.p}}" }] }',
].join('\n');

let gw: TestGateway;
let backend: TestBackend;

interface Answer {
  status: number;
  body: string;
}

async function send(method: string, path: string, headers: Record<string, string>, body?: string): Promise<Answer> {
  const res = await fetch(`${gw.dataUrl}${path}`, { method, headers, body, signal: AbortSignal.timeout(DEADLINE_MS) });
  // A GET stream that opened is a success: read nothing more from it.
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, body: '' };
  }
  return { status: res.status, body: await res.text() };
}

function expectCoded(a: Answer, context: string): void {
  expect(a.status, context).toBeLessThan(500);
  if (a.status >= 400 && a.body) {
    const parsed = JSON.parse(a.body);
    const code = parsed.error?.data?.code ?? parsed.error?.code;
    expect(typeof code === 'string' || typeof code === 'number', `${context}: ${a.body.slice(0, 200)}`).toBe(true);
  }
}

/** A JSON-RPC-ish value: mostly well-formed envelopes with odd parts, sometimes anything. */
const rpcValue = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record(
      {
        jsonrpc: fc.oneof(fc.constant('2.0'), fc.jsonValue({ maxDepth: 1 })),
        id: fc.oneof(fc.integer(), fc.string({ maxLength: 20 }), fc.constant(null), fc.double(), fc.jsonValue({ maxDepth: 1 })),
        method: fc.oneof(fc.constantFrom('initialize', 'ping', 'tools/list', 'tools/call', 'notifications/initialized', 'notifications/cancelled', 'resources/list', 'prompts/get', 'logging/setLevel', ''), fc.string({ maxLength: 30 })),
        params: fc.oneof(
          fc.record({
            protocolVersion: fc.oneof(fc.constantFrom(...VERSIONS), fc.string({ maxLength: 12 })),
            capabilities: fc.jsonValue({ maxDepth: 2 }),
            clientInfo: fc.jsonValue({ maxDepth: 2 }),
            name: fc.oneof(fc.constantFrom('echo', 'templated', 'nope'), fc.string({ maxLength: 10 })),
            arguments: fc.oneof(fc.jsonValue({ maxDepth: 3 }), fc.dictionary(fc.constantFrom('id', 'q', 'h', 'c', 'b', 'p', 'n', 'tags'), fc.jsonValue({ maxDepth: 2 }))),
            _meta: fc.jsonValue({ maxDepth: 2 }),
            requestId: fc.jsonValue({ maxDepth: 1 }),
            cursor: fc.jsonValue({ maxDepth: 1 }),
          }, { requiredKeys: [] }),
          fc.jsonValue({ maxDepth: 2 }),
        ),
        result: fc.jsonValue({ maxDepth: 2 }),
        error: fc.jsonValue({ maxDepth: 2 }),
      },
      { requiredKeys: [] },
    ),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }) },
);

const rpcBody = fc.oneof(
  { weight: 6, arbitrary: rpcValue.map((v) => JSON.stringify(v)) },
  { weight: 2, arbitrary: fc.array(rpcValue, { maxLength: 5 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }) },
  { weight: 1, arbitrary: rpcValue.map((v) => JSON.stringify(v)).chain((s) => fc.nat(s.length).map((n) => s.slice(0, n))) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 200_000 }).map((d) => `{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"b":${'['.repeat(d)}${']'.repeat(d)}}}}`) },
  { weight: 1, arbitrary: fc.integer({ min: 1000, max: 100_000 }).map((d) => `{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}}`) },
);

const headerValue = fc.oneof(fc.constantFrom('', '*/*', 'application/json', 'text/event-stream', 'application/json, text/event-stream', 'text/plain', 'application/json; charset=utf-8', ...VERSIONS), fc.stringMatching(/^[\x21-\x7e][\x20-\x7e]{0,40}$/));

const requestShape = fc.record({
  method: fc.constantFrom('POST', 'POST', 'POST', 'GET', 'DELETE', 'PUT', 'OPTIONS'),
  accept: fc.oneof(fc.constant('application/json, text/event-stream'), headerValue),
  contentType: fc.oneof(fc.constant('application/json'), headerValue),
  version: fc.oneof({ weight: 3, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: headerValue }),
  session: fc.constantFrom('valid', 'valid', 'none', 'bogus', 'other-server'),
  origin: fc.oneof({ weight: 8, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: fc.constantFrom('http://127.0.0.1:1', 'https://evil.example', 'null', 'not a url') }),
  extra: fc.dictionary(fc.stringMatching(/^x-[a-z]{1,8}$/), fc.stringMatching(/^[\x20-\x7e]{0,30}$/), { maxKeys: 3 }),
  body: rpcBody,
});

async function initStreamable(server: string): Promise<string> {
  const res = await fetch(`${gw.dataUrl}/mcp-servers/${server}`, {
    method: 'POST',
    headers: { accept: 'application/json, text/event-stream', 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-03-26', capabilities: {}, clientInfo: { name: 'fuzz', version: '1' } } }),
  });
  await res.text();
  return res.headers.get('mcp-session-id')!;
}

/** A legacy SSE session read by hand: its message URL and every message event that arrived. */
async function openSse(server: string) {
  const controller = new AbortController();
  const res = await fetch(`${gw.dataUrl}/mcp-servers/${server}/sse`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  const messages: string[] = [];
  let endpoint = '';
  let buffer = '';
  let closed = false;
  let notify: (() => void) | undefined;
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += decoder.decode(value, { stream: true });
        let cut;
        while ((cut = buffer.indexOf('\n\n')) !== -1) {
          const event = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const name = /^event: (.*)$/m.exec(event)?.[1];
          const data = event.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
          if (name === 'endpoint') endpoint = data;
          else if (data) messages.push(data);
          notify?.();
        }
      }
    } catch {
      // aborted by the test
    }
    closed = true;
    notify?.();
  })();
  const until = async (pred: () => boolean, ms = DEADLINE_MS) => {
    const end = Date.now() + ms;
    while (!pred()) {
      if (Date.now() > end) throw new Error('timed out waiting on the SSE stream');
      await new Promise<void>((r) => {
        notify = r;
        setTimeout(r, 50);
      });
    }
  };
  await until(() => endpoint !== '');
  return { endpoint, messages, until, isClosed: () => closed, close: () => controller.abort() };
}

beforeAll(async () => {
  backend = await startBackend();
  gw = await startGateway({ sessionTtlMs: 60_000 });
  await gw.admin('PUT', '/api/v1/services/fz', { protocol: 'http', endpoints: [backend.address], timeoutMs: 5000 });
  await gw.admin('PUT', '/api/v1/mcp-servers/fz', { type: 'http-to-mcp', description: 'fuzz', service: 'fz', tools: TOOLS });
  await gw.admin('PUT', '/api/v1/mcp-servers/other', { type: 'http-to-mcp', description: 'other', service: 'fz', tools: TOOLS });
  await gw.settled();
});

afterAll(async () => {
  await gw?.stop();
  await backend?.close();
});

function heapMb(): number {
  gc();
  return process.memoryUsage().heapUsed / 1e6;
}

describe('JSON-RPC fuzz on a running gateway', () => {
  it('Streamable HTTP: bodies and headers give coded 2xx/4xx answers within the deadline', async () => {
    const valid = await initStreamable('fz');
    const foreign = await initStreamable('other');
    const statuses = new Map<number, number>();
    let tried = 0;
    const heapBefore = heapMb();
    await fc.assert(
      fc.asyncProperty(requestShape, async (shape) => {
        tried++;
        const headers: Record<string, string> = { ...shape.extra };
        if (shape.accept) headers.accept = shape.accept;
        if (shape.contentType) headers['content-type'] = shape.contentType;
        if (shape.version !== null && shape.version !== '') headers['mcp-protocol-version'] = shape.version;
        if (shape.origin) headers.origin = shape.origin;
        if (shape.session === 'valid') headers['mcp-session-id'] = valid;
        else if (shape.session === 'bogus') headers['mcp-session-id'] = 'AAAAAAAAAAAAAAAAAAAAAA';
        else if (shape.session === 'other-server') headers['mcp-session-id'] = foreign;
        const hasBody = shape.method === 'POST' || shape.method === 'PUT';
        const a = await send(shape.method, '/mcp-servers/fz', headers, hasBody ? shape.body : undefined);
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        expectCoded(a, `${shape.method} ${JSON.stringify(headers)} ${shape.body.slice(0, 300)}`);
      }),
      { numRuns: runs(400), seed: SEED },
    );
    // Each accepted initialize made a session; nothing else may leave one behind.
    const initializes = statuses.get(200) ?? 0;
    expect(gw.gateway.sessions.size).toBeLessThanOrEqual(initializes + 2);
    const heapAfter = heapMb();
    expect(heapAfter - heapBefore).toBeLessThan(64);
    // Still serving: a real client lists and calls tools.
    const client = await connectClient(gw.dataUrl, 'fz', 'streamable-http');
    expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['echo', 'templated']);
    await client.close();
    report('JSON-RPC over Streamable HTTP', tried, { statuses: Object.fromEntries(statuses), heapGrowthMb: Math.round(heapAfter - heapBefore), sessions: gw.gateway.sessions.size });
  }, timeout(120_000));

  it('Streamable HTTP with a valid session: every body reaches the dispatcher and gets a coded answer', async () => {
    const valid = await initStreamable('fz');
    const statuses = new Map<number, number>();
    let tried = 0;
    await fc.assert(
      fc.asyncProperty(rpcBody, async (body) => {
        tried++;
        const a = await send('POST', '/mcp-servers/fz', { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-session-id': valid }, body);
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        expectCoded(a, body.slice(0, 300));
      }),
      { numRuns: runs(400), seed: SEED },
    );
    const deep = (d: number) => `{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{"name":"echo","arguments":{"b":{"x":${'['.repeat(d)}${']'.repeat(d)}}}}}`;
    for (const d of [100, 10_000, 500_000]) {
      const a = await send('POST', '/mcp-servers/fz', { accept: 'application/json, text/event-stream', 'content-type': 'application/json', 'mcp-session-id': valid }, deep(d));
      expectCoded(a, `depth ${d}`);
    }
    report('JSON-RPC over Streamable HTTP, valid session', tried + 3, { statuses: Object.fromEntries(statuses) });
  }, timeout(120_000));

  it('HTTP+SSE: message bodies give 202 or coded 4xx, answers arrive on the stream, the stream survives', async () => {
    const sse = await openSse('fz');
    const statuses = new Map<number, number>();
    let tried = 0;
    let expectedAnswers = 0;
    const heapBefore = heapMb();
    await fc.assert(
      fc.asyncProperty(rpcBody, fc.constantFrom('valid', 'valid', 'valid', 'none', 'bogus'), fc.oneof(fc.constant('application/json'), headerValue), async (body, session, contentType) => {
        tried++;
        const path = session === 'valid' ? sse.endpoint : session === 'bogus' ? '/mcp-servers/fz/message?sessionId=nope' : '/mcp-servers/fz/message';
        const a = await send('POST', path, { 'content-type': contentType }, body);
        statuses.set(a.status, (statuses.get(a.status) ?? 0) + 1);
        expectCoded(a, `${path} ${body.slice(0, 300)}`);
        if (a.status === 202) expectedAnswers++;
      }),
      { numRuns: runs(300), seed: SEED },
    );
    // A ping after the storm is answered on the same stream.
    const marker = `after-fuzz-${Date.now()}`;
    const ping = await send('POST', sse.endpoint, { 'content-type': 'application/json' }, JSON.stringify({ jsonrpc: '2.0', id: marker, method: 'ping' }));
    expect(ping.status).toBe(202);
    await sse.until(() => sse.messages.some((m) => m.includes(marker)));
    expect(sse.isClosed()).toBe(false);
    const heapAfter = heapMb();
    expect(heapAfter - heapBefore).toBeLessThan(64);
    sse.close();
    report('JSON-RPC over HTTP+SSE', tried, { statuses: Object.fromEntries(statuses), accepted: expectedAnswers, messagesOnStream: sse.messages.length, heapGrowthMb: Math.round(heapAfter - heapBefore) });
  }, timeout(120_000));

  it('tool arguments: paths stay under the configured prefix, headers carry no CR/LF/NUL, refusals are isError', async () => {
    const client = await connectClient(gw.dataUrl, 'fz', 'streamable-http');
    const nasty = fc.oneof(
      fc.string({ maxLength: 30 }),
      fc.constantFrom('../admin', '..', '%2e%2e/x', '..%2f..%2fetc', 'a/../../b', '/etc/passwd', 'x\r\nX-Injected: 1', 'a\u0000b', 'a\nb', '?x=1#frag', 'http://169.254.169.254/', '\\..\\..', '%0d%0aX: y', '{{.config}}', 'é/ü'),
      fc.array(fc.constantFrom('..', '/', '.', '%2e', '%2f', '\r', '\n', '\0', 'a', '?', '#', '%', '\\'), { maxLength: 8 }).map((p) => p.join('')),
    );
    let tried = 0;
    let refused = 0;
    await fc.assert(
      fc.asyncProperty(fc.constantFrom('echo', 'templated'), nasty, nasty, async (tool, a, b) => {
        tried++;
        const before = backend.requests.length;
        const args = tool === 'echo' ? { id: a, q: b, h: b, c: a, b: { v: a } } : { p: a, n: 1, tags: [b] };
        const r = await client.callTool({ name: tool, arguments: args });
        const text = (r.content as Array<{ text: string }>)[0]?.text ?? '';
        if (r.isError) {
          refused++;
          expect(text).toMatch(/^tool "(echo|templated)": /);
        }
        for (const req of backend.requests.slice(before)) {
          expect(req.path.startsWith('/base/') || req.path === '/base', req.url).toBe(true);
          expect(req.path.split('/').includes('..'), req.url).toBe(false);
          for (const [k, v] of Object.entries(req.headers)) expect(String(v), k).not.toMatch(/[\r\n\0]/);
        }
      }),
      { numRuns: runs(400), seed: SEED },
    );
    await client.close();
    report('tool arguments into path/query/header/cookie', tried, { refused });
  }, timeout(120_000));
});
