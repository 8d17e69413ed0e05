// The server page's Traffic tab: known requests on the data plane show up in the admin API's time buckets
// and in the chart drawn from them.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { ensureConsoleBuilt, serveConsole, type ConsoleSite } from './support/site.js';
import { launchChromium, saveScreen, VIEWPORTS } from './support/browser.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const TOOLS = 'server:\n  name: chart\ntools:\n  - name: hello\n    description: says hello\n    responseTemplate: { body: hello }\n';

async function rpc(gw: TestGateway, body: unknown, sid?: string): Promise<{ sid?: string; json: any }> {
  const res = await fetch(`${gw.dataUrl}/mcp-servers/chart`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...(sid ? { 'mcp-session-id': sid } : {}) },
    body: JSON.stringify(body),
  });
  return { sid: res.headers.get('mcp-session-id') ?? undefined, json: await res.json() };
}

describe('console: per-server traffic chart', () => {
  let gw: TestGateway;
  let browser: Browser;
  let site: ConsoleSite | undefined;
  let consoleUrl: string;

  beforeAll(async () => {
    await ensureConsoleBuilt();
    gw = await startGateway();
    const put = await gw.admin('PUT', '/api/v1/mcp-servers/chart', { type: 'http-to-mcp', description: 'chart test', tools: TOOLS });
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    await gw.settled();
    const index = await fetch(`${gw.adminUrl}/`).then((r) => r.text());
    if (index.includes('<div id="root">')) consoleUrl = gw.adminUrl;
    else {
      site = await serveConsole(gw.adminUrl);
      consoleUrl = site.url;
    }
    browser = await launchChromium();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await site?.close();
    await gw?.stop();
  });

  it('counts known requests in the API buckets and draws them', async () => {
    const init = await rpc(gw, { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } } });
    for (let i = 0; i < 3; i++) expect((await rpc(gw, { jsonrpc: '2.0', id: 10 + i, method: 'tools/call', params: { name: 'hello', arguments: {} } }, init.sid)).json.result).toBeDefined();
    expect((await rpc(gw, { jsonrpc: '2.0', id: 20, method: 'tools/call', params: { name: 'nope', arguments: {} } }, init.sid)).json.error).toBeDefined();

    const api = await gw.admin('GET', '/api/v1/mcp-servers/chart/traffic');
    expect(api.status).toBe(200);
    expect(api.body.bucketSeconds).toBe(10);
    expect(api.body.buckets).toHaveLength(90);
    const totals = (api.body.buckets as Array<{ calls: number; errors: number; maxMs: number }>).reduce((t, b) => ({ calls: t.calls + b.calls, errors: t.errors + b.errors }), { calls: 0, errors: 0 });
    expect(totals).toEqual({ calls: 4, errors: 1 });
    expect((await gw.admin('GET', '/api/v1/mcp-servers/chart/traffic?buckets=6')).body.buckets).toHaveLength(6);
    expect((await gw.admin('GET', '/api/v1/mcp-servers/missing/traffic')).status).toBe(404);
    const doc = await gw.admin('GET', '/api/v1/openapi.json');
    expect(Object.keys(doc.body.paths)).toContain('/api/v1/mcp-servers/{name}/traffic');

    const page = await browser.newPage({ viewport: VIEWPORTS.desktop });
    try {
      await page.goto(consoleUrl);
      await page.getByLabel('Admin token').fill(gw.adminToken);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.getByRole('heading', { name: 'Overview' }).waitFor();
      await page.evaluate(`window.location.hash = '#/mcp-servers/chart/traffic'`);
      await page.getByTestId('traffic-calls').waitFor();
      expect(await page.getByTestId('traffic-calls').textContent()).toBe('4');
      expect(await page.getByTestId('traffic-errors').textContent()).toBe('1');
      const drawn = await page.locator('svg.chart g[data-calls]').evaluateAll((gs) => gs.reduce((t, g) => ({ calls: t.calls + Number(g.getAttribute('data-calls')), errors: t.errors + Number(g.getAttribute('data-errors')) }), { calls: 0, errors: 0 }));
      expect(drawn).toEqual({ calls: 4, errors: 1 });
      expect(await page.locator('svg.chart rect.bar-error').count()).toBeGreaterThan(0);
      await saveScreen(page, 'server-traffic', 'desktop', true);
      // new traffic appears at the next refresh without reloading the page
      await rpc(gw, { jsonrpc: '2.0', id: 30, method: 'tools/call', params: { name: 'hello', arguments: {} } }, init.sid);
      await page.getByTestId('traffic-calls').filter({ hasText: /^5$/ }).waitFor({ timeout: 10_000 });
    } finally {
      await page.close();
    }
  }, 60_000);
});
