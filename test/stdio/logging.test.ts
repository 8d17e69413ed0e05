import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { expect, it } from 'vitest';
import { Gateway } from '../../src/gateway.js';
import { loadSettings } from '../../src/config/settings.js';
import { createLogger } from '../../src/observe/logger.js';
import { connectClient } from '../support/mcp-client.js';
import { EVERYTHING } from './support.js';

it("a stdio server's stderr reaches the gateway's log with its service name; env values never do", async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-stdio-log-'));
  const settings = { ...loadSettings({}, {}), port: 0, adminPort: 0, host: '127.0.0.1', adminHost: '127.0.0.1', dataDir, adminToken: 'test-admin-token', logLevel: 'debug' };
  const gateway = new Gateway({ settings, log: createLogger('debug', sink), announce: () => undefined });
  await gateway.start();
  try {
    const admin = (p: string, body: unknown) => fetch(`http://127.0.0.1:${gateway.adminPort}${p}`, { method: 'PUT', headers: { authorization: 'Bearer test-admin-token', 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await admin('/api/v1/services/ev', { name: 'ev', protocol: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'], env: { EV_TOKEN: 'zz-secret-value-zz' } })).status).toBeLessThan(300);
    expect((await admin('/api/v1/mcp-servers/ev', { name: 'ev', type: 'direct-proxy', description: 'ev', service: 'ev' })).status).toBeLessThan(300);
    await new Promise((r) => setTimeout(r, 10));
    await gateway.settled();
    const c = await connectClient(`http://127.0.0.1:${gateway.port}`, 'ev', 'streamable-http');
    await c.callTool({ name: 'get-env', arguments: {} });
    await c.close();
    const stderr = lines.map((l) => JSON.parse(l)).filter((l) => l.stream === 'stderr');
    expect(stderr.length).toBeGreaterThan(0);
    expect(stderr[0]).toMatchObject({ component: 'stdio', service: 'ev', msg: expect.stringContaining('STDIO') });
    expect(typeof stderr[0].pid).toBe('number');
  } finally {
    await gateway.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  expect(lines.some((l) => l.includes('zz-secret-value-zz'))).toBe(false);
}, 60_000);
