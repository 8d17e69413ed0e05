import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectClient } from '../support/mcp-client.js';
import { EVERYTHING, FILESYSTEM, registerStdio } from './support.js';

/**
 * @modelcontextprotocol/server-filesystem (on a temporary folder) and server-everything run over
 * stdio behind the gateway: the SDK client and the MCP Inspector CLI (1.0.3) list and call tools over
 * Streamable HTTP and HTTP+SSE.
 */
let gw: TestGateway;
let root: string;
let work: string;

function textOf(r: unknown): string {
  return ((r as { content: Array<{ text: string }> }).content[0]).text;
}

beforeAll(async () => {
  root = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-fs-root-')));
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-fs-work-'));
  fs.writeFileSync(path.join(root, 'hello.txt'), 'hello from the folder\n');
  gw = await startGateway();
  await registerStdio(gw, 'files', { command: process.execPath, args: [FILESYSTEM, root] });
  await registerStdio(gw, 'files-shared', { command: process.execPath, args: [FILESYSTEM, root], mode: 'shared' });
  await registerStdio(gw, 'everything', { command: process.execPath, args: [EVERYTHING, 'stdio'] });
}, 60_000);

afterAll(async () => {
  await gw?.stop();
  fs.rmSync(root, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
});

describe.each([
  ['files', 'streamable-http'],
  ['files', 'sse'],
  ['files-shared', 'streamable-http'],
  ['files-shared', 'sse'],
] as const)('server-filesystem over stdio: %s, %s client', (server, kind) => {
  it('lists its tools, reads, writes and lists the folder', async () => {
    const c = await connectClient(gw.dataUrl, server, kind);
    try {
      const tools = (await c.listTools()).tools.map((t) => t.name);
      expect(tools).toEqual(expect.arrayContaining(['read_text_file', 'write_file', 'list_directory', 'list_allowed_directories']));
      expect(textOf(await c.callTool({ name: 'list_allowed_directories', arguments: {} }))).toContain(root);
      expect(textOf(await c.callTool({ name: 'read_text_file', arguments: { path: path.join(root, 'hello.txt') } }))).toBe('hello from the folder\n');
      const name = `${server}-${kind}.txt`;
      await c.callTool({ name: 'write_file', arguments: { path: path.join(root, name), content: `written through ${kind}` } });
      expect(fs.readFileSync(path.join(root, name), 'utf8')).toBe(`written through ${kind}`);
      expect(textOf(await c.callTool({ name: 'list_directory', arguments: { path: root } }))).toContain(`[FILE] ${name}`);
      const outside = await c.callTool({ name: 'read_text_file', arguments: { path: '/etc/hostname' } });
      expect(outside.isError).toBe(true);
    } finally {
      await c.close();
    }
  });
});

/** The MCP Inspector CLI 1.0.3 (npx), a second independent client. */
function inspector(args: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    execFile('npx', ['-y', '@modelcontextprotocol/inspector@1.0.3', '--cli', ...args.split(' ')], { cwd: work, timeout: 180_000, maxBuffer: 16 * 1024 * 1024 }, (e, stdout, stderr) => {
      resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out: stdout, err: stderr });
    });
  });
}

describe('MCP Inspector CLI through stdio servers', () => {
  let unavailable: string | undefined;
  beforeAll(async () => {
    const probe = await inspector(`${gw.dataUrl}/mcp-servers/everything --transport http --method tools/list`);
    if (probe.code !== 0 && !probe.out.trim().startsWith('{')) {
      const reason = `${probe.err}${probe.out}`.split('\n').filter((l) => l && !l.startsWith('npm warn')).slice(-3).join(' | ');
      unavailable = `the MCP Inspector CLI could not be run with npx (exit ${probe.code}): ${reason}`;
    }
  }, 240_000);

  it.for<[string, 'http' | 'sse']>([
    ['everything', 'http'],
    ['everything/sse', 'sse'],
    ['files', 'http'],
    ['files-shared/sse', 'sse'],
  ])('%s (%s): tools/list and tools/call', { timeout: 240_000 }, async ([endpoint, transport], ctx) => {
    if (unavailable) return ctx.skip(unavailable);
    const base = `${gw.dataUrl}/mcp-servers/${endpoint} --transport ${transport}`;
    const everything = endpoint.startsWith('everything');
    const [tools, call] = await Promise.all([
      inspector(`${base} --method tools/list`),
      everything
        ? inspector(`${base} --method tools/call --tool-name echo --tool-arg message=inspected`)
        : inspector(`${base} --method tools/call --tool-name read_text_file --tool-arg path=${path.join(root, 'hello.txt')}`),
    ]);
    for (const r of [tools, call]) expect(r.code, r.err.slice(-500)).toBe(0);
    const names = JSON.parse(tools.out).tools.map((t: { name: string }) => t.name);
    expect(names).toContain(everything ? 'echo' : 'read_text_file');
    expect(JSON.parse(call.out).content).toEqual([{ type: 'text', text: everything ? 'Echo: inspected' : 'hello from the folder\n' }]);
  });
});
