import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { openStore } from '../store/index.js';
import { SecretBox, SECRET_KEY_FILE, parseSecretKey, reencrypt } from '../control/secrets.js';
import { RESOURCE_KINDS, type Change } from '../store/types.js';
import { ResourceService } from '../control/resources.js';
import { parseDeclarative, renderDeclarative } from '../control/declarative.js';
import { readInput } from './input.js';

async function withResources<T>(settings: Settings, fn: (r: ResourceService) => Promise<T>): Promise<T> {
  fs.mkdirSync(settings.dataDir, { recursive: true });
  const cipher = await SecretBox.load({ dataDir: settings.dataDir, key: settings.secretKey });
  const store = await openStore({ dataDir: settings.dataDir, databaseUrl: settings.databaseUrl });
  try {
    return await fn(new ResourceService(store, cipher));
  } finally {
    await store.close();
  }
}

/** `apply -f FILE`: validates the whole file, then writes it in one transaction. */
export async function runApply(settings: Settings, file: string, prune: boolean): Promise<number> {
  const text = readInput(file);
  const config = parseDeclarative(text, file === '-' ? 'stdin' : path.basename(file));
  const counts = await withResources(settings, (r) => r.apply(config, { actor: 'cli:apply', prune }));
  process.stdout.write(`applied: ${counts.created} created, ${counts.updated} updated, ${counts.deleted} deleted, ${counts.unchanged} unchanged\n`);
  return 0;
}

/** `export`: the stored configuration as declarative YAML. */
export async function runExport(settings: Settings, revealSecrets: boolean): Promise<number> {
  const config = await withResources(settings, (r) => r.exportConfig({ revealSecrets }));
  process.stdout.write(renderDeclarative(config));
  return 0;
}

/**
 * `rotate-secret-key --new-key KEY`: re-encrypts every stored secret with a new key in one transaction.
 * Replicas must then run with the new key (MCPGW_SECRET_KEY, or the data dir's key file, which is
 * replaced when the old key came from it).
 */
export async function runRotateSecretKey(settings: Settings, newKeyText: string): Promise<number> {
  fs.mkdirSync(settings.dataDir, { recursive: true });
  const oldBox = await SecretBox.load({ dataDir: settings.dataDir, key: settings.secretKey });
  const newBox = SecretBox.fromKey(await parseSecretKey(newKeyText, '--new-key'));
  if (newBox.keyId === oldBox.keyId) {
    process.stderr.write('the new key is the current key; nothing to do\n');
    return 1;
  }
  const store = await openStore({ dataDir: settings.dataDir, databaseUrl: settings.databaseUrl });
  let count = 0;
  try {
    const changes: Change[] = [];
    for (const kind of RESOURCE_KINDS) {
      for (const r of await store.list(kind)) {
        const spec = reencrypt(r.spec, oldBox, newBox);
        if (JSON.stringify(spec) !== JSON.stringify(r.spec)) {
          changes.push({ op: 'put', kind, name: r.name, spec });
          count++;
        }
      }
    }
    if (changes.length) await store.applyBatch(changes, { actor: 'cli:rotate-secret-key' });
  } finally {
    await store.close();
  }
  if (oldBox.source !== 'option') {
    const file = path.join(settings.dataDir, SECRET_KEY_FILE);
    fs.copyFileSync(file, `${file}.previous`);
    fs.writeFileSync(file, `${newKeyText.trim()}\n`, { mode: 0o600 });
    process.stdout.write(`re-encrypted ${count} resource(s); the new key is in ${file} (the old one in ${file}.previous)\n`);
  } else {
    process.stdout.write(`re-encrypted ${count} resource(s); start every replica with the new MCPGW_SECRET_KEY now\n`);
  }
  return 0;
}
