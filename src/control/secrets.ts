import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, scrypt } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** File in the data directory holding the generated key (base64, owner-only). */
export const SECRET_KEY_FILE = 'secret.key';
/** Every encrypted value starts with this; the version names the format and algorithm. */
export const ENCRYPTED_PREFIX = 'enc:v1:';
/**
 * Passphrase keys are derived with scrypt and this fixed salt, so every replica given the same
 * MCPGW_SECRET_KEY passphrase derives the same key without sharing any other state.
 */
export const PASSPHRASE_SALT = 'mcp-gateway/secret-key/v1';
export const PASSPHRASE_SCRYPT = { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } as const;
export const MIN_PASSPHRASE_LENGTH = 12;

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const ENCRYPTED_VALUE = /^enc:v1:([0-9a-f]{8}):([A-Za-z0-9+/]+={0,2})$/;

export type SecretErrorCode = 'SECRET_KEY_MISMATCH' | 'SECRET_KEY_INVALID' | 'SECRET_MALFORMED' | 'SECRET_CORRUPT';

/** An error about a secret or the key; messages never contain secret material. */
export class SecretError extends Error {
  constructor(
    readonly code: SecretErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretError';
  }
}

/** Where the key of a SecretBox came from. */
export type SecretKeySource = 'option' | 'file' | 'generated';

function deriveFromPassphrase(passphrase: string): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(passphrase.normalize('NFC'), PASSPHRASE_SALT, KEY_BYTES, PASSPHRASE_SCRYPT, (err, key) => (err ? reject(err) : resolve(key))),
  );
}

/** Reads 32 raw key bytes written as hex or base64 (standard or URL-safe); undefined otherwise. */
function decodeRawKey(text: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(text)) return Buffer.from(text, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(text)) {
    const bytes = Buffer.from(text, 'base64');
    if (bytes.length === KEY_BYTES) return bytes;
  }
  return undefined;
}

/**
 * Turns key text into 32 key bytes: hex (64 characters) or base64 (43-44 characters) of 32
 * bytes is used as is; anything else of at least 12 characters is a passphrase fed to scrypt.
 */
export async function parseSecretKey(text: string, origin = 'MCPGW_SECRET_KEY'): Promise<Buffer> {
  const trimmed = text.trim();
  const raw = decodeRawKey(trimmed);
  if (raw) return raw;
  if (trimmed.length < MIN_PASSPHRASE_LENGTH) {
    throw new SecretError(
      'SECRET_KEY_INVALID',
      `${origin} must be 32 bytes written as base64 (44 characters) or hex (64 characters), or a passphrase of at least ${MIN_PASSPHRASE_LENGTH} characters`,
    );
  }
  return deriveFromPassphrase(trimmed);
}

