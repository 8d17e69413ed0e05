import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startBackend, type TestBackend } from '../support/backend.js';
import { connectClient } from '../support/mcp-client.js';
import { startRawBackend, type RawBackend } from '../proxy/raw-backend.js';

interface ExportedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  attributes: Array<{ key: string; value: Record<string, unknown> }>;
}

/** An OTLP/HTTP traces endpoint on loopback that keeps every span it receives (JSON encoding). */
async function startOtlpSink(): Promise<{ url: string; spans: ExportedSpan[]; resources: unknown[]; close(): Promise<void> }> {
  const spans: ExportedSpan[] = [];
  const resources: unknown[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/v1/traces' && String(req.headers['content-type']).startsWith('application/json')) {
        const body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        for (const rs of body.resourceSpans ?? []) {
          resources.push(rs.resource);
          for (const ss of rs.scopeSpans ?? []) spans.push(...ss.spans);
        }
      }
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { url: `http://127.0.0.1:${port}`, spans, resources, close: () => new Promise<void>((r) => server.close(() => r())) };
}

function attr(span: ExportedSpan, key: string): unknown {
  const v = span.attributes.find((a) => a.key === key)?.value;
  return v ? Object.values(v)[0] : undefined;
}

const SERVER = 2;
const CLIENT = 3;
const CLIENT_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const TRACEPARENT = `00-${CLIENT_TRACE}-${CLIENT_SPAN}-01`;

const TOOLS = `
server:
  name: items
tools:
  - name: getItem
    description: Get an item
    args:
      - name: id
        type: integer
        required: true
        position: path
    requestTemplate:
      url: /items/{id}
      method: GET
`;

async function rpc(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; sid?: string; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, sid: res.headers.get('mcp-session-id') ?? undefined, text: await res.text() };
}

async function spansOf(gw: TestGateway, sink: { spans: ExportedSpan[] }, traceId: string, count: number): Promise<ExportedSpan[]> {
  for (let i = 0; i < 100; i++) {
    await gw.gateway.tracing!.flush();
    const found = sink.spans.filter((s) => s.traceId === traceId);
    if (found.length >= count) return found;
    await new Promise((r) => setTimeout(r, 50));
  }
  return sink.spans.filter((s) => s.traceId === traceId);
}

