import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectClient } from '../support/mcp-client.js';
import { startBackend } from '../support/backend.js';

const toolsYaml = (path: string) => `server:
  name: rest
tools:
  - name: fetch
    description: one backend request
    requestTemplate:
      url: ${path}
      method: GET
`;

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

  it('reports each balanced endpoint as healthy (1) or ejected (0) after a backend dies', async () => {
    const live = await startBackend();
    const dead = await startBackend();
    await dead.close();
    try {
      expect((await gw.admin('PUT', '/api/v1/services/health-svc', { protocol: 'http', endpoints: [live.address, dead.address] })).status).toBeLessThan(300);
      expect((await gw.admin('PUT', '/api/v1/mcp-servers/health-rest', { type: 'http-to-mcp', description: 'x', service: 'health-svc', tools: toolsYaml('/ok') })).status).toBeLessThan(300);
      await gw.settled();
      const scrape = () => fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
      const before = await scrape();
      expect(before).toContain(`mcpgw_upstream_endpoint_healthy{service="health-svc",endpoint="${live.address}"} 1`);
      expect(before).toContain(`mcpgw_upstream_endpoint_healthy{service="health-svc",endpoint="${dead.address}"} 1`);
      const client = await connectClient(gw.dataUrl, 'health-rest', 'streamable-http');
      // Three refused connections eject the dead address; each call is retried on the live one.
      for (let i = 0; i < 8; i++) expect((await client.callTool({ name: 'fetch', arguments: {} })).isError).toBeFalsy();
      await client.close();
      const after = await scrape();
      expect(after).toContain(`mcpgw_upstream_endpoint_healthy{service="health-svc",endpoint="${live.address}"} 1`);
      expect(after).toContain(`mcpgw_upstream_endpoint_healthy{service="health-svc",endpoint="${dead.address}"} 0`);
      expect(live.requests.length).toBe(8);
      // The retried calls still count once each in the upstream latency histogram.
      expect(after).toContain('mcpgw_upstream_duration_seconds_count{server="health-rest",method="tools/call"} 8');
    } finally {
      await gw.admin('DELETE', '/api/v1/mcp-servers/health-rest');
      await gw.admin('DELETE', '/api/v1/services/health-svc');
      await live.close();
    }
  });

  it('times HTTP-to-MCP backend requests in the upstream latency histogram', async () => {
    const backend = await startBackend();
    backend.on('/slow', (_req, res) => void setTimeout(() => res.end('{}'), 60));
    try {
      expect((await gw.admin('PUT', '/api/v1/mcp-servers/slow-rest', { type: 'http-to-mcp', description: 'x', tools: toolsYaml(`${backend.url}/slow`), allowPrivateNetworks: true })).status).toBeLessThan(300);
      await gw.settled();
      const client = await connectClient(gw.dataUrl, 'slow-rest', 'streamable-http');
      for (let i = 0; i < 3; i++) expect((await client.callTool({ name: 'fetch', arguments: {} })).isError).toBeFalsy();
      await client.close();
      const text = await fetch(`${gw.adminUrl}/metrics`).then((r) => r.text());
      expect(text).toContain('mcpgw_upstream_duration_seconds_count{server="slow-rest",method="tools/call"} 3');
      // The backend waits 60 ms before its headers, so no call fits the 50 ms bucket.
      expect(text).toContain('mcpgw_upstream_duration_seconds_bucket{le="0.05",server="slow-rest",method="tools/call"} 0');
      expect(text).toContain('mcpgw_upstream_duration_seconds_bucket{le="+Inf",server="slow-rest",method="tools/call"} 3');
    } finally {
      await gw.admin('DELETE', '/api/v1/mcp-servers/slow-rest');
      await backend.close();
    }
  });
});
