import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectClient } from '../support/mcp-client.js';
import { ECHO, EVERYTHING, childProcesses, registerStdio, waitFor } from './support.js';

/** Text of the first content item of a tool result. */
function textOf(r: unknown): string {
  return ((r as { content: Array<{ text: string }> }).content[0]).text;
}

/** A raw Streamable HTTP initialize: status and parsed JSON-RPC answer (JSON or the first SSE event). */
async function initialize(url: string): Promise<{ status: number; body: any; session: string | null }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } }),
  });
  const text = await res.text();
  const data = text.startsWith('{') ? text : (text.split('\n').find((l) => l.startsWith('data: ')) ?? 'data: null').slice(6);
  return { status: res.status, body: JSON.parse(data), session: res.headers.get('mcp-session-id') };
}

describe('stdio process lifecycle', () => {
  let gw: TestGateway;
  let tmp: string;
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-stdio-'));
    process.env.MCPGW_STDIO_TEST_LEAK = 'gateway-only';
    gw = await startGateway({ stdioMaxLineBytes: 65_536, stdioKillGraceMs: 500 });
    await registerStdio(gw, 'echo', { command: process.execPath, args: [ECHO], env: { ECHO_SECRET: 'top-secret-value' }, cwd: tmp });
    await registerStdio(gw, 'echo-shared', { command: process.execPath, args: [ECHO], mode: 'shared' });
    await registerStdio(gw, 'everything', { command: process.execPath, args: [EVERYTHING, 'stdio'] });
  }, 60_000);
  afterAll(async () => {
    delete process.env.MCPGW_STDIO_TEST_LEAK;
    await gw?.stop();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs the command with its env and cwd only, and masks env values in the API', async () => {
    const c = await connectClient(gw.dataUrl, 'echo', 'streamable-http');
    try {
      expect(textOf(await c.callTool({ name: 'env', arguments: { name: 'ECHO_SECRET' } }))).toBe('top-secret-value');
      expect(textOf(await c.callTool({ name: 'env', arguments: { name: 'MCPGW_STDIO_TEST_LEAK' } }))).toBe('(unset)');
      expect(textOf(await c.callTool({ name: 'cwd', arguments: {} }))).toBe(fs.realpathSync(tmp));
    } finally {
      await c.close();
    }
    const svc = await gw.admin('GET', '/api/v1/services/echo');
    expect(svc.body.env).toEqual({ ECHO_SECRET: '****' });
    // observed like any direct-proxy server
    const metrics = await gw.admin('GET', '/metrics');
    expect(String(metrics.body)).toMatch(/mcpgw_tool_calls_total\{server="echo",tool="env"[^}]*outcome="ok"\} 2/);
  });

  it('killing the child mid-call gives the client a coded error, and the next session works', async () => {
    const c = await connectClient(gw.dataUrl, 'everything', 'streamable-http');
    await c.listTools();
    const [pid] = childProcesses(EVERYTHING);
    expect(pid).toBeGreaterThan(0);
    const call = c.callTool({ name: 'trigger-long-running-operation', arguments: { duration: 10, steps: 10 } });
    await new Promise((r) => setTimeout(r, 300));
    process.kill(pid, 'SIGKILL');
    await expect(call).rejects.toThrow(/process of stdio service "everything" was stopped by SIGKILL/);
    await c.close().catch(() => undefined);
    const next = await connectClient(gw.dataUrl, 'everything', 'sse');
    expect(textOf(await next.callTool({ name: 'echo', arguments: { message: 'again' } }))).toBe('Echo: again');
    await next.close();
  }, 30_000);

  it('a crashed shared process fails the calls in flight and restarts; the sessions go on', async () => {
    const a = await connectClient(gw.dataUrl, 'echo-shared', 'streamable-http');
    const b = await connectClient(gw.dataUrl, 'echo-shared', 'sse');
    try {
      const pid = textOf(await a.callTool({ name: 'pid', arguments: {} }));
      expect(textOf(await b.callTool({ name: 'pid', arguments: {} }))).toBe(pid);
      // the outcome is taken at once: the rejection must not wait for a handler
      const slow = b.callTool({ name: 'slow', arguments: { ms: 10_000 } }).then(() => undefined, (e: Error) => e);
      await new Promise((r) => setTimeout(r, 100));
      await expect(a.callTool({ name: 'crash', arguments: {} })).rejects.toThrow(/exited with code 3/);
      expect((await slow)?.message).toMatch(/exited with code 3/);
      const after = await waitFor(() => a.callTool({ name: 'pid', arguments: {} }).then(textOf, () => ''), (p) => p !== '');
      expect(after).not.toBe(pid);
      expect(textOf(await b.callTool({ name: 'echo', arguments: { message: 'still here' } }))).toBe('still here');
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  }, 30_000);

  it('a line that is not JSON ends the session with UPSTREAM_BAD_STREAM', async () => {
    const c = await connectClient(gw.dataUrl, 'echo', 'streamable-http');
    await expect(c.callTool({ name: 'garbage', arguments: {} })).rejects.toThrow(/wrote a line that is not JSON: this is not JSON/);
    await c.close().catch(() => undefined);
    const raw = await initialize(`${gw.dataUrl}/mcp-servers/echo`);
    expect(raw.status).toBe(200);
  });

  it('a line over the size limit ends the session with UPSTREAM_BAD_STREAM', async () => {
    const c = await connectClient(gw.dataUrl, 'echo', 'sse');
    expect(textOf(await c.callTool({ name: 'huge', arguments: { bytes: 1000 } })).length).toBe(1000);
    const failed = await c.callTool({ name: 'huge', arguments: { bytes: 100_000 } }).then(
      () => undefined,
      (e: Error & { data?: { code?: string } }) => e,
    );
    expect(failed?.message).toMatch(/wrote a line longer than 65536 bytes/);
    expect(failed?.data?.code).toBe('UPSTREAM_BAD_STREAM');
    await c.close().catch(() => undefined);
  });

  it('a command that cannot start is a coded 502 at initialize', async () => {
    await registerStdio(gw, 'missing', { command: '/nonexistent/mcp-server' });
    const r = await initialize(`${gw.dataUrl}/mcp-servers/missing`);
    expect(r.status).toBe(502);
    expect(r.body.error.data.code).toBe('UPSTREAM_UNAVAILABLE');
    expect(r.body.error.message).toMatch(/cannot start the command of stdio service "missing": ENOENT/);
    await registerStdio(gw, 'no-cwd', { command: process.execPath, args: [ECHO], cwd: path.join(tmp, 'absent') });
    const r2 = await initialize(`${gw.dataUrl}/mcp-servers/no-cwd`);
    expect(r2.status).toBe(502);
    expect(r2.body.error.message).toMatch(/working directory of stdio service "no-cwd" does not exist/);
  });

  it('changing or deleting the service stops its processes and ends their sessions', async () => {
    await registerStdio(gw, 'changing', { command: process.execPath, args: [ECHO, 'v1'] });
    const c = await connectClient(gw.dataUrl, 'changing', 'streamable-http');
    const pid = Number(textOf(await c.callTool({ name: 'pid', arguments: {} })));
    const slow = c.callTool({ name: 'slow', arguments: { ms: 10_000 } }).then(() => undefined, (e: Error & { data?: { code?: string } }) => e);
    await new Promise((r) => setTimeout(r, 100));
    await registerStdio(gw, 'changing', { command: process.execPath, args: [ECHO, 'v2'] });
    const failed = await slow;
    expect(failed?.message).toMatch(/stdio service "changing" was changed or removed/);
    expect(failed?.data?.code).toBe('UPSTREAM_GONE');
    expect(await waitFor(() => childProcesses(ECHO).includes(pid), (alive) => !alive)).toBe(false);
    await c.close().catch(() => undefined);
    const d = await connectClient(gw.dataUrl, 'changing', 'sse');
    const pid2 = Number(textOf(await d.callTool({ name: 'pid', arguments: {} })));
    expect((await gw.admin('DELETE', '/api/v1/mcp-servers/changing')).status).toBeLessThan(300);
    expect((await gw.admin('DELETE', '/api/v1/services/changing')).status).toBeLessThan(300);
    await gw.settled();
    expect(await waitFor(() => childProcesses(ECHO).includes(pid2), (alive) => !alive)).toBe(false);
    await d.close().catch(() => undefined);
  }, 30_000);

  it('200 sessions opened and closed leave no process behind', async () => {
    const before = childProcesses(ECHO).length;
    let opened = 0;
    const worker = async (w: number) => {
      for (let i = w; i < 200; i += 8) {
        const c = await connectClient(gw.dataUrl, 'echo', i % 2 ? 'sse' : 'streamable-http').catch((e: Error) => {
          throw new Error(`session ${i}: ${e.message}; ${gw.gateway.stdio.countOf('echo')} echo processes`);
        });
        expect(textOf(await c.callTool({ name: 'echo', arguments: { message: `s${i}` } }))).toBe(`s${i}`);
        // a Streamable HTTP session ends with DELETE; an HTTP+SSE one when its stream closes
        if (c.transport instanceof StreamableHTTPClientTransport) await c.transport.terminateSession();
        await c.close();
        opened++;
      }
    };
    await Promise.all(Array.from({ length: 8 }, (_, w) => worker(w)));
    expect(opened).toBe(200);
    const left = await waitFor(() => childProcesses(ECHO).length, (n) => n <= before);
    expect(left).toBe(before);
  }, 120_000);
});

