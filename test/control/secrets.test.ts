import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { SECRET_KEY_FILE, SecretBox, encryptedKeyId, reencrypt } from '../../src/control/secrets.js';
import { SqliteStore } from '../../src/store/sqlite.js';

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'mcpgw-secrets-'));
  dirs.push(dir);
  return dir;
}

afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

describe('SecretBox', () => {
  it('round-trips strings, including empty and non-ASCII ones', async () => {
    const box = await SecretBox.load({ dataDir: await tempDir() });
    for (const plain of ['', 'hunter2', 'pässwörd 密码 🔑', 'x'.repeat(10_000)]) {
      const sealed = box.encrypt(plain);
      expect(sealed.startsWith(`enc:v1:${box.keyId}:`)).toBe(true);
      expect(box.isEncrypted(sealed)).toBe(true);
      expect(box.decrypt(sealed)).toBe(plain);
    }
  });

  it('produces a different ciphertext every time for the same plaintext', async () => {
    const box = SecretBox.fromKey(randomBytes(32));
    const values = new Set(Array.from({ length: 50 }, () => box.encrypt('same secret')));
    expect(values.size).toBe(50);
    for (const value of values) {
      expect(value).not.toContain('same secret');
      expect(box.decrypt(value)).toBe('same secret');
    }
  });

  it('refuses to decrypt with another key, with SECRET_KEY_MISMATCH', async () => {
    const a = SecretBox.fromKey(randomBytes(32));
    const b = SecretBox.fromKey(randomBytes(32));
    expect(a.keyId).not.toBe(b.keyId);
    const sealed = a.encrypt('top secret');
    expect(codeOf(() => b.decrypt(sealed))).toBe('SECRET_KEY_MISMATCH');
    // Even when the value claims b's key id, the authentication tag rejects it.
    const relabelled = sealed.replace(`:${a.keyId}:`, `:${b.keyId}:`);
    expect(codeOf(() => b.decrypt(relabelled))).toBe('SECRET_CORRUPT');
  });

  it('detects tampering and malformed values without echoing them', () => {
    const box = SecretBox.fromKey(randomBytes(32));
    const sealed = box.encrypt('do-not-print-me');
    const data = Buffer.from(sealed.split(':')[3], 'base64');
    data[data.length - 1] ^= 1;
    const tampered = `enc:v1:${box.keyId}:${data.toString('base64')}`;
    expect(codeOf(() => box.decrypt(tampered))).toBe('SECRET_CORRUPT');
    expect(codeOf(() => box.decrypt('do-not-print-me'))).toBe('SECRET_MALFORMED');
    expect(codeOf(() => box.decrypt(`enc:v1:${box.keyId}:AAAA`))).toBe('SECRET_MALFORMED');
    try {
      box.decrypt('do-not-print-me');
    } catch (err) {
      expect((err as Error).message).not.toContain('do-not-print-me');
    }
    expect(box.isEncrypted('plain')).toBe(false);
    expect(box.isEncrypted(42)).toBe(false);
    expect(box.isEncrypted(undefined)).toBe(false);
    expect(box.isEncrypted('enc:v1:nothex!!:abc')).toBe(false);
  });

  it('generates secret.key with mode 0600 on first start and reuses it', async () => {
    const dataDir = join(await tempDir(), 'data');
    const first = await SecretBox.load({ dataDir });
    expect(first.source).toBe('generated');
    const file = join(dataDir, SECRET_KEY_FILE);
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(Buffer.from((await readFile(file, 'utf8')).trim(), 'base64')).toHaveLength(32);
    const sealed = first.encrypt('persisted');
    const second = await SecretBox.load({ dataDir });
    expect(second.source).toBe('file');
    expect(second.keyId).toBe(first.keyId);
    expect(second.decrypt(sealed)).toBe('persisted');
    expect((await readdir(dataDir)).sort()).toEqual([SECRET_KEY_FILE]);
  });

  it('agrees on one key when several processes start at once on an empty data dir', async () => {
    const dataDir = await tempDir();
    const boxes = await Promise.all(Array.from({ length: 8 }, () => SecretBox.load({ dataDir })));
    expect(new Set(boxes.map((b) => b.keyId)).size).toBe(1);
    expect(boxes.filter((b) => b.source === 'generated')).toHaveLength(1);
    expect(await readdir(dataDir)).toEqual([SECRET_KEY_FILE]);
  });

  it('accepts MCPGW_SECRET_KEY as base64, hex or passphrase, and ignores the key file then', async () => {
    const raw = randomBytes(32);
    const dataDir = await tempDir();
    const fromBase64 = await SecretBox.load({ dataDir, key: raw.toString('base64') });
    const fromUrlSafe = await SecretBox.load({ dataDir, key: raw.toString('base64url') });
    const fromHex = await SecretBox.load({ dataDir, key: ` ${raw.toString('hex')}\n` });
    expect(fromBase64.source).toBe('option');
    expect(fromHex.keyId).toBe(fromBase64.keyId);
    expect(fromUrlSafe.keyId).toBe(fromBase64.keyId);
    expect(fromHex.decrypt(fromBase64.encrypt('x'))).toBe('x');
    expect(await readdir(dataDir)).toEqual([]);

    const p1 = await SecretBox.load({ dataDir, key: 'correct horse battery staple' });
    const p2 = await SecretBox.load({ dataDir, key: 'correct horse battery staple' });
    const p3 = await SecretBox.load({ dataDir, key: 'correct horse battery stapler' });
    expect(p1.keyId).toBe(p2.keyId);
    expect(p2.decrypt(p1.encrypt('shared'))).toBe('shared');
    expect(p3.keyId).not.toBe(p1.keyId);
    expect(p1.keyId).not.toBe(fromBase64.keyId);
  });

  it('refuses a short passphrase and a damaged key file with SECRET_KEY_INVALID', async () => {
    const dataDir = await tempDir();
    await expect(SecretBox.load({ dataDir, key: 'short' })).rejects.toMatchObject({ code: 'SECRET_KEY_INVALID' });
    await writeFile(join(dataDir, SECRET_KEY_FILE), 'abc\n', { mode: 0o600 });
    const err = await SecretBox.load({ dataDir }).catch((e) => e);
    expect(err.code).toBe('SECRET_KEY_INVALID');
    expect(err.message).toContain(SECRET_KEY_FILE);
    expect(() => SecretBox.fromKey(new Uint8Array(16))).toThrow(expect.objectContaining({ code: 'SECRET_KEY_INVALID' }));
  });
});

