import fs from 'node:fs';
import path from 'node:path';
import type { Settings } from '../config/settings.js';
import { openStore } from '../store/index.js';
import { SecretBox } from '../control/secrets.js';
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
