/**
 * A hostile upstream event stream through the direct proxy: a Streamable backend answers each call with
 * fuzzed SSE bytes (odd fields, CR-only line ends, BOMs, partial or over-long events, garbage data, wrong
 * ids, early end). The client's answer always ends within the service timeout, every event it gets
 * carries JSON, and a call the backend did not answer gets a JSON-RPC error with an UPSTREAM_* code.
 */
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { report, runs, SEED, timeout } from './support.js';

const TIMEOUT_MS = 400;
let gw: TestGateway;
let backend: http.Server;
/** What the backend sends next; `{ID}` becomes the request id. */
let payload: { parts: string[]; end: boolean } = { parts: [], end: true };

const line = fc.oneof(
  fc.constantFrom(
    'event: message\n', 'data: {ANSWER}\n', 'data: {ANSWER}\n\n', 'data: not json\n\n', 'data: {"jsonrpc":"2.0","method":"notifications/message","params":{"level":"info","data":"n"}}\n\n',
    'data: {"jsonrpc":"2.0","id":"other","result":{}}\n\n', 'data: [1,2]\n\n', 'data:\n\n', ': comment\n\n', 'id: 7\n', 'id: \u0000\n', 'retry: 10\n', 'retry: x\n',
    'event: endpoint\n', 'event:\n', '\r', '\r\n', '\n', '\n\n', '\ufeff', 'data: {"jsonrpc":"2.0","id":{ID},"error":{"code":-1,"message":"m"}}\n\n', 'field without colon\n', 'data: {ANSWER}\r\r',
  ),
  fc.string({ maxLength: 40 }),
  fc.integer({ min: 1, max: 200_000 }).map((n) => `data: ${'x'.repeat(n)}`),
);

beforeAll(async () => {
  backend = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d) => (text += d));
    req.on('end', () => {
      if (req.method !== 'POST') return void res.writeHead(405).end();
      const body = JSON.parse(text);
      if (body.method === 'initialize') return void res.writeHead(200, { 'content-type': 'application/json', 'mcp-session-id': 'up' }).end(JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { protocolVersion: '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'h', version: '1' } } }));
      if (body.id === undefined) return void res.writeHead(202).end();
      const answer = JSON.stringify({ jsonrpc: '2.0', id: body.id, result: { content: [{ type: 'text', text: 'ok' }] } });
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const part of payload.parts) res.write(part.split('{ANSWER}').join(answer).split('{ID}').join(JSON.stringify(body.id)));
      if (payload.end) res.end();
    });
  });
  await new Promise<void>((r) => backend.listen(0, '127.0.0.1', r));
  gw = await startGateway({ maxMessageBytes: 64 * 1024 });
  await gw.admin('PUT', '/api/v1/services/h', { protocol: 'mcp', endpoints: [`127.0.0.1:${(backend.address() as { port: number }).port}`], timeoutMs: TIMEOUT_MS });
  await gw.admin('PUT', '/api/v1/mcp-servers/h', { type: 'direct-proxy', description: 'd', service: 'h', transport: 'streamable-http', path: '/mcp' });
  await gw.settled();
});

afterAll(async () => {
  await gw?.stop();
  backend?.closeAllConnections();
  await new Promise<void>((r) => backend?.close(() => r()));
});

describe('hostile upstream SSE through the direct proxy', () => {
  it('every call ends in time with JSON events, and an unanswered call gets an UPSTREAM_* error', async () => {
    const url = `${gw.dataUrl}/mcp-servers/h`;
    const headers = { accept: 'application/json, text/event-stream', 'content-type': 'application/json' };
    const init = await fetch(url, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'f', version: '1' } } }) });
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    let tried = 0;
    const outcomes = { answered: 0, upstreamError: 0 };
    let id = 1;
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 12 }), fc.boolean(), async (parts, end) => {
        tried++;
        payload = { parts, end };
        const callId = id++;
        const t0 = Date.now();
        const res = await fetch(url, { method: 'POST', headers: { ...headers, 'mcp-session-id': sid }, body: JSON.stringify({ jsonrpc: '2.0', id: callId, method: 'tools/call', params: { name: 't', arguments: {} } }), signal: AbortSignal.timeout(TIMEOUT_MS + 5000) });
        const text = await res.text();
        expect(Date.now() - t0).toBeLessThan(TIMEOUT_MS + 3000);
        if (res.status >= 500) {
          expect(JSON.parse(text).error.data.code).toMatch(/^UPSTREAM_/);
          outcomes.upstreamError++;
          return;
        }
        const messages = text.split(/\n\n/).map((ev) => ev.split('\n').filter((l) => l.startsWith('data: ') || l === 'data:').map((l) => l.slice(5).trimStart()).join('\n')).filter((d) => d !== '');
        for (const m of messages) expect(() => JSON.parse(m), m.slice(0, 100)).not.toThrow();
        const mine = messages.map((m) => JSON.parse(m)).filter((m) => m && m.id === callId);
        expect(mine.length, text.slice(0, 300)).toBeGreaterThan(0);
        if (mine.some((m) => m.error?.data?.code?.startsWith('UPSTREAM_'))) outcomes.upstreamError++;
        else outcomes.answered++;
      }),
      { numRuns: runs(150, 0.05), seed: SEED },
    );
    report('hostile upstream SSE (direct proxy)', tried, outcomes);
  }, timeout(120_000));
});
