import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectAt, startEverything, type ConnectedClient, type RunningServer } from '../proxy/support.js';
import { ModernClient } from './modern-client.js';
import { startStatelessUpstream, type StatelessUpstream } from './stateless-upstream.js';

/**
 * The direct proxy for every client/backend generation pair: the stateless 2026-07-28 test upstream
 * and server-everything (initialize-based), each called by the SDK 1.32 client and by the
 * 2026-07-28 test client: tools/list, tools/call, an elicitation round trip, a resource
 * subscription, cancellation.
 */
let gw: TestGateway;
let stateless: StatelessUpstream;
let everything: RunningServer;

async function put(name: string, address: string, server: Record<string, unknown> = {}): Promise<void> {
  const svc = await gw.admin('PUT', `/api/v1/services/${name}`, { protocol: 'mcp', endpoints: [address] });
  expect(svc.status, JSON.stringify(svc.body)).toBeLessThan(300);
  const srv = await gw.admin('PUT', `/api/v1/mcp-servers/${name}`, { type: 'direct-proxy', description: name, service: name, transport: 'streamable-http', path: '/mcp', ...server });
  expect(srv.status, JSON.stringify(srv.body)).toBeLessThan(300);
}

async function until(check: () => boolean, ms = 5000): Promise<void> {
  for (let t = 0; t < ms && !check(); t += 20) await new Promise((r) => setTimeout(r, 20));
}

