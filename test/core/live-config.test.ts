import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startBackend, type TestBackend } from '../support/backend.js';
import { connectClient } from '../support/mcp-client.js';

const toolYaml = (text: string) => `server:\n  name: live\ntools:\n  - name: say\n    description: says something\n    args: []\n    responseTemplate:\n      body: "${text}"\n`;

async function say(gw: TestGateway, server: string): Promise<string> {
  const client = await connectClient(gw.dataUrl, server, 'streamable-http');
  const r = await client.callTool({ name: 'say', arguments: {} });
  await client.close();
  return (r.content as Array<{ text: string }>)[0].text;
}

describe('configuration changes are served without restart', () => {
  let gw: TestGateway;
  let backend: TestBackend;
  let file: string;

  beforeAll(async () => {
    backend = await startBackend();
    file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-file-')), 'gateway.yaml');
    fs.writeFileSync(file, `mcpServers:\n  - name: from-file\n    type: http-to-mcp\n    description: declared in a file\n    tools: |\n${toolYaml('one').replace(/^/gm, '      ')}`);
    gw = await startGateway({ configFile: file });
  });
  afterAll(async () => {
    await gw?.stop();
    await backend?.close();
  });

  it('serves an API change on the next request', async () => {
    await gw.admin('PUT', '/api/v1/mcp-servers/live', { type: 'http-to-mcp', description: 'd', tools: toolYaml('first') });
    await gw.settled();
    expect(await say(gw, 'live')).toBe('first');
    await gw.admin('PUT', '/api/v1/mcp-servers/live', { type: 'http-to-mcp', description: 'd', tools: toolYaml('second') });
    await gw.settled();
    expect(await say(gw, 'live')).toBe('second');
  });

  it('applies the file at start and re-applies it when it changes; a bad edit keeps the old config', async () => {
    expect(await say(gw, 'from-file')).toBe('one');
    fs.writeFileSync(file, `mcpServers:\n  - name: from-file\n    type: http-to-mcp\n    description: declared in a file\n    tools: |\n${toolYaml('two').replace(/^/gm, '      ')}`);
    await expect.poll(() => say(gw, 'from-file'), { timeout: 8000, interval: 200 }).toBe('two');
    fs.writeFileSync(file, 'mcpServers:\n  - name: from-file\n    type: nonsense\n');
    await new Promise((r) => setTimeout(r, 2500));
    expect(await say(gw, 'from-file')).toBe('two');
    fs.writeFileSync(file, 'mcpServers: []\n');
    await expect.poll(async () => (await gw.admin('GET', '/api/v1/mcp-servers/from-file')).status, { timeout: 8000, interval: 200 }).toBe(404);
  });

  it('lets an in-flight call finish on the old configuration', async () => {
    backend.on('/slow', (_r, res) => void setTimeout(() => res.writeHead(200, { 'content-type': 'text/plain' }).end('slow answer'), 700));
    await gw.admin('PUT', '/api/v1/services/slow', { protocol: 'http', endpoints: [backend.address] });
    const tools = 'server:\n  name: s\ntools:\n  - name: say\n    description: x\n    requestTemplate:\n      url: /slow\n      method: GET\n';
    await gw.admin('PUT', '/api/v1/mcp-servers/slowsrv', { type: 'http-to-mcp', description: 'd', service: 'slow', tools });
    await gw.settled();
    const client = await connectClient(gw.dataUrl, 'slowsrv', 'streamable-http');
    const pending = client.callTool({ name: 'say', arguments: {} });
    await new Promise((r) => setTimeout(r, 200));
    await gw.admin('PUT', '/api/v1/mcp-servers/slowsrv', { type: 'http-to-mcp', description: 'changed', service: 'slow', tools: tools.replace('/slow', '/other') });
    await gw.settled();
    const result = await pending;
    expect((result.content as Array<{ text: string }>)[0].text).toBe('slow answer');
    await client.close();
  });
});
