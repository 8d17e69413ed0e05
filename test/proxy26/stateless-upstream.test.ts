import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStatelessUpstream, type StatelessUpstream } from './stateless-upstream.js';
import { ModernClient } from './modern-client.js';

/** The 2026-07-28 test upstream on its own: what the proxy tests rely on it to do. */
let up: StatelessUpstream;
beforeAll(async () => {
  up = await startStatelessUpstream();
});
afterAll(async () => up?.close());

describe('stateless 2026-07-28 test upstream', () => {
  it('answers server/discover and tools/list with resultType', async () => {
    const c = new ModernClient(up.url);
    const d = await c.request('server/discover');
    expect(d.response.result.supportedVersions).toEqual(['2026-07-28']);
    const l = await c.request('tools/list');
    expect(l.response.result.resultType).toBe('complete');
    expect(l.response.result.tools.map((t: { name: string }) => t.name)).toContain('ask-name');
  });

  it('asks for input and completes on the retry', async () => {
    const c = new ModernClient(up.url);
    const r = await c.requestWithInput('tools/call', { name: 'ask-name', arguments: {} }, () => ({ action: 'accept', content: { name: 'Ada' } }));
    expect(r.inputRequests.map((i) => i.method)).toEqual(['elicitation/create']);
    expect(r.response.result.content[0].text).toBe('Hello, Ada');
  });

  it('refuses mismatched headers, unknown versions and unknown methods with coded 4xx', async () => {
    const c = new ModernClient(up.url);
    const mismatch = await c.request('tools/call', { name: 'echo', arguments: { message: 'x' } }, { headers: { 'mcp-name': 'other' } });
    expect([mismatch.status, mismatch.response.error.code]).toEqual([400, -32020]);
    const version = await c.request('tools/list', {}, { headers: { 'mcp-protocol-version': '2030-01-01' } });
    expect([version.status, version.response.error.code]).toEqual([400, -32022]);
    const unknown = await c.request('nope/nothing');
    expect([unknown.status, unknown.response.error.code]).toEqual([404, -32601]);
  });

  it('notifies a listener of a resource change and records a closed slow call as cancelled', async () => {
    const c = new ModernClient(up.url);
    const got: any[] = [];
    const l = await c.listen({ resourceSubscriptions: ['test://counter'] }, (m) => got.push(m));
    await c.request('tools/call', { name: 'touch', arguments: { uri: 'test://counter' } });
    for (let i = 0; i < 50 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(got[0].params.uri).toBe('test://counter');
    l.close();
    const ac = new AbortController();
    await c.request('tools/call', { name: 'slow', arguments: { ms: 5000, tag: 'direct' } }, { signal: ac.signal, meta: { progressToken: 1 }, onMessage: () => ac.abort() }).catch(() => undefined);
    for (let i = 0; i < 50 && !up.cancelled.includes('direct'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(up.cancelled).toContain('direct');
  });
});