beforeAll(async () => {
  [stateless, everything, gw] = await Promise.all([startStatelessUpstream(), startEverything('streamableHttp'), startGateway()]);
  await gw.admin('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: 'p26-alice-key-0001' }] });
  await put('st', stateless.address);
  await put('ev', everything.address);
  await put('st-pass', stateless.address, { protocolBridging: 'passthrough' });
  await put('st-acl', stateless.address, { consumerAuth: { enabled: true, allowedTools: { alice: ['echo'] } } });
  await put('st-lim', stateless.address, { consumerAuth: { enabled: true }, rateLimits: [{ requests: 2, windowSeconds: 60, tool: 'echo' }] });
  await gw.settled();
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  await stateless?.close();
  await everything?.stop();
});

describe('2026-07-28 client -> 2026-07-28 backend (passed through)', () => {
  let c: ModernClient;
  beforeAll(() => {
    c = new ModernClient(`${gw.dataUrl}/mcp-servers/st`);
  });

  it('discovers, lists and calls without any session', async () => {
    const d = await c.request('server/discover');
    expect(d.response.result.supportedVersions).toEqual(['2026-07-28']);
    expect(d.headers.get('mcp-session-id')).toBeNull();
    const l = await c.request('tools/list');
    expect(l.response.result.tools.map((t: { name: string }) => t.name).slice(0, 4)).toEqual(['echo', 'ask-name', 'slow', 'touch']);
    const e = await c.request('tools/call', { name: 'echo', arguments: { message: 'héllo' } });
    expect(e.response.result.content[0].text).toBe('Echo: héllo');
    const seen = stateless.seen.at(-1)!;
    expect(seen.headers['mcp-method']).toBe('tools/call');
    expect(seen.headers['mcp-name']).toBe('echo');
  });

  it('passes an input_required result and the retry through', async () => {
    const r = await c.requestWithInput('tools/call', { name: 'ask-name', arguments: {} }, () => ({ action: 'accept', content: { name: 'Grace' } }));
    expect(r.inputRequests.map((i) => i.method)).toEqual(['elicitation/create']);
    expect(r.response.result.content[0].text).toBe('Hello, Grace');
  });

  it('keeps a subscriptions/listen stream open and delivers resource updates', async () => {
    const got: any[] = [];
    const l = await c.listen({ resourceSubscriptions: ['test://counter'] }, (m) => got.push(m));
    expect(l.acknowledged.params.notifications.resourceSubscriptions).toEqual(['test://counter']);
    await c.request('tools/call', { name: 'touch', arguments: { uri: 'test://counter' } });
    await until(() => got.length > 0);
    expect(got[0]).toMatchObject({ method: 'notifications/resources/updated', params: { uri: 'test://counter' } });
    l.close();
    await until(() => stateless.listeners() === 0);
    expect(stateless.listeners()).toBe(0);
  });

  it('cancels the backend call when the client closes the stream', async () => {
    const ac = new AbortController();
    await c.request('tools/call', { name: 'slow', arguments: { ms: 10_000, tag: 'pass' } }, { signal: ac.signal, meta: { progressToken: 'p' }, onMessage: () => ac.abort() }).catch(() => undefined);
    await until(() => stateless.cancelled.includes('pass'));
    expect(stateless.cancelled).toContain('pass');
  });

  it('refuses header/body mismatches at the gateway with 400 and -32020', async () => {
    const before = stateless.seen.length;
    const wrongName = await c.request('tools/call', { name: 'echo', arguments: { message: 'x' } }, { headers: { 'mcp-name': 'touch' } });
    expect([wrongName.status, wrongName.response.error.code]).toEqual([400, -32020]);
    const wrongMethod = await c.request('tools/list', {}, { headers: { 'mcp-method': 'tools/call' } });
    expect([wrongMethod.status, wrongMethod.response.error.code]).toEqual([400, -32020]);
    const { body, headers } = c.build('tools/call', { name: 'ünï', arguments: {} });
    const encoded = await c.send(body, headers);
    expect(headers['mcp-name']).toMatch(/^=\?base64\?/);
    expect(encoded.response.error.code).toBe(-32602);
    const noName = c.build('tools/call', { name: 'echo', arguments: {} });
    delete noName.headers['mcp-name'];
    const missing = await c.send(noName.body, noName.headers);
    expect([missing.status, missing.response.error.code]).toEqual([400, -32020]);
    // only the correctly encoded request reached the backend
    expect(stateless.seen.length).toBe(before + 1);
  });

  it('passes the backend\'s answers to unsupported versions and unknown methods', async () => {
    const version = await c.request('tools/list', {}, { headers: { 'mcp-protocol-version': '2030-01-01' }, meta: { 'io.modelcontextprotocol/protocolVersion': '2030-01-01' } });
    expect([version.status, version.response.error.code]).toEqual([400, -32022]);
    const unknown = await c.request('nothing/here');
    expect([unknown.status, unknown.response.error.code]).toEqual([404, -32601]);
  });

  it('decides the tool ACL from the verified Mcp-Name header', async () => {
    const alice = new ModernClient(`${gw.dataUrl}/mcp-servers/st-acl`, { 'x-api-key': 'p26-alice-key-0001' });
    const listed = await alice.request('tools/list');
    expect(listed.response.result.tools.map((t: { name: string }) => t.name)).toEqual(['echo']);
    expect((await alice.request('tools/call', { name: 'echo', arguments: { message: 'ok' } })).response.result.content[0].text).toBe('Echo: ok');
    const denied = await alice.request('tools/call', { name: 'touch', arguments: { uri: 'test://static' } });
    expect(denied.status).toBe(403);
    const anonymous = await new ModernClient(`${gw.dataUrl}/mcp-servers/st-acl`).request('tools/list');
    expect(anonymous.status).toBe(401);
  });
});

describe('SDK 1.32 client -> 2026-07-28 backend (the gateway plays the session)', () => {
  let c: ConnectedClient;
  const updates: string[] = [];
  beforeAll(async () => {
    c = await connectAt(`${gw.dataUrl}/mcp-servers/st`, 'streamable-http');
    c.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
  });
  afterAll(async () => c?.close());

  it('initializes from server/discover and lists and calls tools', async () => {
    expect(c.client.getServerVersion()).toEqual({ name: 'stateless-upstream', version: '1.0.0' });
    expect(c.client.getInstructions()).toBe('A stateless test server.');
    const { tools } = await c.client.listTools();
    expect(tools.map((t) => t.name)).toContain('ask-name');
    const r = await c.client.callTool({ name: 'echo', arguments: { message: 'old' } });
    expect(r.content).toEqual([{ type: 'text', text: 'Echo: old' }]);
    await c.client.ping();
    const calls = stateless.seen.filter((s) => s.method === 'tools/call' && s.body.params.arguments?.message === 'old');
    expect(calls[0].headers['mcp-protocol-version']).toBe('2026-07-28');
    expect(calls[0].body.params._meta['io.modelcontextprotocol/clientInfo']).toEqual({ name: 'proxy-test', version: '1.0.0' });
  });

  it('turns input_required into an elicitation request and retries with the answer', async () => {
    const before = c.elicitations.length;
    const r = await c.client.callTool({ name: 'ask-name', arguments: {} });
    expect(c.elicitations.slice(before)).toEqual(['What is your name?']);
    expect(r.content).toEqual([{ type: 'text', text: 'Hello, Ada' }]);
    const retry = stateless.seen.filter((s) => s.body.params?.name === 'ask-name').at(-1)!;
    expect(retry.body.params.inputResponses.name.action).toBe('accept');
    expect(typeof retry.body.params.requestState).toBe('string');
  });

  it('sends several input requests at once (elicitation, sampling, roots) and follows several rounds', async () => {
    const sampled = c.samplingPrompts.length;
    const r = await c.client.callTool({ name: 'test_input_required_result_multiple_inputs', arguments: {} });
    expect(r.content).toEqual([{ type: 'text', text: 'Hello, Ada; all inputs received' }]);
    expect(c.samplingPrompts.slice(sampled)).toEqual(['Generate a greeting']);
    const rounds = await c.client.callTool({ name: 'test_input_required_result_multi_round', arguments: {} });
    expect(rounds.content).toEqual([{ type: 'text', text: 'Done: undefined' }]);
    const retries = stateless.seen.filter((x) => x.body.params?.name === 'test_input_required_result_multi_round');
    expect(retries.map((x) => Object.keys(x.body.params.inputResponses ?? {}))).toEqual([[], ['step1'], ['step2']]);
    const roots = await c.client.callTool({ name: 'test_input_required_result_list_roots', arguments: {} });
    expect(roots.content).toEqual([{ type: 'text', text: 'Roots: file:///srv/proxy-root' }]);
  });

  it('maps resources/subscribe and the GET stream to subscriptions/listen', async () => {
    await until(() => stateless.listeners() > 0);
    await c.client.subscribeResource({ uri: 'test://counter' });
    await c.client.callTool({ name: 'touch', arguments: { uri: 'test://counter' } });
    await until(() => updates.includes('test://counter'));
    expect(updates).toContain('test://counter');
    const listen = stateless.seen.filter((s) => s.method === 'subscriptions/listen').at(-1)!;
    expect(listen.body.params.notifications.resourceSubscriptions).toEqual(['test://counter']);
  });

  it('cancels the backend call on notifications/cancelled', async () => {
    const ac = new AbortController();
    const call = c.client.callTool({ name: 'slow', arguments: { ms: 10_000, tag: 'old-client' } }, undefined, { signal: ac.signal });
    await new Promise((r) => setTimeout(r, 200));
    ac.abort();
    await expect(call).rejects.toThrow();
    await until(() => stateless.cancelled.includes('old-client'));
    expect(stateless.cancelled).toContain('old-client');
  });

  it('ends the played session on DELETE', async () => {
    const other = await connectAt(`${gw.dataUrl}/mcp-servers/st`, 'streamable-http');
    const transport = other.client.transport as StreamableHTTPClientTransport;
    const sid = transport.sessionId!;
    expect(sid).toMatch(/^[A-Za-z0-9_-]{20,}$/);
    await transport.terminateSession();
    await other.close();
    const res = await fetch(`${gw.dataUrl}/mcp-servers/st`, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-session-id': sid }, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }) });
    expect(res.status).toBe(404);
  });
});

describe('2026-07-28 client -> initialize-based backend (server-everything, bridged)', () => {
  let c: ModernClient;
  beforeAll(() => {
    c = new ModernClient(`${gw.dataUrl}/mcp-servers/ev`, {}, { elicitation: {} });
  });

  it('answers server/discover from the backend\'s initialize result', async () => {
    const d = await c.request('server/discover');
    expect(d.status).toBe(200);
    // initialize-based clients of this server are forwarded, so the gateway speaks both generations here
    expect(d.response.result.supportedVersions).toEqual(['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);
    expect(d.response.result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    expect(d.response.result._meta['io.modelcontextprotocol/serverInfo'].name).toMatch(/everything/i);
    expect(d.response.result.capabilities.tools).toBeDefined();
  });

  it('lists and calls tools, every result with resultType', async () => {
    const l = await c.request('tools/list');
    expect(l.response.result.resultType).toBe('complete');
    expect(l.response.result.tools.map((t: { name: string }) => t.name)).toContain('trigger-elicitation-request');
    const e = await c.request('tools/call', { name: 'echo', arguments: { message: 'new' } });
    expect(e.response.result).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'Echo: new' }] });
  });

  it('turns the backend\'s elicitation request into input_required and resumes on the retry', async () => {
    const r = await c.requestWithInput('tools/call', { name: 'trigger-elicitation-request', arguments: {} }, () => ({ action: 'accept', content: { name: 'Lin', check: true, email: 'lin@example.com', username: 'lin' } }));
    expect(r.inputRequests.map((i) => i.method)).toEqual(['elicitation/create']);
    expect(r.response.result.resultType).toBe('complete');
    expect(JSON.stringify(r.response.result.content)).toContain('Lin');
  });

  it('refuses a requestState it did not issue', async () => {
    const r = await c.request('tools/call', { name: 'echo', arguments: { message: 'x' }, requestState: 'forged', inputResponses: {} });
    expect(r.status).toBe(400);
    expect(r.response.error.code).toBe(-32602);
  });

  it('serves subscriptions/listen from the GET stream and resources/subscribe', async () => {
    const list = await c.request('resources/list');
    const uri = list.response.result.resources[0].uri as string;
    const got: any[] = [];
    const l = await c.listen({ resourceSubscriptions: [uri] }, (m) => got.push(m));
    expect(l.acknowledged.params.notifications.resourceSubscriptions).toEqual([uri]);
    await c.request('tools/call', { name: 'toggle-subscriber-updates', arguments: {} });
    await until(() => got.some((m) => m.method === 'notifications/resources/updated'));
    await c.request('tools/call', { name: 'toggle-subscriber-updates', arguments: {} });
    l.close();
    const update = got.find((m) => m.method === 'notifications/resources/updated');
    expect(update.params.uri).toBe(uri);
    expect(update.params._meta['io.modelcontextprotocol/subscriptionId']).toBe(l.acknowledged.params._meta['io.modelcontextprotocol/subscriptionId']);
  });

  it('refuses unknown versions and mismatched headers before the backend', async () => {
    const version = await c.request('tools/list', {}, { headers: { 'mcp-protocol-version': '2030-01-01' }, meta: { 'io.modelcontextprotocol/protocolVersion': '2030-01-01' } });
    expect([version.status, version.response.error.code, version.response.error.data.requested]).toEqual([400, -32022, '2030-01-01']);
    expect(version.response.error.data.supported).toContain('2026-07-28');
    const missingMeta = await c.send({ jsonrpc: '2.0', id: 9, method: 'tools/list', params: {} }, c.build('tools/list').headers);
    expect([missingMeta.status, missingMeta.response.error.code, missingMeta.response.id]).toEqual([400, -32602, 9]);
    const removed = await c.request('ping');
    expect([removed.status, removed.response.error.code]).toEqual([404, -32601]);
    const mismatch = await c.request('tools/call', { name: 'echo', arguments: { message: 'x' } }, { headers: { 'mcp-name': 'get-sum' } });
    expect([mismatch.status, mismatch.response.error.code]).toEqual([400, -32020]);
    const unknown = await c.request('nothing/here');
    expect([unknown.status, unknown.response.error.code]).toEqual([404, -32601]);
  });

  it('cancels the backend call when the client closes the stream, and the cached session goes on', async () => {
    const ac = new AbortController();
    const progress: unknown[] = [];
    const t0 = Date.now();
    await c.request('tools/call', { name: 'trigger-long-running-operation', arguments: { duration: 10, steps: 10 } }, { signal: ac.signal, meta: { progressToken: 'lr' }, onMessage: (m) => {
      if (m.method === 'notifications/progress') {
        progress.push(m);
        ac.abort();
      }
    } }).catch(() => undefined);
    expect(progress.length).toBe(1);
    expect(Date.now() - t0).toBeLessThan(5000);
    const e = await c.request('tools/call', { name: 'echo', arguments: { message: 'after' } });
    expect(e.response.result.content[0].text).toBe('Echo: after');
  });
});

describe('SDK 1.32 client -> initialize-based backend (forwarded as before)', () => {
  let c: ConnectedClient;
  const updates: string[] = [];
  beforeAll(async () => {
    c = await connectAt(`${gw.dataUrl}/mcp-servers/ev`, 'streamable-http');
    c.client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => void updates.push(n.params.uri));
  });
  afterAll(async () => c?.close());

  it('lists, calls and round-trips an elicitation', async () => {
    expect((await c.client.listTools()).tools.map((t) => t.name)).toContain('echo');
    const r = await c.client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(JSON.stringify(r.content)).toContain('Ada');
  });

  it('subscribes to a resource and gets its updates', async () => {
    const uri = (await c.client.listResources()).resources[0].uri;
    await c.client.subscribeResource({ uri });
    await c.client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    await until(() => updates.includes(uri));
    await c.client.callTool({ name: 'toggle-subscriber-updates', arguments: {} });
    expect(updates).toContain(uri);
  });

  it('cancels a long call', async () => {
    const ac = new AbortController();
    const call = c.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 10, steps: 10 } }, undefined, { signal: ac.signal });
    setTimeout(() => ac.abort(), 300);
    await expect(call).rejects.toThrow();
    expect((await c.client.callTool({ name: 'echo', arguments: { message: 'still' } })).content).toEqual([{ type: 'text', text: 'Echo: still' }]);
  });
});

