import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { registerProxy, startEverything, type RunningServer } from './support.js';

/**
 * The MCP Inspector's CLI (v2.12, Node 22 via npx) against server-everything through every
 * endpoint of a direct-proxy server, as a second independent client next to the SDK.
 */
const INSPECTOR = ['-y', '-p', 'node@22', '-p', '@modelcontextprotocol/inspector@2.12.0', '-c'];

function inspector(args: string, cwd: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('npx', [...INSPECTOR, `mcp-inspector --cli ${args}`], { cwd, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (e, stdout, stderr) => {
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr });
    });
  });
}

let unavailable: string | undefined;
let work: string;
let gw: TestGateway;
let streamable: RunningServer;
let sse: RunningServer;

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-inspector-'));
  [streamable, sse, gw] = await Promise.all([startEverything('streamableHttp'), startEverything('sse'), startGateway()]);
  await registerProxy(gw, 'ev-http', streamable.address, 'streamable-http', '/mcp');
  await registerProxy(gw, 'ev-sse', sse.address, 'sse', '/sse');
  const probe = await inspector(`${gw.dataUrl}/mcp-servers/ev-http --transport http --method tools/list`, work);
  if (probe.code !== 0 && !probe.out.trim().startsWith('{')) {
    const reason = `${probe.err}${probe.out}`.split('\n').filter((l) => l && !l.includes('EBADENGINE') && !l.startsWith('npm warn')).slice(-3).join(' | ');
    unavailable = `the MCP Inspector CLI could not be run with npx (exit ${probe.code}): ${reason}`;
  }
}, 240_000);

afterAll(async () => {
  await gw?.stop();
  await Promise.all([streamable?.stop(), sse?.stop()]);
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

describe('MCP Inspector CLI through the direct proxy', () => {
  it.for<[string, string, 'http' | 'sse']>([
    ['Streamable backend, /mcp-servers/{name}', 'ev-http', 'http'],
    ['Streamable backend, /mcp-servers/{name}/mcp', 'ev-http/mcp', 'http'],
    ['Streamable backend, /mcp-servers/{name}/sse (bridged)', 'ev-http/sse', 'sse'],
    ['SSE backend, /mcp-servers/{name} (bridged)', 'ev-sse', 'http'],
    ['SSE backend, /mcp-servers/{name}/sse', 'ev-sse/sse', 'sse'],
  ])('%s: tools, a call, resources and prompts', { timeout: 240_000 }, async ([, endpoint, transport], ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const base = `${gw.dataUrl}/mcp-servers/${endpoint} --transport ${transport}`;
    const message = `inspector-${Math.random().toString(36).slice(2)}`;
    const [tools, call, resources, prompts] = await Promise.all([
      inspector(`${base} --method tools/list`, work),
      inspector(`${base} --method tools/call --tool-name echo --tool-arg message=${message}`, work),
      inspector(`${base} --method resources/list`, work),
      inspector(`${base} --method prompts/list`, work),
    ]);
    for (const r of [tools, call, resources, prompts]) expect(r.code, r.err.slice(-500)).toBe(0);
    expect(JSON.parse(tools.out).tools.map((t: { name: string }) => t.name)).toContain('echo');
    expect(JSON.parse(call.out).content).toEqual([{ type: 'text', text: `Echo: ${message}` }]);
    expect(JSON.parse(resources.out).resources.length).toBeGreaterThan(0);
    expect(JSON.parse(prompts.out).prompts.map((p: { name: string }) => p.name)).toContain('simple-prompt');
  });
});
