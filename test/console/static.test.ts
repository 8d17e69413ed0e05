// The built console on its own (no gateway needed): self-contained assets, sign-in page at both widths.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { DIST_DIR, serveConsole, type ConsoleSite } from './support/site.js';
import { horizontalOverflow, launchChromium, recordForeignRequests, saveScreen, VIEWPORTS, type ViewportName } from './support/browser.js';

let site: ConsoleSite;
let browser: Browser;

beforeAll(async () => {
  site = await serveConsole();
  browser = await launchChromium();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await site?.close();
});

describe('build output', () => {
  it('is an index.html with relative asset URLs and no external resource', () => {
    const html = readFileSync(join(DIST_DIR, 'index.html'), 'utf8');
    const refs = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
    expect(refs.length).toBeGreaterThan(1);
    for (const ref of refs) expect(ref).toMatch(/^(\.\/assets\/|data:)/);
    const assets = readdirSync(join(DIST_DIR, 'assets'));
    expect(assets.some((f) => f.endsWith('.js'))).toBe(true);
    expect(assets.some((f) => f.endsWith('.css'))).toBe(true);
    for (const css of assets.filter((f) => f.endsWith('.css'))) {
      const text = readFileSync(join(DIST_DIR, 'assets', css), 'utf8');
      expect(text).not.toMatch(/@import|url\(\s*['"]?https?:/);
    }
  });
});

describe('sign-in page', () => {
  for (const viewport of Object.keys(VIEWPORTS) as ViewportName[]) {
    it(`fits ${VIEWPORTS[viewport].width}px and loads nothing from elsewhere`, async () => {
      const page = await browser.newPage({ viewport: VIEWPORTS[viewport] });
      const foreign = recordForeignRequests(page, [site.url]);
      await page.goto(site.url);
      await page.getByLabel('Admin token').waitFor();
      expect(await page.getByRole('button', { name: 'Sign in' }).isVisible()).toBe(true);
      expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
      await saveScreen(page, 'sign-in', viewport, true);
      expect(foreign).toEqual([]);
      await page.close();
    });
  }

  it('asks for a token before calling the API', async () => {
    const page = await browser.newPage({ viewport: VIEWPORTS.desktop });
    let apiCalls = 0;
    page.on('request', (r) => {
      if (r.url().includes('/api/')) apiCalls++;
    });
    await page.goto(site.url);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect(page.locator('.field-error').textContent()).resolves.toContain('Enter the admin token');
    expect(apiCalls).toBe(0);
    await page.close();
  });

  it('shows the admin API failure next to the token field and keeps the user signed out', async () => {
    const page = await browser.newPage({ viewport: VIEWPORTS.desktop });
    await page.goto(site.url);
    await page.getByLabel('Admin token').fill('some-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    const error = page.locator('.field.has-error .field-error');
    await error.waitFor();
    expect(await error.textContent()).toContain('No admin API behind this test server');
    expect(await page.evaluate<string | null>("sessionStorage.getItem('mcpgw.adminToken')")).toBeNull();
    await page.close();
  });
});
