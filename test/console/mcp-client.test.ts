// The console's Try-it client (web/src/mcp-client.ts) run in Node against the MCP reference server, whose
// Streamable HTTP answers come as server-sent events: initialize, tools/call and session close.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BrowserMcpClient } from '../../web/src/mcp-client.js';
import { REPO_ROOT } from './support/site.js';

let child: ChildProcess;
let url = '';

beforeAll(async () => {
  const port = await new Promise<number>((ok) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => ok(p));
    });
  });
  const entry = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
  child = spawn(process.execPath, [entry, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('server-everything did not start')), 20_000);
    child.stderr!.on('data', (c: Buffer) => {
      if (c.toString().includes('listening')) {
        clearTimeout(timer);
        ok();
      }
    });
  });
  url = `http://127.0.0.1:${port}/mcp`;
});

afterAll(() => {
  child?.kill();
});

describe('BrowserMcpClient', () => {
  it('opens a session and calls a tool, reading the answer from an event stream', async () => {
    const client = new BrowserMcpClient(url);
    await client.connect();
    const outcome = await client.callTool('echo', { message: 'over SSE' });
    await client.close();
    expect(outcome.error).toBeUndefined();
    expect(outcome.result?.content?.[0]).toEqual({ type: 'text', text: 'Echo: over SSE' });
  });

  it('returns a tool error as a result, not a thrown error', async () => {
    const client = new BrowserMcpClient(url);
    await client.connect();
    const outcome = await client.callTool('no-such-tool', {});
    await client.close();
    const failed = outcome.error !== undefined || outcome.result?.isError === true;
    expect(failed).toBe(true);
  });

  it('names the URL when the endpoint cannot be reached', async () => {
    const client = new BrowserMcpClient('http://127.0.0.1:9/mcp');
    await expect(client.connect()).rejects.toThrow(/127\.0\.0\.1:9\/mcp/);
  });
});
