import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, and the shared folder CI lays beside the clone. */
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const SHARED = path.resolve(REPO_ROOT, '../shared');
export const HIGRESS_CORPUS = path.join(SHARED, 'corpus/higress-mcp-servers');
