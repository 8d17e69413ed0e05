import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectAt, startEverything, type ConnectedClient, type RunningServer } from '../proxy/support.js';
import { Mcp2026Client, Subscription } from '../support/mcp2026-client.js';
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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const names = (tools: unknown) => (tools as Array<{ name: string }>).map((t) => t.name);

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
  let c: Mcp2026Client;
  beforeAll(() => {
    c = new Mcp2026Client(`${gw.dataUrl}/mcp-servers/st`, { capabilities: { elicitation: {} } });
  });

  it('discovers, lists and calls without any session', async () => {
    const d = await c.post('server/discover');
    expect(d.body?.result?.supportedVersions).toEqual(['2026-07-28']);
    expect(d.headers.get('mcp-session-id')).toBeNull();
    expect(names(await c.listTools()).slice(0, 4)).toEqual(['echo', 'ask-name', 'slow', 'touch']);
    const e = await c.callTool('echo', { message: 'héllo' });
    expect(e.content).toEqual([{ type: 'text', text: 'Echo: héllo' }]);
    const seen = stateless.seen.at(-1)!;
    expect(seen.headers['mcp-method']).toBe('tools/call');
    expect(seen.headers['mcp-name']).toBe('echo');
  });

  it('passes an input_required result and the retry through', async () => {
    const asked: string[] = [];
    const r = await c.callTool('ask-name', {}, (reqs) => {
      asked.push(...Object.values(reqs).map((q) => q.method));
      return { name: { action: 'accept', content: { name: 'Grace' } } };
    });
    expect(asked).toEqual(['elicitation/create']);
    expect(r.content).toEqual([{ type: 'text', text: 'Hello, Grace' }]);
  });

  it('keeps a subscriptions/listen stream open and delivers resource updates', async () => {
    const l = await c.listen({ resourceSubscriptions: ['test://counter'] });
    expect(l.acknowledged).toMatchObject({ method: 'notifications/subscriptions/acknowledged', params: { notifications: { resourceSubscriptions: ['test://counter'] } } });
    await c.callTool('touch', { uri: 'test://counter' });
    expect((await l.next('notifications/resources/updated')).params).toMatchObject({ uri: 'test://counter' });
    l.close();
    await until(() => stateless.listeners() === 0);
    expect(stateless.listeners()).toBe(0);
  });

  it('cancels the backend call when the client closes the stream', async () => {
    const call = c.startCall('slow', { ms: 10_000, tag: 'pass' });
    await sleep(300);
    call.cancel();
    await until(() => stateless.cancelled.includes('pass'));
    expect(stateless.cancelled).toContain('pass');
  });

  it('refuses header/body mismatches at the gateway with 400 and -32020', async () => {
    const before = stateless.seen.length;
    const wrongName = await c.post('tools/call', { name: 'echo', arguments: { message: 'x' } }, { headers: { 'Mcp-Name': 'touch' } });
    expect([wrongName.status, wrongName.body?.error?.code]).toEqual([400, -32020]);
    const wrongMethod = await c.post('tools/list', {}, { headers: { 'Mcp-Method': 'tools/call' } });
    expect([wrongMethod.status, wrongMethod.body?.error?.code]).toEqual([400, -32020]);
    // a non-ASCII name travels base64-wrapped and is decoded before the comparison
    const encoded = await c.post('tools/call', { name: 'ünï', arguments: {} });
    expect(stateless.seen.at(-1)!.headers['mcp-name']).toMatch(/^=\?base64\?/);
    expect(encoded.body?.error?.code).toBe(-32602);
    const missing = await c.post('tools/call', { name: 'echo', arguments: {} }, { headers: { 'Mcp-Name': undefined } });
    expect([missing.status, missing.body?.error?.code]).toEqual([400, -32020]);
    // only the correctly encoded request reached the backend
    expect(stateless.seen.length).toBe(before + 1);
  });

  it('passes the backend\'s answers to unsupported versions and unknown methods', async () => {
    const version = await new Mcp2026Client(c.url, { version: '2030-01-01' }).post('tools/list');
    expect([version.status, version.body?.error?.code]).toEqual([400, -32022]);
    const unknown = await c.post('nothing/here');
    expect([unknown.status, unknown.body?.error?.code]).toEqual([404, -32601]);
  });

  it('decides the tool ACL from the verified Mcp-Name header', async () => {
    const alice = new Mcp2026Client(`${gw.dataUrl}/mcp-servers/st-acl`, { headers: { 'x-api-key': 'p26-alice-key-0001' } });
    expect(names(await alice.listTools())).toEqual(['echo']);
    expect((await alice.callTool('echo', { message: 'ok' })).content).toEqual([{ type: 'text', text: 'Echo: ok' }]);
    const denied = await alice.post('tools/call', { name: 'touch', arguments: { uri: 'test://static' } });
    expect(denied.status).toBe(403);
    const anonymous = await new Mcp2026Client(`${gw.dataUrl}/mcp-servers/st-acl`).post('tools/list');
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
  let c: Mcp2026Client;
  beforeAll(() => {
    c = new Mcp2026Client(`${gw.dataUrl}/mcp-servers/ev`, { capabilities: { elicitation: {} } });
  });

  it('answers server/discover from the backend\'s initialize result', async () => {
    const d = await c.post('server/discover');
    expect(d.status).toBe(200);
    const result = d.body!.result!;
    // initialize-based clients of this server are forwarded, so the gateway speaks both generations here
    expect(result.supportedVersions).toEqual(['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05']);
    expect(result).toMatchObject({ resultType: 'complete', ttlMs: 0, cacheScope: 'private' });
    expect((result._meta as Record<string, { name: string }>)['io.modelcontextprotocol/serverInfo'].name).toMatch(/everything/i);
    expect((result.capabilities as Record<string, unknown>).tools).toBeDefined();
  });

  it('lists and calls tools, every result with resultType', async () => {
    const l = await c.request('tools/list');
    expect(l.resultType).toBe('complete');
    expect(names(l.tools)).toContain('trigger-elicitation-request');
    expect(await c.callTool('echo', { message: 'new' })).toMatchObject({ resultType: 'complete', content: [{ type: 'text', text: 'Echo: new' }] });
  });

  it('turns the backend\'s elicitation request into input_required and resumes on the retry', async () => {
    const asked: string[] = [];
    const r = await c.callTool('trigger-elicitation-request', {}, (reqs) => {
      asked.push(...Object.values(reqs).map((q) => q.method));
      return Object.fromEntries(Object.keys(reqs).map((k) => [k, { action: 'accept', content: { name: 'Lin', check: true, email: 'lin@example.com', username: 'lin' } }]));
    });
    expect(asked).toEqual(['elicitation/create']);
    expect(r.resultType).toBe('complete');
    expect(JSON.stringify(r.content)).toContain('Lin');
  });

  it('turns a sampling request into input_required too', async () => {
    const sampling = new Mcp2026Client(c.url, { capabilities: { sampling: {} } });
    const asked: string[] = [];
    const sampled = await sampling.callTool('trigger-sampling-request', { prompt: 'hi' }, (reqs) => {
      asked.push(...Object.values(reqs).map((q) => q.method));
      return Object.fromEntries(Object.keys(reqs).map((k) => [k, { role: 'assistant', content: { type: 'text', text: 'sampled-by-modern' }, model: 'm', stopReason: 'endTurn' }]));
    });
    expect(asked).toEqual(['sampling/createMessage']);
    expect(JSON.stringify(sampled.content)).toContain('sampled-by-modern');
  });

  it('refuses a requestState it did not issue', async () => {
    const r = await c.post('tools/call', { name: 'echo', arguments: { message: 'x' }, requestState: 'forged', inputResponses: {} });
    expect([r.status, r.body?.error?.code]).toEqual([400, -32602]);
  });

  it('serves subscriptions/listen from the GET stream and resources/subscribe', async () => {
    const uri = ((await c.request('resources/list')).resources as Array<{ uri: string }>)[0].uri;
    const l = await c.listen({ resourceSubscriptions: [uri] });
    expect(l.acknowledged).toMatchObject({ params: { notifications: { resourceSubscriptions: [uri] } } });
    await c.callTool('toggle-subscriber-updates');
    const update = await l.next('notifications/resources/updated');
    await c.callTool('toggle-subscriber-updates');
    l.close();
    expect((update.params as { uri: string }).uri).toBe(uri);
    expect(Subscription.subscriptionOf(update)).toBe(l.id);
  });

  it('refuses unknown versions, missing _meta, removed methods and mismatched headers before the backend', async () => {
    const version = await new Mcp2026Client(c.url, { version: '2030-01-01' }).post('tools/list');
    expect([version.status, version.body?.error?.code, (version.body?.error?.data as { requested: string }).requested]).toEqual([400, -32022, '2030-01-01']);
    expect((version.body?.error?.data as { supported: string[] }).supported).toContain('2026-07-28');
    const missingMeta = await c.post('tools/list', {}, { rawParams: true, id: 9 });
    expect([missingMeta.status, missingMeta.body?.error?.code, missingMeta.body?.id]).toEqual([400, -32602, 9]);
    const removed = await c.post('ping');
    expect([removed.status, removed.body?.error?.code]).toEqual([404, -32601]);
    const mismatch = await c.post('tools/call', { name: 'echo', arguments: { message: 'x' } }, { headers: { 'Mcp-Name': 'get-sum' } });
    expect([mismatch.status, mismatch.body?.error?.code]).toEqual([400, -32020]);
    const unknown = await c.post('nothing/here');
    expect([unknown.status, unknown.body?.error?.code]).toEqual([404, -32601]);
  });

  it('cancels the backend call when the client closes the stream, and the cached session goes on', async () => {
    const t0 = Date.now();
    const call = c.startCall('trigger-long-running-operation', { duration: 10, steps: 10 });
    await sleep(500);
    call.cancel();
    await call.answer.catch(() => undefined);
    expect(Date.now() - t0).toBeLessThan(5000);
    expect((await c.callTool('echo', { message: 'after' })).content).toEqual([{ type: 'text', text: 'Echo: after' }]);
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
    const c = new Mcp2026Client(`${gw.dataUrl}/mcp-servers/st-pass`);
    expect((await c.callTool('echo', { message: 'p' })).content).toEqual([{ type: 'text', text: 'Echo: p' }]);
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
    const modern = new Mcp2026Client(`${gw.dataUrl}/mcp-servers/st-lim`, { headers: key });
    for (let i = 0; i < 2; i++) expect((await modern.post('tools/call', { name: 'echo', arguments: { message: String(i) } })).status).toBe(200);
    const limited = await modern.post('tools/call', { name: 'echo', arguments: { message: 'x' } });
    expect([limited.status, (limited.body?.error?.data as { code: string }).code]).toEqual([429, 'RATE_LIMITED']);
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
