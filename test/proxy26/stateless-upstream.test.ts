import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Mcp2026Client } from '../support/mcp2026-client.js';
import { startStatelessUpstream, type StatelessUpstream } from './stateless-upstream.js';

/** The 2026-07-28 test upstream on its own: what the proxy tests rely on it to do. */
let up: StatelessUpstream;
beforeAll(async () => {
  up = await startStatelessUpstream();
});
afterAll(async () => up?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('stateless 2026-07-28 test upstream', () => {
  it('answers server/discover and tools/list with resultType', async () => {
    const c = new Mcp2026Client(up.url);
    expect((await c.discover()).supportedVersions).toEqual(['2026-07-28']);
    const l = await c.request('tools/list');
    expect(l.resultType).toBe('complete');
    expect((l.tools as Array<{ name: string }>).map((t) => t.name)).toContain('ask-name');
  });

  it('asks for input and completes on the retry', async () => {
    const c = new Mcp2026Client(up.url, { capabilities: { elicitation: {} } });
    const asked: string[] = [];
    const r = await c.callTool('ask-name', {}, (reqs) => {
      asked.push(...Object.values(reqs).map((q) => q.method));
      return { name: { action: 'accept', content: { name: 'Ada' } } };
    });
    expect(asked).toEqual(['elicitation/create']);
    expect(r.content).toEqual([{ type: 'text', text: 'Hello, Ada' }]);
  });

  it('refuses mismatched headers, unknown versions and unknown methods with coded 4xx', async () => {
    const c = new Mcp2026Client(up.url);
    const mismatch = await c.post('tools/call', { name: 'echo', arguments: { message: 'x' } }, { headers: { 'Mcp-Name': 'other' } });
    expect([mismatch.status, mismatch.body?.error?.code]).toEqual([400, -32020]);
    const version = await new Mcp2026Client(up.url, { version: '2030-01-01' }).post('tools/list');
    expect([version.status, version.body?.error?.code]).toEqual([400, -32022]);
    const unknown = await c.post('nope/nothing');
    expect([unknown.status, unknown.body?.error?.code]).toEqual([404, -32601]);
  });

  it('notifies a listener of a resource change and records a closed slow call as cancelled', async () => {
    const c = new Mcp2026Client(up.url);
    const sub = await c.listen({ resourceSubscriptions: ['test://counter'] });
    await c.callTool('touch', { uri: 'test://counter' });
    expect((await sub.next('notifications/resources/updated')).params).toMatchObject({ uri: 'test://counter' });
    sub.close();
    const ac = new AbortController();
    const call = c.post('tools/call', { name: 'slow', arguments: { ms: 5000, tag: 'direct' } }, { signal: ac.signal }).catch(() => undefined);
    await sleep(200);
    ac.abort();
    await call;
    for (let i = 0; i < 50 && !up.cancelled.includes('direct'); i++) await sleep(20);
    expect(up.cancelled).toContain('direct');
  });
});
