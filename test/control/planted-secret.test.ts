/**
 * A planted secret of every kind (backend credential in a service and in tool YAML, consumer key,
 * registry password, stdio env value) never appears in plaintext in the SQLite file, in the
 * PostgreSQL tables (own random database, dropped after), in the logs at trace level, or in any admin
 * API answer, while the data plane still uses it.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { Gateway } from '../../src/gateway.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { createLogger } from '../../src/observe/logger.js';
import { standardExtensions } from '../../src/control/extensions.js';
import { startBackend } from '../support/backend.js';

const PG_URL = process.env.MCPGW_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const secret = (kind: string) => `planted-${kind}-${randomBytes(6).toString('hex')}`;
const SECRETS = { service: secret('service'), tool: secret('tool'), consumer: secret('consumer'), registry: secret('registry'), env: secret('env') };
const dbName = `mcpgw_secrets_${process.pid}_${Date.now().toString(36)}`;
const dirs: string[] = [];

afterAll(async () => {
  const admin = new pg.Client({ connectionString: PG_URL });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${dbName}" WITH (FORCE)`);
  await admin.end();
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

async function runGateway(databaseUrl: string | undefined): Promise<{ logs: string; answers: string; dataDir: string }> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-secrets-'));
  dirs.push(dataDir);
  let logs = '';
  const sink = new Writable({ write: (chunk, _enc, done) => void ((logs += chunk.toString()), done()) });
  const settings: Settings = { ...loadSettings({}, {}), port: 0, adminPort: 0, host: '127.0.0.1', adminHost: '127.0.0.1', dataDir, databaseUrl, adminToken: 'test-admin-token-123', logLevel: 'trace', seed: false };
  const gateway = new Gateway({ settings, log: createLogger('trace', sink), announce: () => undefined, extensions: standardExtensions(settings) });
  await gateway.start();
  const backend = await startBackend();
  const adminUrl = `http://127.0.0.1:${gateway.adminPort}`;
  let answers = '';
  const call = async (method: string, p: string, body?: unknown) => {
    const res = await fetch(`${adminUrl}${p}`, { method, headers: { authorization: 'Bearer test-admin-token-123', ...(body ? { 'content-type': 'application/json' } : {}) }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    answers += `${method} ${p} ${res.status} ${text}\n`;
    return { status: res.status, text };
  };
  try {
    const tools = `server:\n  name: s\n  securitySchemes:\n    - { id: key, type: apiKey, in: header, name: X-Key, defaultCredential: "${SECRETS.tool}" }\ntools:\n  - name: get\n    description: g\n    requestTemplate: { url: /x, method: GET, security: { id: key } }\n`;
    expect((await call('PUT', '/api/v1/services/api', { protocol: 'http', endpoints: [backend.address], auth: { type: 'bearer', token: SECRETS.service } })).status).toBeLessThan(300);
    expect((await call('PUT', '/api/v1/services/cmd', { protocol: 'stdio', command: 'node', args: ['-e', ''], env: { TOKEN: SECRETS.env } })).status).toBeLessThan(300);
    expect((await call('PUT', '/api/v1/registries/main', { type: 'nacos', address: 'http://127.0.0.1:1', username: 'nacos', password: SECRETS.registry })).status).toBeLessThan(300);
    expect((await call('PUT', '/api/v1/consumers/alice', { credentials: [{ type: 'key-auth', key: SECRETS.consumer }] })).status).toBeLessThan(300);
    expect((await call('PUT', '/api/v1/mcp-servers/api', { type: 'http-to-mcp', description: 'd', service: 'api', tools, consumerAuth: { enabled: true } })).status).toBeLessThan(300);
    await gateway.settled();
    // The data plane uses the secrets: the consumer key opens the server, the tool credential reaches the backend.
    const mcp = `http://127.0.0.1:${gateway.port}/mcp-servers/api`;
    const h = { accept: 'application/json, text/event-stream', 'content-type': 'application/json', authorization: `Bearer ${SECRETS.consumer}` };
    const init = await fetch(mcp, { method: 'POST', headers: h, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 's', version: '1' } } }) });
    expect(init.status).toBe(200);
    const sid = init.headers.get('mcp-session-id')!;
    await init.text();
    const r = await fetch(mcp, { method: 'POST', headers: { ...h, 'mcp-session-id': sid }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'get', arguments: {} } }) });
    expect(((await r.json()) as any).result.isError).toBeFalsy();
    expect(backend.requests.at(-1)!.headers['x-key']).toBe(SECRETS.tool);
    // Every read the admin API offers.
    for (const kind of ['services', 'registries', 'consumers', 'mcp-servers']) {
      await call('GET', `/api/v1/${kind}`);
      for (const name of ['api', 'cmd', 'main', 'alice']) await call('GET', `/api/v1/${kind}/${name}`);
    }
    await call('GET', '/api/v1/mcp-servers/api/tools');
    await call('GET', '/api/v1/audit?limit=100');
    await call('GET', '/api/v1/instances');
    await call('GET', '/api/v1/export');
    await (await fetch(`${adminUrl}/metrics`)).text();
  } finally {
    await gateway.stop();
    await backend.close();
  }
  return { logs, answers, dataDir };
}

function expectAbsent(where: string, haystack: Buffer | string): void {
  const bytes = Buffer.isBuffer(haystack) ? haystack : Buffer.from(haystack);
  for (const [kind, value] of Object.entries(SECRETS)) {
    expect(bytes.includes(Buffer.from(value)), `${kind} secret in ${where}`).toBe(false);
    expect(bytes.includes(Buffer.from(value, 'utf16le')), `${kind} secret (UTF-16) in ${where}`).toBe(false);
  }
}

describe('a planted secret appears nowhere in plaintext', () => {
  it('SQLite: the database files, the logs and every admin API answer', async () => {
    const { logs, answers, dataDir } = await runGateway(undefined);
    const files = fs.readdirSync(dataDir).filter((f) => f.startsWith('gateway.db'));
    expect(files).toContain('gateway.db');
    expectAbsent('the SQLite files', Buffer.concat(files.map((f) => fs.readFileSync(path.join(dataDir, f)))));
    expect(logs.length).toBeGreaterThan(0);
    expectAbsent('the logs', logs);
    expect(answers).toContain('****');
    expectAbsent('the admin API answers', answers);
  }, 60_000);

  it('PostgreSQL: every table of its own database, the logs and every admin API answer', async () => {
    const admin = new pg.Client({ connectionString: PG_URL });
    await admin.connect();
    await admin.query(`CREATE DATABASE "${dbName}"`);
    await admin.end();
    const url = PG_URL.replace(/\/[^/]*$/, `/${dbName}`);
    const { logs, answers } = await runGateway(url);
    const db = new pg.Client({ connectionString: url });
    await db.connect();
    let dump = '';
    const tables = await db.query<{ table_schema: string; table_name: string }>(`SELECT table_schema, table_name FROM information_schema.tables WHERE table_schema NOT IN ('pg_catalog', 'information_schema')`);
    expect(tables.rows.length).toBeGreaterThan(0);
    for (const t of tables.rows) {
      const rows = await db.query(`SELECT * FROM "${t.table_schema}"."${t.table_name}"`);
      dump += JSON.stringify(rows.rows);
    }
    await db.end();
    expect(dump).toContain('api');
    expectAbsent('the PostgreSQL tables', dump);
    expectAbsent('the logs', logs);
    expectAbsent('the admin API answers', answers);
  }, 60_000);
});
