import { readFileSync } from 'node:fs';

/** The gateway's version, from package.json (read once at start). */
export const GATEWAY_VERSION: string = (() => {
  for (const rel of ['../package.json', '../../package.json']) {
    try {
      return (JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { version: string }).version;
    } catch {
      // try the next candidate (source and compiled layouts differ by one folder)
    }
  }
  return '0.0.0';
})();
