import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../support/cli.js';
import { HIGRESS_CORPUS } from '../support/paths.js';

function tmp(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-cli-'));
}

describe('CLI: validate, apply, export', () => {
  it('validate accepts every Higress corpus file', async () => {
    const files = fs.readdirSync(HIGRESS_CORPUS).filter((f) => f.endsWith('.yaml'));
    // One process per file would take long; check a spread of them through the CLI (all are checked in-process elsewhere).
    for (const f of files.filter((_f, i) => i % 10 === 0)) {
      const r = await runCli(['validate', path.join(HIGRESS_CORPUS, f)]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/valid tool configuration, \d+ tool\(s\)/);
    }
    // Six CLI processes in a row: a loaded machine needs more than the default 30 s.
  }, 120_000);

  it('validate prints line and column and exits 1 for bad tool YAML', async () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'server:\n  name: x\ntools:\n  - name: a\n    args:\n      - name: q\n        type: strnig\n    responseTemplate:\n      body: "{{ .args.q "\n');
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${file}:7:15: TOOL_CONFIG_INVALID`);
    expect(r.stderr).toMatch(/TOOL_CONFIG_INVALID .*must be one of "string"/);
  });

  it('validate checks declarative files, with references', async () => {
    const dir = tmp();
    const file = path.join(dir, 'gw.yaml');
    fs.writeFileSync(file, 'services:\n  - name: api\n    protocol: http\n    endpoints: ["127.0.0.1:9000"]\nmcpServers:\n  - name: s\n    type: http-to-mcp\n    description: d\n    service: apii\n');
    const r = await runCli(['validate', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(':9:14: REFERENCE_NOT_FOUND');
    fs.writeFileSync(file, 'services:\n  - name: api\n    protocol: http\n    endpoints: ["127.0.0.1:9000"]\n');
    const ok = await runCli(['validate', file]);
    expect(ok.code, ok.stderr).toBe(0);
  });

  it('apply writes the store, export reads it back with secrets masked, apply again is a no-op', async () => {
    const dataDir = tmp();
    const file = path.join(dataDir, 'gw.yaml');
    fs.writeFileSync(
      file,
      [
        'services:',
        '  - name: api',
        '    protocol: https',
        '    endpoints: ["api.example.com:443"]',
        '    auth: { type: bearer, token: very-secret-token }',
        'consumers:',
        '  - name: bob',
        '    credentials: [{ type: key-auth, key: bob-secret-key }]',
        'mcpServers:',
        '  - name: pets',
        '    type: http-to-mcp',
        '    description: Pets',
        '    service: api',
        '    tools: |',
        '      server:',
        '        name: pets',
        '      tools:',
        '        - name: hello',
        '          responseTemplate:',
        '            body: hi',
        '',
      ].join('\n'),
    );
    const env = { MCPGW_DATA_DIR: dataDir };
    const applied = await runCli(['apply', '-f', file], env);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toContain('3 created');
    const exported = await runCli(['export'], env);
    expect(exported.code).toBe(0);
    expect(exported.stdout).toContain('name: pets');
    expect(exported.stdout).toContain('token: "****"');
    expect(exported.stdout).not.toContain('very-secret-token');
    const again = await runCli(['apply', '-f', file], env);
    expect(again.stdout).toContain('0 created, 0 updated, 0 deleted, 3 unchanged');
    // The SQLite file holds no plain secret.
    const db = fs.readFileSync(path.join(dataDir, 'gateway.db'));
    expect(db.includes('very-secret-token')).toBe(false);
    expect(db.includes('bob-secret-key')).toBe(false);
  });

  it('apply refuses an invalid file with its line and writes nothing', async () => {
    const dataDir = tmp();
    const file = path.join(dataDir, 'gw.yaml');
    fs.writeFileSync(file, 'services:\n  - name: ok\n    protocol: http\n    endpoints: ["127.0.0.1:1"]\n  - name: bad\n    protocol: ftp\n');
    const r = await runCli(['apply', '-f', file], { MCPGW_DATA_DIR: dataDir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('gw.yaml:6:15');
    const exported = await runCli(['export'], { MCPGW_DATA_DIR: dataDir });
    expect(exported.stdout).not.toContain('name: ok');
  });

  it('rotate-secret-key re-encrypts every secret; the data stays readable with the new key only', async () => {
    const dataDir = tmp();
    const file = path.join(dataDir, 'gw.yaml');
    fs.writeFileSync(file, 'consumers:\n  - name: bob\n    credentials: [{ type: key-auth, key: bob-secret-key-1 }]\nregistries:\n  - { name: main, type: nacos, address: "http://127.0.0.1:8848", password: nacos-pass-77 }\n');
    const env = { MCPGW_DATA_DIR: dataDir };
    expect((await runCli(['apply', '-f', file], env)).code).toBe(0);
    const oldKey = fs.readFileSync(path.join(dataDir, 'secret.key'), 'utf8').trim();
    const newKey = 'b'.repeat(64);
    const rotated = await runCli(['rotate-secret-key', '--new-key', newKey], env);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain('re-encrypted 2 resource(s)');
    const revealed = await runCli(['export', '--reveal-secrets'], env);
    expect(revealed.stdout).toContain('bob-secret-key-1');
    expect(revealed.stdout).toContain('nacos-pass-77');
    const withOld = await runCli(['export', '--reveal-secrets'], { ...env, MCPGW_SECRET_KEY: oldKey });
    expect(withOld.code).toBe(1);
    expect(withOld.stderr).toContain('SECRET_KEY_MISMATCH');
  });
});
