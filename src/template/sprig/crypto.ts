/** Sprig's AES helpers, private-key generation and Master Password derivation, on node:crypto. */
import { createCipheriv, createDecipheriv, createHmac, generateKeyPairSync, randomBytes, scryptSync } from 'node:crypto';
import { FuncError, argInt, argString } from '../coerce.js';
import type { Define } from '../functions.js';

/** Sprig pads or truncates the password to a 32-byte AES-256 key. */
function aesKey(password: string): Buffer {
  const key = Buffer.alloc(32);
  Buffer.from(password, 'utf8').copy(key, 0, 0, 32);
  return key;
}

function encryptAES(password: string, plaintext: string): string {
  if (plaintext === '') return '';
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', aesKey(password), iv);
  return Buffer.concat([iv, cipher.update(plaintext, 'utf8'), cipher.final()]).toString('base64');
}

function decryptAES(password: string, crypt64: string): string {
  if (crypt64 === '') return '';
  // Go's StdEncoding is strict: padding required, no stray characters.
  const bad = /[^A-Za-z0-9+/=]/.exec(crypt64);
  if (bad || crypt64.length % 4 !== 0 || /=[^=]/.test(crypt64)) {
    throw new FuncError(`illegal base64 data at input byte ${bad ? bad.index : crypt64.length - (crypt64.length % 4)}`);
  }
  const data = Buffer.from(crypt64, 'base64');
  if (data.length < 32 || data.length % 16 !== 0) throw new FuncError('crypto/cipher: input not full blocks');
  const decipher = createDecipheriv('aes-256-cbc', aesKey(password), data.subarray(0, 16));
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(data.subarray(16)), decipher.final()]);
  // Sprig strips as many bytes as the last byte says, without checking the padding.
  const pad = plain[plain.length - 1];
  if (pad > plain.length) throw new FuncError('runtime error: slice bounds out of range');
  return plain.subarray(0, plain.length - pad).toString('utf8');
}

function generatePrivateKey(typ: string): string {
  switch (typ) {
    case '':
    case 'rsa':
      return generateKeyPairSync('rsa', { modulusLength: 4096 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString();
    case 'ecdsa':
      return generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString();
    case 'ed25519':
      return generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    case 'dsa':
      return generateKeyPairSync('dsa', { modulusLength: 2048, divisorLength: 256 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    default:
      return 'Unknown type ' + typ;
  }
}

const MASTER_PASSWORD_SEED = 'com.lyndir.masterpassword';
const PASSWORD_TEMPLATES: Record<string, string[]> = {
  maximum: ['anoxxxxxxxxxxxxxxxxx', 'axxxxxxxxxxxxxxxxxno'],
  long: [
    'CvcvnoCvcvCvcv', 'CvcvCvcvnoCvcv', 'CvcvCvcvCvcvno', 'CvccnoCvcvCvcv', 'CvccCvcvnoCvcv', 'CvccCvcvCvcvno', 'CvcvnoCvccCvcv',
    'CvcvCvccnoCvcv', 'CvcvCvccCvcvno', 'CvcvnoCvcvCvcc', 'CvcvCvcvnoCvcc', 'CvcvCvcvCvccno', 'CvccnoCvccCvcv', 'CvccCvccnoCvcv',
    'CvccCvccCvcvno', 'CvcvnoCvccCvcc', 'CvcvCvccnoCvcc', 'CvcvCvccCvccno', 'CvccnoCvcvCvcc', 'CvccCvcvnoCvcc', 'CvccCvcvCvccno',
  ],
  medium: ['CvcnoCvc', 'CvcCvcno'],
  short: ['Cvcn'],
  basic: ['aaanaaan', 'aannaaan', 'aaannaaa'],
  pin: ['nnnn'],
};
const TEMPLATE_CHARACTERS: Record<string, string> = {
  V: 'AEIOU',
  C: 'BCDFGHJKLMNPQRSTVWXYZ',
  v: 'aeiou',
  c: 'bcdfghjklmnpqrstvwxyz',
  A: 'AEIOUBCDFGHJKLMNPQRSTVWXYZ',
  a: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz',
  n: '0123456789',
  o: "@&%?,=[]_:-+*$#!'^~;()/.",
  x: 'AEIOUaeiouBCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz0123456789!@#$%^&*()',
};

const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};

/** The Master Password algorithm (v3) that Sprig's derivePassword implements. */
function derivePassword(counter: number, type: string, password: string, user: string, site: string): string {
  if (!Object.hasOwn(PASSWORD_TEMPLATES, type)) return `cannot find password template ${type}`;
  const templates = PASSWORD_TEMPLATES[type];
  const userBytes = Buffer.from(user, 'utf8');
  const salt = Buffer.concat([Buffer.from(MASTER_PASSWORD_SEED), u32(userBytes.length), userBytes]);
  const key = scryptSync(Buffer.from(password, 'utf8'), salt, 64, { N: 32768, r: 8, p: 2, maxmem: 256 * 1024 * 1024 });
  const siteBytes = Buffer.from(site, 'utf8');
  const seed = createHmac('sha256', key)
    .update(Buffer.concat([Buffer.from(MASTER_PASSWORD_SEED), u32(siteBytes.length), siteBytes, u32(counter)]))
    .digest();
  const template = templates[seed[0] % templates.length];
  let out = '';
  for (let i = 0; i < template.length; i++) {
    const chars = TEMPLATE_CHARACTERS[template[i]];
    out += chars[seed[i + 1] % chars.length];
  }
  return out;
}

/** Registers encryptAES, decryptAES, genPrivateKey and derivePassword. */
export function registerCrypto(def: Define): void {
  def('encryptAES', 2, 2, 'string', ([p, t]) => encryptAES(argString(p), argString(t)));
  def('decryptAES', 2, 2, 'string', ([p, c]) => decryptAES(argString(p), argString(c)));
  def('genPrivateKey', 1, 1, 'string', ([t]) => generatePrivateKey(argString(t)));
  def('derivePassword', 5, 5, 'string', ([c, t, p, u, s]) => derivePassword(argInt(c), argString(t), argString(p), argString(u), argString(s)));
}