describe('reencrypt', () => {
  it('moves every secret in a nested spec to the new key and leaves the rest alone', () => {
    const oldBox = SecretBox.fromKey(randomBytes(32));
    const newBox = SecretBox.fromKey(randomBytes(32));
    const spec = {
      name: 'main',
      password: oldBox.encrypt('nacos-pass'),
      env: { TOKEN: oldBox.encrypt('t0k3n'), LEVEL: 'info' },
      credentials: [{ type: 'key-auth', key: oldBox.encrypt('k1') }, { type: 'jwt', secret: newBox.encrypt('already-new') }],
      count: 3,
      enabled: true,
      none: null,
    };
    const rotated = reencrypt(spec, oldBox, newBox);
    expect(spec.password.startsWith(`enc:v1:${oldBox.keyId}:`)).toBe(true);
    expect(encryptedKeyId(rotated.password)).toBe(newBox.keyId);
    expect(newBox.decrypt(rotated.password)).toBe('nacos-pass');
    expect(newBox.decrypt(rotated.env.TOKEN)).toBe('t0k3n');
    expect(newBox.decrypt(rotated.credentials[0].key as string)).toBe('k1');
    expect(rotated.credentials[1].secret).toBe(spec.credentials[1].secret);
    expect({ ...rotated, password: 0, env: { ...rotated.env, TOKEN: 0 }, credentials: 0 }).toEqual({
      ...spec,
      password: 0,
      env: { ...spec.env, TOKEN: 0 },
      credentials: 0,
    });
    expect(codeOf(() => oldBox.decrypt(rotated.password))).toBe('SECRET_KEY_MISMATCH');
  });

  it('fails on a secret made by a third key', () => {
    const [a, b, c] = [0, 1, 2].map(() => SecretBox.fromKey(randomBytes(32)));
    expect(codeOf(() => reencrypt({ s: c.encrypt('x') }, a, b))).toBe('SECRET_KEY_MISMATCH');
  });
});

describe('secrets at rest', () => {
  it('leaves no trace of a secret stored through encrypt() in the SQLite file', async () => {
    const dataDir = await tempDir();
    const box = await SecretBox.load({ dataDir });
    const planted = `planted-secret-${randomBytes(8).toString('hex')}`;
    const sealed = box.encrypt(planted);
    const store = new SqliteStore({ dataDir });
    await store.migrate();
    await store.put('registries', 'main', { type: 'nacos', password: sealed });
    await store.put('registries', 'main', { type: 'nacos', password: box.encrypt(planted), namespace: 'public' });
    await store.close();
    const files = (await readdir(dataDir)).filter((f) => f.startsWith('gateway.db'));
    expect(files).toContain('gateway.db');
    const bytes = Buffer.concat(await Promise.all(files.map((f) => readFile(join(dataDir, f)))));
    // The file holds the ciphertext (so this looks at the right bytes) but never the plaintext.
    expect(bytes.includes(Buffer.from(sealed))).toBe(true);
    expect(bytes.includes(Buffer.from(planted))).toBe(false);
    expect(bytes.includes(Buffer.from(planted, 'utf16le'))).toBe(false);
  });
});