describe('protocolBridging: passthrough', () => {
  it('passes stateless requests through and leaves initialize to the backend', async () => {
    const c = new ModernClient(`${gw.dataUrl}/mcp-servers/st-pass`);
    expect((await c.request('tools/call', { name: 'echo', arguments: { message: 'p' } })).response.result.content[0].text).toBe('Echo: p');
    const res = await fetch(`${gw.dataUrl}/mcp-servers/st-pass`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'x', version: '1' } } }),
    });
    // the stateless backend refuses initialize itself (no version header): nothing was played by the gateway
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: number } }).error.code).toBe(-32020);
  });
});

describe('policy and metrics the same for every generation', () => {
  it('rate-limits stateless calls and played-session calls by the same rule, and counts them', async () => {
    const key = { 'x-api-key': 'p26-alice-key-0001' };
    const modern = new ModernClient(`${gw.dataUrl}/mcp-servers/st-lim`, key);
    for (let i = 0; i < 2; i++) expect((await modern.request('tools/call', { name: 'echo', arguments: { message: String(i) } })).status).toBe(200);
    const limited = await modern.request('tools/call', { name: 'echo', arguments: { message: 'x' } });
    expect([limited.status, limited.response.error.data.code]).toEqual([429, 'RATE_LIMITED']);
    // the old client on a session the gateway plays hits the same (already used up) rule
    const old = await connectAt(`${gw.dataUrl}/mcp-servers/st-lim`, 'streamable-http', key);
    try {
      await expect(old.client.callTool({ name: 'echo', arguments: { message: 'y' } })).rejects.toThrow(/Rate limit/);
      expect((await old.client.listTools()).tools.map((t) => t.name)).toContain('ask-name');
    } finally {
      await old.close();
    }
    const metrics = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    expect(metrics).toContain('mcpgw_tool_calls_total{server="st-lim",tool="echo",consumer="alice",outcome="ok"} 2');
    expect(metrics).toMatch(/mcpgw_requests_total\{server="st-lim",method="initialize",transport="streamable-http",outcome="ok"\} 1/);
  });
});