describe('stdio caps, idle reaping and shutdown', () => {
  it('refuses a process over the per-service or total cap with 503 STDIO_PROCESS_LIMIT', async () => {
    const gw = await startGateway({ stdioMaxProcessesPerService: 2, stdioMaxProcesses: 3, adminTokens: 'viewer=read-only:viewer-token-0123456789' });
    try {
      // a read-only admin token cannot define a command
      const refused = await gw.admin('PUT', '/api/v1/services/sneaky', { name: 'sneaky', protocol: 'stdio', command: 'sh' }, { authorization: 'Bearer viewer-token-0123456789' });
      expect(refused.status).toBe(403);
      await registerStdio(gw, 'capped', { command: process.execPath, args: [ECHO] });
      await registerStdio(gw, 'other', { command: process.execPath, args: [ECHO] });
      await registerStdio(gw, 'single', { command: process.execPath, args: [ECHO], maxProcesses: 1 });
      // a service's own cap
      const one = await initialize(`${gw.dataUrl}/mcp-servers/single`);
      expect(one.status).toBe(200);
      const over = await initialize(`${gw.dataUrl}/mcp-servers/single`);
      expect(over.status).toBe(503);
      expect(over.body.error.message).toMatch(/stdio service "single" already runs 1 processes \(its maxProcesses\)/);
      await fetch(`${gw.dataUrl}/mcp-servers/single`, { method: 'DELETE', headers: { 'mcp-session-id': one.session! } });
      await waitFor(() => gw.gateway.stdio.countOf('single'), (n) => n === 0);
      const bad = await gw.admin('PUT', '/api/v1/services/http-capped', { name: 'http-capped', protocol: 'mcp', endpoints: ['127.0.0.1:1'], maxProcesses: 2 });
      expect(bad.status).toBe(422);
      expect(bad.body.error.details[0]).toMatchObject({ path: 'maxProcesses', code: 'INVALID_COMBINATION' });
      const url = `${gw.dataUrl}/mcp-servers/capped`;
      expect((await initialize(url)).status).toBe(200);
      const second = await initialize(url);
      expect(second.status).toBe(200);
      const third = await initialize(url);
      expect(third.status).toBe(503);
      expect(third.body.error.data.code).toBe('STDIO_PROCESS_LIMIT');
      expect(third.body.error.message).toMatch(/stdio service "capped" already runs 2 processes/);
      expect((await initialize(`${gw.dataUrl}/mcp-servers/other`)).status).toBe(200);
      const fourth = await initialize(`${gw.dataUrl}/mcp-servers/other`);
      expect(fourth.status).toBe(503);
      expect(fourth.body.error.message).toMatch(/the gateway already runs 3 stdio processes/);
      // ending a session frees its slot
      await fetch(url, { method: 'DELETE', headers: { 'mcp-session-id': second.session! } });
      await waitFor(() => gw.gateway.stdio.countOf('capped'), (n) => n === 1);
      expect((await initialize(`${gw.dataUrl}/mcp-servers/other`)).status).toBe(200);
    } finally {
      await gw.stop();
    }
  }, 30_000);

  it('reaps idle processes and stops every process on shutdown', async () => {
    const gw = await startGateway({ stdioIdleMs: 400 });
    let stopped = false;
    try {
      await registerStdio(gw, 'idle', { command: process.execPath, args: [ECHO, 'idle'] });
      await registerStdio(gw, 'idle-shared', { command: process.execPath, args: [ECHO, 'idle-shared'], mode: 'shared' });
      const own = await initialize(`${gw.dataUrl}/mcp-servers/idle`);
      expect(own.status).toBe(200);
      expect(childProcesses(`${ECHO}\u0000idle\u0000`).length).toBe(1);
      // the per-session process goes after 400 ms without traffic, and its session with it
      expect(await waitFor(() => childProcesses(`${ECHO}\u0000idle\u0000`).length, (n) => n === 0, 5000)).toBe(0);
      const c = await connectClient(gw.dataUrl, 'idle-shared', 'streamable-http');
      await c.listTools();
      expect(childProcesses(`${ECHO}\u0000idle-shared\u0000`).length).toBe(1);
      await (c.transport as StreamableHTTPClientTransport).terminateSession();
      await c.close();
      // the shared one goes 400 ms after its last session
      expect(await waitFor(() => childProcesses(`${ECHO}\u0000idle-shared\u0000`).length, (n) => n === 0, 5000)).toBe(0);
      const keep = await Promise.all([initialize(`${gw.dataUrl}/mcp-servers/idle`), connectClient(gw.dataUrl, 'idle-shared', 'sse')]);
      expect(keep[0].status).toBe(200);
      expect(childProcesses(`${ECHO}\u0000idle`).length).toBe(2);
      await gw.stop();
      stopped = true;
      expect(childProcesses(`${ECHO}\u0000idle`).length).toBe(0);
    } finally {
      if (!stopped) await gw.stop();
    }
  }, 30_000);
});
