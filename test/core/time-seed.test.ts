import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectClient } from '../support/mcp-client.js';

describe('first start seeds the time server', () => {
  let gw: TestGateway;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-seed-'));
    gw = await startGateway({ dataDir });
  });
  afterAll(async () => {
    await gw?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('is listed in the admin API', async () => {
    const res = await gw.admin('GET', '/api/v1/mcp-servers');
    expect(res.status).toBe(200);
    expect(res.body.items.map((s: { name: string }) => s.name)).toEqual(['time']);
  });

  for (const kind of ['streamable-http', 'sse'] as const) {
    it(`lists and calls get-current-time over ${kind}`, async () => {
      const client = await connectClient(gw.dataUrl, 'time', kind);
      const { tools } = await client.listTools();
      expect(tools.map((t) => t.name)).toEqual(['get-current-time']);
      const result = await client.callTool({ name: 'get-current-time', arguments: { timeZone: 'Asia/Tokyo' } });
      expect(result.isError).toBeFalsy();
      const text = (result.content as Array<{ text: string }>)[0].text;
      // "Monday, 2006-01-02 15:04:05 MST": the day, the date, the time and the zone's name.
      expect(text).toMatch(/^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+$/);
      const now = new Date(Date.now() + 9 * 3600_000).toISOString().slice(0, 10);
      expect(text).toContain(now);
      await client.close();
    });
  }

  it('is not seeded again once the store has seen changes', async () => {
    expect((await gw.admin('DELETE', '/api/v1/mcp-servers/time')).status).toBe(204);
    await gw.stop();
    gw = await startGateway({ dataDir });
    const res = await gw.admin('GET', '/api/v1/mcp-servers');
    expect(res.body.items).toEqual([]);
  });
});
