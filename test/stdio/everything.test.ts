import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectAt, type ConnectedClient } from '../proxy/support.js';
import { EVERYTHING, registerStdio } from './support.js';

/**
 * The SDK client against @modelcontextprotocol/server-everything run by the gateway over stdio, in
 * both modes, on both client transports. The expected lists come from the same server driven
 * directly over stdio by the SDK in the same run.
 */
let gw: TestGateway;
let reference: { tools: string[]; resources: string[]; prompts: string[] };

async function listing(client: Client): Promise<{ tools: string[]; resources: string[]; prompts: string[] }> {
  const tools = (await client.listTools()).tools.map((t) => t.name).sort();
  const resources = (await client.listResources()).resources.map((r) => r.uri).sort();
  const prompts = (await client.listPrompts()).prompts.map((p) => p.name).sort();
  return { tools, resources, prompts };
}

beforeAll(async () => {
  gw = await startGateway();
  await registerStdio(gw, 'ev-own', { command: process.execPath, args: [EVERYTHING, 'stdio'], mode: 'per-session' });
  await registerStdio(gw, 'ev-shared', { command: process.execPath, args: [EVERYTHING, 'stdio'], mode: 'shared' });
  // the same capabilities as connectAt's client: the server's tool list depends on them
  const direct = new Client({ name: 'reference', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } });
  await direct.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
  reference = await listing(direct);
  await direct.close();
}, 60_000);

afterAll(async () => {
  await gw?.stop();
});

const endpoints = [
  { server: 'ev-own', rest: '', kind: 'streamable-http', label: 'per-session, Streamable HTTP' },
  { server: 'ev-own', rest: '/sse', kind: 'sse', label: 'per-session, HTTP+SSE' },
  { server: 'ev-shared', rest: '', kind: 'streamable-http', label: 'shared, Streamable HTTP' },
  { server: 'ev-shared', rest: '/sse', kind: 'sse', label: 'shared, HTTP+SSE' },
] as const;

describe.each(endpoints)('server-everything over stdio, $label', ({ server, rest, kind }) => {
  let c: ConnectedClient;
  beforeAll(async () => {
    c = await connectAt(`${gw.dataUrl}/mcp-servers/${server}${rest}`, kind);
  }, 30_000);
  afterAll(async () => c?.close());

  it('lists the same tools, resources and prompts as the server does directly', async () => {
    const seen = await listing(c.client);
    expect(seen.tools).toEqual(reference.tools);
    expect(seen.tools).toContain('trigger-sampling-request');
    expect(seen.resources).toEqual(reference.resources);
    expect(seen.prompts).toEqual(reference.prompts);
  });

  it('calls a tool and gets its result unchanged', async () => {
    const message = `hello ${Math.random()}`;
    const r = await c.client.callTool({ name: 'echo', arguments: { message } });
    expect(r.content).toEqual([{ type: 'text', text: `Echo: ${message}` }]);
  });

  it('delivers progress notifications of a long-running call', async () => {
    const progress: number[] = [];
    const r = await c.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.3, steps: 3 } }, undefined, { onprogress: (p) => progress.push(p.progress) });
    expect(JSON.stringify(r.content)).toContain('Steps: 3');
    expect(progress.length).toBeGreaterThanOrEqual(2);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
  });

  it('round-trips a sampling request to the client', async () => {
    const prompt = `sample-${Math.random()}`;
    const r = await c.client.callTool({ name: 'trigger-sampling-request', arguments: { prompt } });
    expect(c.samplingPrompts.some((p) => p.includes(prompt))).toBe(true);
    expect(JSON.stringify(r.content)).toContain('sampled:');
  });

  it('round-trips an elicitation request to the client', async () => {
    const before = c.elicitations.length;
    const r = await c.client.callTool({ name: 'trigger-elicitation-request', arguments: {} });
    expect(c.elicitations.length).toBe(before + 1);
    expect(JSON.stringify(r.content)).toContain('Ada');
  });

  it('reads a resource and gets a prompt', async () => {
    const uri = reference.resources[0];
    const read = await c.client.readResource({ uri });
    expect(read.contents[0].uri).toBe(uri);
    const prompt = await c.client.getPrompt({ name: 'simple-prompt' });
    expect(prompt.messages.length).toBeGreaterThan(0);
  });

  it('answers a roots/list request from the server', async () => {
    const r = await c.client.callTool({ name: 'get-roots-list', arguments: {} });
    expect(JSON.stringify(r.content)).toContain('file:///srv/proxy-root');
  });

  it('delivers logging notifications the server sends on its own', async () => {
    const before = c.logs.length;
    await c.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    for (let i = 0; i < 50 && c.logs.length === before; i++) await new Promise((r) => setTimeout(r, 100));
    await c.client.callTool({ name: 'toggle-simulated-logging', arguments: {} });
    expect(c.logs.length).toBeGreaterThan(before);
  });

  it('handles concurrent calls on one session', async () => {
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => c.client.callTool({ name: 'get-sum', arguments: { a: i, b: 100 } })));
    results.forEach((r, i) => expect(JSON.stringify(r.content)).toContain(String(i + 100)));
  });

  it('cancels a call: the client stops waiting and the session keeps working', async () => {
    const controller = new AbortController();
    const pending = c.client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 5, steps: 5 } }, undefined, { signal: controller.signal });
    setTimeout(() => controller.abort('enough'), 200);
    await expect(pending).rejects.toThrow();
    const r = await c.client.callTool({ name: 'echo', arguments: { message: 'after' } });
    expect(r.content).toEqual([{ type: 'text', text: 'Echo: after' }]);
  });
});

describe('shared mode', () => {
  it('serves several sessions from one process, each with its own ids, and initializes it once', async () => {
    const clients = await Promise.all(Array.from({ length: 4 }, (_, i) => connectAt(`${gw.dataUrl}/mcp-servers/ev-shared${i % 2 ? '/sse' : ''}`, i % 2 ? 'sse' : 'streamable-http')));
    try {
      // every SDK client starts its ids at 0: the process sees them remapped, the answers come back right
      const sums = await Promise.all(clients.flatMap((c, i) => [1, 2, 3].map((j) => c.client.callTool({ name: 'get-sum', arguments: { a: i * 10, b: j } }))));
      sums.forEach((r, k) => expect(JSON.stringify(r.content)).toContain(String(Math.floor(k / 3) * 10 + (k % 3) + 1)));
      const versions = new Set(clients.map((c) => JSON.stringify(c.client.getServerVersion())));
      expect(versions.size).toBe(1);
      // progress tokens chosen alike by two sessions still reach their own caller
      const progress: number[][] = [[], []];
      await Promise.all([0, 1].map((i) => clients[i].client.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 0.2, steps: 2 } }, undefined, { onprogress: (p) => progress[i].push(p.progress) })));
      expect(progress[0].length).toBeGreaterThanOrEqual(1);
      expect(progress[1].length).toBeGreaterThanOrEqual(1);
      expect(progress[0].every((p) => p <= 2) && progress[1].every((p) => p <= 2)).toBe(true);
    } finally {
      await Promise.all(clients.map((c) => c.close()));
    }
    const svc = gw.gateway.snapshot().services.get('ev-shared')!;
    expect(gw.gateway.stdio.countOf(svc.spec.name)).toBe(1);
  }, 60_000);
});
