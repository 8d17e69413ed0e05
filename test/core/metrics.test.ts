import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectClient } from '../support/mcp-client.js';

describe('GET /metrics counts known traffic exactly', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => gw?.stop());

  it('counts tool calls by outcome and folds unknown tool names', async () => {
    const client = await connectClient(gw.dataUrl, 'time', 'streamable-http');
    for (let i = 0; i < 3; i++) await client.callTool({ name: 'get-current-time', arguments: {} });
    await client.callTool({ name: 'get-current-time', arguments: { timeZone: 7 } });
    await expect(client.callTool({ name: 'no-such-tool-xyz', arguments: {} })).rejects.toThrow();
    await client.close();
    const text = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    expect(text).toContain('mcpgw_tool_calls_total{server="time",tool="get-current-time",consumer="none",outcome="ok"} 3');
    expect(text).toContain('mcpgw_tool_calls_total{server="time",tool="get-current-time",consumer="none",outcome="tool_error"} 1');
    expect(text).toContain('mcpgw_tool_calls_total{server="time",tool="other",consumer="none",outcome="rpc_error"} 1');
    expect(text).not.toContain('no-such-tool-xyz');
    expect(text).toContain('mcpgw_requests_total{server="time",method="tools/call",transport="streamable-http",outcome="ok"} 4');
    expect(text).toMatch(/mcpgw_snapshot_revision \d+/);
  });

  it('counts open client event streams by server and transport while they are open', async () => {
    const controller = new AbortController();
    const res = await fetch(`${gw.dataUrl}/mcp-servers/time/sse`, { headers: { accept: 'text/event-stream' }, signal: controller.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    await reader.read();
    const scrape = () => fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
    expect(await scrape()).toContain('mcpgw_sse_streams{server="time",transport="sse"} 1');
    controller.abort();
    await reader.cancel().catch(() => undefined);
    for (let i = 0; i < 50 && (await scrape()).includes('mcpgw_sse_streams{server="time"'); i++) await new Promise((r) => setTimeout(r, 20));
    expect(await scrape()).not.toContain('mcpgw_sse_streams{server="time"');
  });
});
