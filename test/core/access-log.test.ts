import { Writable } from 'node:stream';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway.js';
import { loadSettings } from '../../src/config/settings.js';
import { createLogger } from '../../src/observe/logger.js';
import { standardExtensions } from '../../src/control/extensions.js';
import { connectClient } from '../support/mcp-client.js';

describe('access log and secrets in logs', () => {
  const lines: string[] = [];
  let gateway: Gateway;
  let dataDir: string;
  const SECRET = 'planted-secret-9f3a71c2';

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-log-'));
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(...chunk.toString().split('\n').filter(Boolean));
        cb();
      },
    });
    const settings = { ...loadSettings({}, {}), port: 0, adminPort: 0, host: '127.0.0.1', dataDir, adminToken: 'tok', logLevel: 'debug' };
    gateway = new Gateway({ settings, log: createLogger('debug', sink), announce: () => undefined, extensions: standardExtensions(settings) });
    await gateway.start();
  });
  afterAll(async () => {
    await gateway?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('writes one JSON line per MCP request with the documented fields and never the secret', async () => {
    const admin = (method: string, p: string, body?: unknown) =>
      fetch(`http://127.0.0.1:${gateway.adminPort}${p}`, { method, headers: { authorization: 'Bearer tok', 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    await admin('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: SECRET }] });
    const time = await (await admin('GET', '/api/v1/mcp-servers/time')).json();
    await admin('PUT', '/api/v1/mcp-servers/time', { ...(time as object), consumerAuth: { enabled: true } });
    await gateway.settled();
    const client = await connectClient(`http://127.0.0.1:${gateway.port}`, 'time', 'streamable-http', { 'x-api-key': SECRET });
    await client.callTool({ name: 'get-current-time', arguments: { timeZone: SECRET } });
    await client.close();
    await new Promise((r) => setTimeout(r, 50));
    const access = lines.map((l) => JSON.parse(l)).filter((l) => l.type === 'access');
    const call = access.find((l) => l.method === 'tools/call');
    expect(call).toMatchObject({ type: 'access', server: 'time', transport: 'streamable-http', method: 'tools/call', tool: 'get-current-time', consumer: 'alice', outcome: 'ok' });
    expect(typeof call.durationMs).toBe('number');
    expect(access.some((l) => l.method === 'tools/list' || l.method === 'initialize' || l.method === 'tools/call')).toBe(true);
    expect(lines.join('\n')).not.toContain(SECRET);
    const answers = await Promise.all(['/api/v1/consumers', '/api/v1/audit', '/api/v1/mcp-servers'].map((p) => admin('GET', p).then((r) => r.text())));
    for (const a of answers) expect(a).not.toContain(SECRET);
  });
});
