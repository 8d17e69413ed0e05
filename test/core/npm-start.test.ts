import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, type ChildProcess } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProcess } from '../support/cli.js';
import { connectClient } from '../support/mcp-client.js';
import { REPO_ROOT } from '../support/paths.js';

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: os.tmpdir(), env: process.env });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code, out }));
  });
}

// `npm start` runs the compiled gateway (npm ci builds it through the prepare script).
describe('the built gateway started as npm start does, on an empty data dir', () => {
  let child: ChildProcess;
  let dataUrl: string;
  let dataDir: string;
  let output: () => string;

  beforeAll(async () => {
    expect(fs.existsSync(path.join(REPO_ROOT, 'dist/cli/main.js')), 'dist/ is missing: run "npm run build"').toBe(true);
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-start-'));
    const started = await startProcess(process.execPath, ['bin/mcp-gateway.js'], {
      MCPGW_PORT: '0', MCPGW_ADMIN_PORT: '0', MCPGW_HOST: '127.0.0.1', MCPGW_DATA_DIR: dataDir, MCPGW_LOG_LEVEL: 'warn',
    }, /MCP on http:\/\/[^:]+:(\d+)/);
    child = started.child;
    output = started.output;
    dataUrl = `http://127.0.0.1:${started.match[1]}`;
  }, 60_000);
  afterAll(() => {
    child?.kill('SIGTERM');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('prints the generated admin token once and stores it', () => {
    const token = fs.readFileSync(path.join(dataDir, 'admin-token'), 'utf8').trim();
    expect(output()).toContain(`Generated admin token (stored in ${path.join(dataDir, 'admin-token')}; shown once): ${token}`);
  });

  for (const kind of ['streamable-http', 'sse'] as const) {
    it(`serves the seeded time server to the SDK client over ${kind}`, async () => {
      const client = await connectClient(dataUrl, 'time', kind);
      expect((await client.listTools()).tools.map((t) => t.name)).toEqual(['get-current-time']);
      const r = await client.callTool({ name: 'get-current-time', arguments: {} });
      expect((r.content as Array<{ text: string }>)[0].text).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} UTC$/);
      await client.close();
    });
  }

  it('answers the official inspector CLI (tools/list and tools/call over Streamable HTTP)', async () => {
    const list = await run('npx', ['-y', '@modelcontextprotocol/inspector@1.0.3', '--cli', `${dataUrl}/mcp-servers/time`, '--transport', 'http', '--method', 'tools/list']);
    expect(list.code, list.out).toBe(0);
    expect(list.out).toContain('"name": "get-current-time"');
    const call = await run('npx', ['-y', '@modelcontextprotocol/inspector@1.0.3', '--cli', `${dataUrl}/mcp-servers/time`, '--transport', 'http', '--method', 'tools/call', '--tool-name', 'get-current-time', '--tool-arg', 'timeZone=Europe/London']);
    expect(call.code, call.out).toBe(0);
    expect(call.out).toMatch(/\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}/);
  }, 180_000);

  it('answers the inspector CLI over SSE', async () => {
    const list = await run('npx', ['-y', '@modelcontextprotocol/inspector@1.0.3', '--cli', `${dataUrl}/mcp-servers/time/sse`, '--transport', 'sse', '--method', 'tools/list']);
    expect(list.code, list.out).toBe(0);
    expect(list.out).toContain('get-current-time');
  }, 180_000);
});