describe('traces: W3C trace context in, spans out over OTLP/HTTP, trace context to backends', () => {
  let sink: Awaited<ReturnType<typeof startOtlpSink>>;
  let gw: TestGateway;
  let rest: TestBackend;
  let raw: RawBackend;

  beforeAll(async () => {
    sink = await startOtlpSink();
    rest = await startBackend();
    raw = await startRawBackend({ mode: 'streamable' });
    gw = await startGateway({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: sink.url, OTEL_SERVICE_NAME: 'gw-under-test', OTEL_BSP_SCHEDULE_DELAY: '50' } });
    expect(gw.gateway.tracing).toBeDefined();
    await gw.admin('PUT', '/api/v1/services/items-backend', { protocol: 'http', endpoints: [rest.address] });
    const srv = await gw.admin('PUT', '/api/v1/mcp-servers/items', { type: 'http-to-mcp', description: 'items', service: 'items-backend', tools: TOOLS });
    expect(srv.status, JSON.stringify(srv.body)).toBe(201);
    await gw.admin('PUT', '/api/v1/services/raw-mcp', { protocol: 'mcp', endpoints: [raw.address] });
    const px = await gw.admin('PUT', '/api/v1/mcp-servers/raw', { type: 'direct-proxy', description: 'raw', service: 'raw-mcp', transport: 'streamable-http', path: '/mcp' });
    expect(px.status, JSON.stringify(px.body)).toBe(201);
    await gw.settled();
  }, 30_000);
  afterAll(async () => {
    await gw?.stop();
    await rest?.close();
    await raw?.close();
    await sink?.close();
  });

  it('HTTP-to-MCP: the tools/call span continues the client trace and parents the backend request', async () => {
    const client = await connectClient(gw.dataUrl, 'items', 'streamable-http', { traceparent: TRACEPARENT, tracestate: 'vendor=abc' });
    const result = await client.callTool({ name: 'getItem', arguments: { id: 7 } });
    await client.close();
    expect(result.isError).toBeFalsy();
    const hit = rest.requests.find((r) => r.path === '/items/7');
    expect(hit).toBeDefined();
    const sent = String(hit!.headers.traceparent);
    expect(sent).toMatch(new RegExp(`^00-${CLIENT_TRACE}-[0-9a-f]{16}-01$`));
    expect(hit!.headers.tracestate).toBe('vendor=abc');

    const spans = await spansOf(gw, sink, CLIENT_TRACE, 2);
    const server = spans.find((s) => s.kind === SERVER && attr(s, 'mcp.method.name') === 'tools/call');
    expect(server).toBeDefined();
    expect(server!.name).toBe('tools/call getItem');
    expect(server!.parentSpanId).toBe(CLIENT_SPAN);
    expect(attr(server!, 'mcpgw.server')).toBe('items');
    expect(attr(server!, 'gen_ai.tool.name')).toBe('getItem');
    expect(attr(server!, 'mcpgw.transport')).toBe('streamable-http');
    expect(attr(server!, 'mcpgw.outcome')).toBe('ok');
    const upstream = spans.find((s) => s.kind === CLIENT && s.parentSpanId === server!.spanId);
    expect(upstream).toBeDefined();
    expect(attr(upstream!, 'http.request.method')).toBe('GET');
    expect(attr(upstream!, 'url.path')).toBe('/items/7');
    expect(Number(attr(upstream!, 'http.response.status_code'))).toBe(200);
    // The backend's parent is exactly the gateway's upstream span.
    expect(sent.split('-')[2]).toBe(upstream!.spanId);
    expect(JSON.stringify(sink.resources)).toContain('gw-under-test');
  });

  it('direct proxy: the proxied tools/call span parents the forwarded POST, whose traceparent the backend sees', async () => {
    const trace = 'a'.repeat(31) + '1';
    const tp = `00-${trace}-${'b'.repeat(16)}-01`;
    const url = `${gw.dataUrl}/mcp-servers/raw`;
    const init = await rpc(url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }, {});
    expect(init.status).toBe(200);
    const before = raw.requests.length;
    const call = await rpc(url, { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'ok', arguments: {} } }, { 'mcp-session-id': init.sid!, traceparent: tp });
    expect(call.status).toBe(200);
    const forwarded = raw.requests.slice(before).find((r) => r.method === 'POST' && r.body.includes('tools/call'));
    expect(forwarded).toBeDefined();
    const sent = String(forwarded!.headers.traceparent);
    expect(sent).toMatch(new RegExp(`^00-${trace}-[0-9a-f]{16}-01$`));

    const spans = await spansOf(gw, sink, trace, 2);
    const server = spans.find((s) => s.kind === SERVER);
    expect(server).toBeDefined();
    expect(server!.name).toBe('tools/call ok');
    expect(server!.parentSpanId).toBe('b'.repeat(16));
    expect(attr(server!, 'mcpgw.server')).toBe('raw');
    expect(attr(server!, 'mcpgw.outcome')).toBe('ok');
    const upstream = spans.find((s) => s.kind === CLIENT && s.parentSpanId === server!.spanId);
    expect(upstream).toBeDefined();
    expect(attr(upstream!, 'http.request.method')).toBe('POST');
    expect(sent.split('-')[2]).toBe(upstream!.spanId);
  });

  it('a request without traceparent starts a new trace; a malformed one is ignored', async () => {
    const url = `${gw.dataUrl}/mcp-servers/raw`;
    const init = await rpc(url, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }, { traceparent: 'not-a-trace' });
    expect(init.status).toBe(200);
    const sent = String(raw.requests.at(-1)!.headers.traceparent);
    expect(sent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(sent).not.toContain('not-a-trace');
  });
});

describe('traces off: no spans, the client trace context still reaches the backend', () => {
  let gw: TestGateway;
  let rest: TestBackend;

  beforeAll(async () => {
    rest = await startBackend();
    gw = await startGateway({ env: { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_SDK_DISABLED: 'true' } });
    await gw.admin('PUT', '/api/v1/services/items-backend', { protocol: 'http', endpoints: [rest.address] });
    await gw.admin('PUT', '/api/v1/mcp-servers/items', { type: 'http-to-mcp', description: 'items', service: 'items-backend', tools: TOOLS });
    await gw.settled();
  });
  afterAll(async () => {
    await gw?.stop();
    await rest?.close();
  });

  it('passes a well-formed traceparent through unchanged and drops a malformed one', async () => {
    expect(gw.gateway.tracing).toBeUndefined();
    const client = await connectClient(gw.dataUrl, 'items', 'streamable-http', { traceparent: TRACEPARENT });
    await client.callTool({ name: 'getItem', arguments: { id: 1 } });
    await client.close();
    expect(rest.requests.find((r) => r.path === '/items/1')!.headers.traceparent).toBe(TRACEPARENT);
    const bad = await connectClient(gw.dataUrl, 'items', 'streamable-http', { traceparent: `00-${CLIENT_TRACE}-zz-01` });
    await bad.callTool({ name: 'getItem', arguments: { id: 2 } });
    await bad.close();
    expect(rest.requests.find((r) => r.path === '/items/2')!.headers.traceparent).toBeUndefined();
  });
});
