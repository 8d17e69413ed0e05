import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { createLogger } from '../../src/observe/logger.js';
import { startRawBackend, type RawBackend } from './raw-backend.js';
import { freePort } from './support.js';
import { ECHO, registerStdio } from '../stdio/support.js';

const KEY = 'observe-alice-key-5521';

async function rpc(url: string, body: unknown, headers: Record<string, string>): Promise<{ status: number; sid?: string; text: string }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers }, body: JSON.stringify(body) });
  return { status: res.status, sid: res.headers.get('mcp-session-id') ?? undefined, text: await res.text() };
}

const initialize = (id: number) => ({ jsonrpc: '2.0', id, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
const call = (id: number, name: string) => ({ jsonrpc: '2.0', id, method: 'tools/call', params: { name, arguments: { secret: KEY } } });

/** Direct-proxy traffic is counted like hosted traffic: exact counters after known requests, one access line each. */
describe('direct proxy: metrics and access log', () => {
  let gw: TestGateway;
  let raw: RawBackend;
  const lines: string[] = [];

  beforeAll(async () => {
    raw = await startRawBackend({ mode: 'streamable' });
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    gw = await startGateway({ logLevel: 'info', log: createLogger('info', sink) });
    await gw.admin('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: KEY }] });
    await gw.admin('PUT', '/api/v1/services/raw-mcp', { protocol: 'mcp', endpoints: [raw.address] });
    await gw.admin('PUT', '/api/v1/services/down-mcp', { protocol: 'mcp', endpoints: [`127.0.0.1:${await freePort()}`] });
    for (const [name, service] of [['obs', 'raw-mcp'], ['obs-down', 'down-mcp']]) {
      const put = await gw.admin('PUT', `/api/v1/mcp-servers/${name}`, { type: 'direct-proxy', description: name, service, transport: 'streamable-http', path: '/mcp', consumerAuth: { enabled: true } });
      expect(put.status, JSON.stringify(put.body)).toBe(201);
    }
    await registerStdio(gw, 'obs-stdio', { command: process.execPath, args: [ECHO] });
    await gw.settled();
  }, 30_000);
  afterAll(async () => {
    await gw?.stop();
    await raw?.close();
  });

  const scrape = () => fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());

  it('counts requests, tool calls, errors and upstream latency exactly', async () => {
    const url = `${gw.dataUrl}/mcp-servers/obs`;
    const auth = { 'x-api-key': KEY };
    const init = await rpc(url, initialize(1), auth);
    expect(init.status).toBe(200);
    const s = { ...auth, 'mcp-session-id': init.sid! };
    await rpc(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, s);
    for (let i = 0; i < 3; i++) expect((await rpc(url, call(10 + i, 'ok'), s)).status).toBe(200);
    expect((await rpc(url, call(20, 'bad tool name!'), s)).status).toBe(200);
    // a batch of two requests counts two
    await rpc(url, [call(30, 'ok'), { jsonrpc: '2.0', id: 31, method: 'ping' }], s);
    const down = await rpc(`${gw.dataUrl}/mcp-servers/obs-down`, initialize(1), auth);
    expect(down.status).toBe(502);

    const text = await scrape();
    expect(text).toContain('mcpgw_requests_total{server="obs",method="initialize",transport="streamable-http",outcome="ok"} 1');
    expect(text).toContain('mcpgw_requests_total{server="obs",method="tools/call",transport="streamable-http",outcome="ok"} 5');
    expect(text).toContain('mcpgw_requests_total{server="obs",method="ping",transport="streamable-http",outcome="ok"} 1');
    expect(text).toContain('mcpgw_requests_total{server="obs-down",method="initialize",transport="streamable-http",outcome="error"} 1');
    expect(text).toContain('mcpgw_tool_calls_total{server="obs",tool="ok",consumer="alice",outcome="ok"} 4');
    expect(text).toContain('mcpgw_tool_calls_total{server="obs",tool="other",consumer="alice",outcome="ok"} 1');
    expect(text).not.toContain('bad tool name!');
    expect(text).not.toMatch(/method="notifications/);
    // one upstream observation per backend POST: initialize, notification, 4 calls, the batch
    expect(text).toContain('mcpgw_upstream_duration_seconds_count{server="obs",method="tools/call"} 5');
    expect(text).toContain('mcpgw_upstream_duration_seconds_count{server="obs",method="initialize"} 1');
    expect(text).toContain('mcpgw_upstream_duration_seconds_count{server="obs-down",method="initialize"} 1');

    await new Promise((r) => setTimeout(r, 50));
    const access = lines.map((l) => JSON.parse(l)).filter((l) => l.type === 'access' && l.server === 'obs');
    const calls = access.filter((l) => l.method === 'tools/call');
    expect(calls).toHaveLength(4);
    expect(calls[0]).toMatchObject({ transport: 'streamable-http', tool: 'ok', consumer: 'alice', status: 200, outcome: 'ok', id: 10 });
    expect(typeof calls[0].durationMs).toBe('number');
    expect(typeof calls[0].upstreamMs).toBe('number');
    expect(calls[0].requestBytes).toBe(JSON.stringify(call(10, 'ok')).length);
    expect(access.filter((l) => l.method === 'batch')).toHaveLength(1);
    expect(access.filter((l) => l.method === 'notifications/initialized')).toHaveLength(0);
    const failed = lines.map((l) => JSON.parse(l)).find((l) => l.type === 'access' && l.server === 'obs-down');
    expect(failed).toMatchObject({ method: 'initialize', status: 502, outcome: 'error', errorCode: 'UPSTREAM_UNAVAILABLE' });
    expect(lines.join('\n')).not.toContain(KEY);
  });

  it('counts a rate-limit refusal by server and rule scope, with Retry-After until the next token', async () => {
    const put = await gw.admin('PUT', '/api/v1/mcp-servers/obs-limited', { type: 'direct-proxy', description: 'l', service: 'raw-mcp', transport: 'streamable-http', path: '/mcp', consumerAuth: { enabled: true }, rateLimits: [{ requests: 1, windowSeconds: 3600, consumer: 'alice' }] });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    await gw.settled();
    const url = `${gw.dataUrl}/mcp-servers/obs-limited`;
    const init = await rpc(url, initialize(1), { 'x-api-key': KEY });
    const s = { 'x-api-key': KEY, 'mcp-session-id': init.sid! };
    expect((await rpc(url, call(2, 'ok'), s)).status).toBe(200);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...s }, body: JSON.stringify(call(3, 'ok')) });
    expect(res.status).toBe(429);
    expect(res.headers.get('retry-after')).toBe('3600');
    await res.text();
    const text = await scrape();
    expect(text).toContain('mcpgw_rate_limited_total{server="obs-limited",scope="consumer"} 1');
    expect(text).toContain(`mcpgw_upstream_endpoint_healthy{service="raw-mcp",endpoint="${raw.address}"} 1`);
  });

  it('counts an open GET event stream while it is open', async () => {
    const url = `${gw.dataUrl}/mcp-servers/obs`;
    const init = await rpc(url, initialize(1), { 'x-api-key': KEY });
    const controller = new AbortController();
    const res = await fetch(url, { headers: { accept: 'text/event-stream', 'x-api-key': KEY, 'mcp-session-id': init.sid! }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    expect(await scrape()).toContain('mcpgw_sse_streams{server="obs",transport="streamable-http"} 1');
    controller.abort();
    await reader.cancel().catch(() => undefined);
    for (let i = 0; i < 50 && (await scrape()).includes('mcpgw_sse_streams{server="obs"'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await scrape()).not.toContain('mcpgw_sse_streams{server="obs"');
  });

  it('counts stdio servers the same way', async () => {
    const url = `${gw.dataUrl}/mcp-servers/obs-stdio`;
    const init = await rpc(url, initialize(1), {});
    expect(init.status).toBe(200);
    for (let i = 0; i < 2; i++) expect((await rpc(url, { jsonrpc: '2.0', id: 5 + i, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hi' } } }, { 'mcp-session-id': init.sid! })).text).toContain('hi');
    const text = await scrape();
    expect(text).toContain('mcpgw_requests_total{server="obs-stdio",method="tools/call",transport="streamable-http",outcome="ok"} 2');
    expect(text).toContain('mcpgw_tool_calls_total{server="obs-stdio",tool="echo",consumer="none",outcome="ok"} 2');
  });
});
