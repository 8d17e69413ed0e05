import { randomBytes } from 'node:crypto';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CreateMessageRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEverything, type RunningServer } from '../proxy/support.js';
import {
  dropRedisPrefix,
  freshDatabase,
  INIT,
  REDIS_URL,
  rotatingFetch,
  rpc,
  startCountingBackend,
  startReplica,
  tag,
  waitFor,
  WORK_TOOLS,
  type CountingBackend,
  type Replica,
} from './support.js';

// Three gateway processes sharing one PostgreSQL database (made for this run) and the machine's
// Redis under a key prefix of this run.
describe('three replicas sharing PostgreSQL and Redis', () => {
  let db: Awaited<ReturnType<typeof freshDatabase>>;
  let replicas: Replica[] = [];
  let backend: CountingBackend;
  let everything: RunningServer;
  let legacyEverything: RunningServer;
  /** A client that answers sampling requests (its answers are POSTed like any message, so they rotate too). */
  const samplingClient = (name: string) => {
    const client = new Client({ name, version: '1' }, { capabilities: { sampling: {} } });
    client.setRequestHandler(CreateMessageRequestSchema, async (req) => ({ role: 'assistant', content: { type: 'text', text: `sampled:${(req.params.messages[0]?.content as { text?: string }).text}` }, model: 'm', stopReason: 'endTurn' }));
    return client;
  };
  const prefix = `mcpgw-test:${tag()}:`;
  const alive = () => replicas.filter((r) => r.child.exitCode === null && r.child.signalCode === null).map((r) => r.dataUrl);

  beforeAll(async () => {
    [db, backend, everything, legacyEverything] = await Promise.all([freshDatabase(), startCountingBackend(), startEverything('streamableHttp'), startEverything('sse')]);
    const env = {
      MCPGW_DATABASE_URL: db.url,
      MCPGW_REDIS_URL: REDIS_URL,
      MCPGW_REDIS_PREFIX: prefix,
      MCPGW_SECRET_KEY: randomBytes(32).toString('base64'),
    };
    // Started together: migrations take an advisory lock, so concurrent starts are safe.
    replicas = await Promise.all([startReplica(env), startReplica(env), startReplica(env)]);
    const [r1] = replicas;
    expect((await r1.admin('PUT', '/api/v1/services/work-backend', { name: 'work-backend', protocol: 'http', endpoints: [backend.address] })).status).toBeLessThan(300);
    expect((await r1.admin('PUT', '/api/v1/mcp-servers/work', { name: 'work', type: 'http-to-mcp', description: 'work', service: 'work-backend', tools: WORK_TOOLS })).status).toBeLessThan(300);
    expect((await r1.admin('PUT', '/api/v1/services/everything', { name: 'everything', protocol: 'mcp', endpoints: [everything.address] })).status).toBeLessThan(300);
    expect((await r1.admin('PUT', '/api/v1/mcp-servers/everything', { name: 'everything', type: 'direct-proxy', description: 'e', service: 'everything', transport: 'streamable-http', path: '/mcp' })).status).toBeLessThan(300);
    expect((await r1.admin('PUT', '/api/v1/services/legacy', { name: 'legacy', protocol: 'mcp', endpoints: [legacyEverything.address] })).status).toBeLessThan(300);
    expect((await r1.admin('PUT', '/api/v1/mcp-servers/legacy', { name: 'legacy', type: 'direct-proxy', description: 'l', service: 'legacy', transport: 'sse', path: '/sse' })).status).toBeLessThan(300);
    for (const r of replicas) {
      await waitFor(async () => (await rpc(`${r.dataUrl}/mcp-servers/everything`, INIT)).status === 200 && (await rpc(`${r.dataUrl}/mcp-servers/work`, INIT)).status === 200, 10_000);
    }
  }, 120_000);

  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([backend?.close(), everything?.stop(), legacyEverything?.stop()]);
    await db?.drop();
    await dropRedisPrefix(prefix);
  }, 30_000);

  it('lists every replica as an instance', async () => {
    const res = await replicas[0].admin('GET', '/api/v1/instances');
    expect(res.status).toBe(200);
    expect((res.body.items ?? res.body).length).toBeGreaterThanOrEqual(3);
  });

  it('a change on replica 1 is served by replicas 2 and 3 within 1 s', async () => {
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const name = `probe-${i}`;
      const started = Date.now();
      const put = await replicas[0].admin('PUT', `/api/v1/mcp-servers/${name}`, { name, type: 'http-to-mcp', description: 'p', tools: `server:\n  name: ${name}\ntools:\n  - name: t\n    description: t\n    responseTemplate: { body: ok }\n` });
      expect(put.status).toBeLessThan(300);
      await Promise.all(replicas.slice(1).map((r) => waitFor(async () => (await rpc(`${r.dataUrl}/mcp-servers/${name}`, INIT)).status === 200, 5_000, 10)));
      times.push(Date.now() - started);
    }
    expect(Math.max(...times), `propagation times ${times.join(', ')} ms`).toBeLessThan(1000);
  });

  it('a Streamable HTTP session of an HTTP-to-MCP server follows a client across replicas; DELETE ends it everywhere', async () => {
    const hits: string[] = [];
    const transport = new StreamableHTTPClientTransport(new URL(`${replicas[0].dataUrl}/mcp-servers/work`), { fetch: rotatingFetch(alive, hits) });
    const client = new Client({ name: 'rotating', version: '1' });
    await client.connect(transport);
    const sid = transport.sessionId!;
    for (let i = 0; i < 6; i++) {
      const result = await client.callTool({ name: 'work', arguments: { key: `hosted-${i}` } });
      expect(result.isError).toBeFalsy();
      expect(transport.sessionId).toBe(sid);
    }
    expect(new Set(hits.map((h) => h.split(' ')[1])).size).toBe(3);
    for (let i = 0; i < 6; i++) expect(backend.executions.get(`hosted-${i}`)).toBe(1);
    await transport.terminateSession();
    for (const r of replicas) {
      const after = await rpc(`${r.dataUrl}/mcp-servers/work`, { jsonrpc: '2.0', id: 9, method: 'tools/list' }, { 'mcp-session-id': sid });
      expect(after.status).toBe(404);
      expect(after.body.error.data.code).toBe('SESSION_NOT_FOUND');
    }
    await client.close();
  });

  it('a direct-proxy Streamable HTTP session (server-everything) follows a client across replicas, sampling answers included', async () => {
    const hits: string[] = [];
    const transport = new StreamableHTTPClientTransport(new URL(`${replicas[0].dataUrl}/mcp-servers/everything`), { fetch: rotatingFetch(alive, hits) });
    const client = samplingClient('rotating');
    await client.connect(transport);
    const sid = transport.sessionId!;
    const { tools } = await client.listTools();
    expect(tools.map((t) => t.name)).toContain('echo');
    for (let i = 0; i < 5; i++) {
      const result = await client.callTool({ name: 'echo', arguments: { message: `m${i}` } });
      expect((result.content as Array<{ text: string }>)[0].text).toContain(`m${i}`);
    }
    const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'across-replicas' } });
    expect(JSON.stringify(sampled.content)).toMatch(/sampled:[^"]*across-replicas/);
    expect(transport.sessionId).toBe(sid);
    expect(new Set(hits.map((h) => h.split(' ')[1])).size).toBe(3);
    await transport.terminateSession();
    for (const r of replicas) {
      const after = await rpc(`${r.dataUrl}/mcp-servers/everything`, { jsonrpc: '2.0', id: 9, method: 'tools/list' }, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' });
      expect(after.status).toBe(404);
    }
    await client.close();
  });

  it('a Streamable HTTP session bridged to a legacy SSE backend (its stream on one replica) follows a client across replicas', async () => {
    const hits: string[] = [];
    const transport = new StreamableHTTPClientTransport(new URL(`${replicas[0].dataUrl}/mcp-servers/legacy`), { fetch: rotatingFetch(alive, hits) });
    const client = samplingClient('rotating-bridge');
    await client.connect(transport);
    const sid = transport.sessionId!;
    for (let i = 0; i < 4; i++) {
      const result = await client.callTool({ name: 'echo', arguments: { message: `b${i}` } });
      expect((result.content as Array<{ text: string }>)[0].text).toContain(`b${i}`);
    }
    const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'bridge-across' } });
    expect(JSON.stringify(sampled.content)).toMatch(/sampled:[^"]*bridge-across/);
    expect(new Set(hits.filter((h) => h.startsWith('POST')).map((h) => h.split(' ')[1])).size).toBe(3);
    await transport.terminateSession();
    for (const r of replicas) expect((await rpc(`${r.dataUrl}/mcp-servers/legacy`, { jsonrpc: '2.0', id: 9, method: 'tools/list' }, { 'mcp-session-id': sid })).status).toBe(404);
    await client.close();
  });

  for (const server of ['work', 'everything']) {
    it(`a legacy SSE session (${server === 'work' ? 'HTTP-to-MCP' : 'bridged to a Streamable backend'}) keeps working while its POSTs land on other replicas`, async () => {
      const hits: string[] = [];
      const transport = new SSEClientTransport(new URL(`${replicas[1].dataUrl}/mcp-servers/${server}/sse`), { fetch: rotatingFetch(alive, hits) });
      const client = samplingClient('rotating-sse');
      await client.connect(transport);
      for (let i = 0; i < 4; i++) {
        const result = server === 'work' ? await client.callTool({ name: 'work', arguments: { key: `sse-${i}` } }) : await client.callTool({ name: 'echo', arguments: { message: `s${i}` } });
        expect(result.isError).toBeFalsy();
      }
      const posts = hits.filter((h) => h.startsWith('POST')).map((h) => h.split(' ')[1]);
      expect(new Set(posts).size).toBe(3);
      if (server === 'work') for (let i = 0; i < 4; i++) expect(backend.executions.get(`sse-${i}`)).toBe(1);
      else {
        // The sampling answer is a POST too: relayed to the stream's replica and on to the backend.
        const sampled = await client.callTool({ name: 'trigger-sampling-request', arguments: { prompt: 'legacy-across' } });
        expect(JSON.stringify(sampled.content)).toMatch(/sampled:[^"]*legacy-across/);
      }
      await client.close();
    });
  }

  it('a tampered, foreign or garbage session id gets 404 SESSION_NOT_FOUND on every replica', async () => {
    const init = await rpc(`${replicas[0].dataUrl}/mcp-servers/work`, INIT);
    const sid = init.sid!;
    const mid = Math.floor(sid.length / 2);
    const tampered = sid.slice(0, mid) + (sid[mid] === 'A' ? 'B' : 'A') + sid.slice(mid + 1);
    for (const bad of [tampered, `c1.${randomBytes(120).toString('base64url')}`, 'not-a-session']) {
      for (const r of replicas) {
        const res = await rpc(`${r.dataUrl}/mcp-servers/work`, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': bad });
        expect(res.status).toBe(404);
        expect(res.body.error.data.code).toBe('SESSION_NOT_FOUND');
        const legacy = await fetch(`${r.dataUrl}/mcp-servers/work/message?sessionId=${encodeURIComponent(bad)}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
        expect(legacy.status).toBe(404);
      }
    }
    // The genuine id is served by another replica.
    expect((await rpc(`${replicas[2].dataUrl}/mcp-servers/work`, { jsonrpc: '2.0', id: 2, method: 'tools/list' }, { 'mcp-session-id': sid })).status).toBe(200);
  });

  it('under steady load, kill -9 of one replica loses no session, runs no call twice, loses no committed change', async () => {
    const victim = replicas[2];
    // A legacy SSE stream held by the victim: after the kill its POSTs get a clear coded answer.
    const sse = await fetch(`${victim.dataUrl}/mcp-servers/work/sse`, { headers: { accept: 'text/event-stream' } });
    const reader = sse.body!.getReader();
    let endpoint = '';
    while (!endpoint.includes('\n\n')) endpoint += new TextDecoder().decode((await reader.read()).value);
    const messagePath = /data: (\S+)/.exec(endpoint)![1];

    const urls = replicas.map((r) => r.dataUrl);
    const workers = 4;
    const stopAt = { value: Number.POSITIVE_INFINITY };
    const attempts = new Map<string, number>();
    const sessionsLost: string[] = [];
    let successes = 0;
    let retried = 0;
    const runWorker = async (w: number) => {
      const init = await rpc(`${urls[w % 3]}/mcp-servers/work`, INIT);
      const sid = init.sid!;
      let turn = w;
      for (let n = 0; Date.now() < stopAt.value; n++) {
        const key = `load-${w}-${n}`;
        for (let attempt = 1; ; attempt++) {
          attempts.set(key, attempt);
          const base = urls[turn++ % urls.length];
          try {
            const res = await rpc(`${base}/mcp-servers/work`, { jsonrpc: '2.0', id: n + 2, method: 'tools/call', params: { name: 'work', arguments: { key } } }, { 'mcp-session-id': sid, 'mcp-protocol-version': '2025-06-18' });
            if (res.status === 404) sessionsLost.push(`${key} on ${base}`);
            if (res.status === 200 && !res.body.error) {
              successes++;
              break;
            }
          } catch {
            // connection refused or reset: the replica is gone; retry on the next one
          }
          retried++;
          if (attempt >= 6) throw new Error(`call ${key} failed ${attempt} times`);
        }
      }
    };
    const committed: string[] = [];
    const runWriter = async () => {
      for (let n = 0; Date.now() < stopAt.value; n++) {
        const r = replicas[n % 3];
        const name = `writer-${n}`;
        try {
          const res = await r.admin('PUT', `/api/v1/consumers/${name}`, { credentials: [{ type: 'key-auth', key: `writer-key-${n}-000000` }] });
          if (res.status < 300) committed.push(name);
        } catch {
          // the killed replica: the write was not acknowledged
        }
      }
    };
    const load = Promise.all([...Array.from({ length: workers }, (_, w) => runWorker(w)), runWriter()]);
    await new Promise((r) => setTimeout(r, 1500));
    await victim.kill();
    await new Promise((r) => setTimeout(r, 2500));
    stopAt.value = Date.now();
    await load;

    expect(sessionsLost).toEqual([]);
    expect(successes).toBeGreaterThan(20);
    for (const [key, tries] of attempts) {
      const ran = backend.executions.get(key) ?? 0;
      // A call answered on its first try ran exactly once; a retried one at most once per try.
      if (tries === 1) expect(ran, key).toBe(1);
      else expect(ran, key).toBeLessThanOrEqual(tries);
    }
    const listed = await replicas[0].admin('GET', '/api/v1/consumers?limit=1000');
    const names = new Set(((listed.body.items ?? listed.body) as Array<{ name: string }>).map((c) => c.name));
    for (const name of committed) expect(names.has(name), name).toBe(true);
    expect(committed.length).toBeGreaterThan(3);

    const relayed = await fetch(`${replicas[0].dataUrl}${messagePath}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"jsonrpc":"2.0","id":1,"method":"ping"}' });
    expect(relayed.status).toBe(404);
    expect(((await relayed.json()) as any).error.data.code).toBe('SESSION_OWNER_GONE');
    console.log(`kill -9 under load: ${successes} calls, ${retried} retries, ${committed.length} committed writes`);
  }, 60_000);
});
