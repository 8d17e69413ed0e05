import type { Settings } from '../config/settings.js';
import type { AdminExtension } from './admin-extensions.js';
import { openApiImportExtension } from './openapi-import.js';
import { consoleExtension } from './console.js';

/** The admin extensions every `serve` has. */
export function standardExtensions(_settings: Settings): AdminExtension[] {
  return [openApiImportExtension(), consoleExtension()];
}