/** Creates the key file atomically: whoever links first wins, everyone else reads the winner's key. */
async function readOrCreateKeyFile(dataDir: string): Promise<{ key: Buffer; source: SecretKeySource }> {
  const file = join(dataDir, SECRET_KEY_FILE);
  try {
    return { key: await parseSecretKey(await readFile(file, 'utf8'), file), source: 'file' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  const key = randomBytes(KEY_BYTES);
  const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(`${key.toString('base64')}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await link(temp, file);
    return { key, source: 'generated' };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return { key: await parseSecretKey(await readFile(file, 'utf8'), file), source: 'file' };
  } finally {
    await unlink(temp).catch(() => {});
  }
}

/**
 * Encrypts stored credentials with AES-256-GCM. Values look like
 * `enc:v1:<keyId>:<base64 of iv | tag | ciphertext>`; the prefix and keyId are authenticated too.
 */
export class SecretBox {
  /** 8 hex characters identifying the key (an HMAC of it, not the key itself). */
  readonly keyId: string;
  private readonly aad: Buffer;

  private constructor(
    private readonly key: Buffer,
    readonly source: SecretKeySource,
  ) {
    this.keyId = createHmac('sha256', key).update('mcp-gateway secret key id').digest('hex').slice(0, 8);
    this.aad = Buffer.from(`${ENCRYPTED_PREFIX}${this.keyId}`);
  }

  /**
   * The box for this gateway: from `key` (MCPGW_SECRET_KEY) when given, otherwise from
   * `<dataDir>/secret.key`, which is generated (32 random bytes, mode 0600) on first start.
   */
  static async load(opts: { dataDir: string; key?: string }): Promise<SecretBox> {
    if (opts.key !== undefined && opts.key.trim() !== '') {
      return new SecretBox(await parseSecretKey(opts.key), 'option');
    }
    const { key, source } = await readOrCreateKeyFile(opts.dataDir);
    return new SecretBox(key, source);
  }

  /** A box on 32 raw key bytes (tests, key rotation). */
  static fromKey(key: Uint8Array): SecretBox {
    if (key.length !== KEY_BYTES) throw new SecretError('SECRET_KEY_INVALID', `a secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
    return new SecretBox(Buffer.from(key), 'option');
  }

  /** A 32-byte key for another purpose (cluster session ids), derived with HKDF so it reveals nothing of this one. */
  deriveKey(purpose: string): Buffer {
    return Buffer.from(hkdfSync('sha256', this.key, 'mcp-gateway/derived/v1', purpose, KEY_BYTES));
  }

  /** Encrypts with a fresh random IV, so equal plaintexts give different values. */
  encrypt(plain: string): string {
    if (typeof plain !== 'string') throw new SecretError('SECRET_MALFORMED', 'only strings can be encrypted');
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(this.aad);
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${ENCRYPTED_PREFIX}${this.keyId}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64')}`;
  }

  /** Decrypts a value made by encrypt(); throws SECRET_KEY_MISMATCH when another key made it. */
  decrypt(value: string): string {
    const match = typeof value === 'string' ? ENCRYPTED_VALUE.exec(value) : null;
    if (!match) throw new SecretError('SECRET_MALFORMED', `value is not an encrypted secret (expected ${ENCRYPTED_PREFIX}<keyId>:<data>)`);
    if (match[1] !== this.keyId) {
      throw new SecretError(
        'SECRET_KEY_MISMATCH',
        `secret was encrypted with key ${match[1]} but the current key is ${this.keyId}: set MCPGW_SECRET_KEY (or secret.key) to the key that encrypted it`,
      );
    }
    const data = Buffer.from(match[2], 'base64');
    if (data.length < IV_BYTES + TAG_BYTES) throw new SecretError('SECRET_MALFORMED', 'encrypted secret is too short');
    const decipher = createDecipheriv('aes-256-gcm', this.key, data.subarray(0, IV_BYTES), { authTagLength: TAG_BYTES });
    decipher.setAAD(this.aad);
    decipher.setAuthTag(data.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    try {
      return Buffer.concat([decipher.update(data.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new SecretError('SECRET_CORRUPT', `encrypted secret failed authentication under key ${this.keyId} (altered or truncated)`);
    }
  }

  /** True for strings in the enc:v1 format, whichever key made them. */
  isEncrypted(value: unknown): value is string {
    return typeof value === 'string' && ENCRYPTED_VALUE.test(value);
  }
}

/** The keyId an encrypted value names, or undefined when value is not encrypted. */
export function encryptedKeyId(value: unknown): string | undefined {
  return typeof value === 'string' ? ENCRYPTED_VALUE.exec(value)?.[1] : undefined;
}

/**
 * For key rotation: a deep copy of value in which every secret encrypted under `from` is
 * encrypted again under `to`. Plain strings and values already under `to` are left as they are.
 */
export function reencrypt<T>(value: T, from: SecretBox, to: SecretBox): T {
  if (typeof value === 'string') {
    const keyId = encryptedKeyId(value);
    return (keyId === undefined || keyId === to.keyId ? value : to.encrypt(from.decrypt(value))) as T;
  }
  if (Array.isArray(value)) return value.map((item) => reencrypt(item, from, to)) as T;
  if (value !== null && typeof value === 'object') {
    const copy: Record<string, unknown> = {};
    for (const [field, item] of Object.entries(value)) copy[field] = reencrypt(item, from, to);
    return copy as T;
  }
  return value;
}
