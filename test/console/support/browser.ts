import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from './site.js';

export const CHROMIUM = '/usr/bin/chromium';
export const SCREENS_DIR = join(REPO_ROOT, 'test', 'artifacts', 'screens');
export const DOC_SCREENS_DIR = join(REPO_ROOT, 'docs', 'screens');

export const VIEWPORTS = {
  desktop: { width: 1280, height: 860 },
  phone: { width: 390, height: 844 },
} as const;
export type ViewportName = keyof typeof VIEWPORTS;

/** Debian's Chromium, headless, with everything that would reach the network switched off. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}

/** Records every request the page makes to an origin other than the allowed ones. */
export function recordForeignRequests(page: Page, allowedOrigins: string[]): string[] {
  const foreign: string[] = [];
  page.on('request', (req) => {
    const url = req.url();
    if (url.startsWith('data:') || url.startsWith('blob:')) return;
    if (!allowedOrigins.some((o) => url.startsWith(`${o}/`) || url === o)) foreign.push(url);
  });
  return foreign;
}

/** How many CSS pixels the page is wider than the viewport (0 when nothing scrolls sideways). */
export function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate<number>('document.documentElement.scrollWidth - window.innerWidth');
}

// Copying into docs/screens changes tracked files, so an ordinary test run leaves them alone.
const PUBLISH = process.env.MCPGW_PUBLISH_SCREENS === '1';

/**
 * Saves a full-page screenshot as test/artifacts/screens/NAME-VIEWPORT.png; with `publish` and
 * MCPGW_PUBLISH_SCREENS=1 it is also copied to docs/screens for the README.
 */
export async function saveScreen(page: Page, name: string, viewport: ViewportName, publish = false): Promise<string> {
  mkdirSync(SCREENS_DIR, { recursive: true });
  const file = join(SCREENS_DIR, `${name}-${viewport}.png`);
  await page.screenshot({ path: file, fullPage: true });
  if (publish && PUBLISH) {
    mkdirSync(DOC_SCREENS_DIR, { recursive: true });
    copyFileSync(file, join(DOC_SCREENS_DIR, `${name}-${viewport}.png`));
  }
  return file;
}
