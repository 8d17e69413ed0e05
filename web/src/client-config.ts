import type { McpServer } from './types.js';

/** One way a client can reach a server on the data plane. */
export interface Endpoint {
  transport: string;
  url: string;
}

function baseFor(dataPlaneUrl: string, domain?: string): string {
  if (!domain) return dataPlaneUrl.replace(/\/+$/, '');
  const u = new URL(dataPlaneUrl);
  u.hostname = domain;
  return u.toString().replace(/\/+$/, '');
}

/** Every endpoint of a server, per domain (or the data-plane URL itself when it has none) and transport. */
export function endpointsOf(server: McpServer, dataPlaneUrl: string): Array<{ domain: string; endpoints: Endpoint[] }> {
  const domains = server.domains?.length ? server.domains : [''];
  return domains.map((domain) => {
    let base: string;
    try {
      base = `${baseFor(dataPlaneUrl, domain || undefined)}/mcp-servers/${encodeURIComponent(server.name)}`;
    } catch {
      base = `${dataPlaneUrl}/mcp-servers/${encodeURIComponent(server.name)}`;
    }
    const endpoints: Endpoint[] = [
      { transport: 'Streamable HTTP', url: base },
      { transport: 'SSE', url: `${base}/sse` },
    ];
    if (server.type === 'direct-proxy' && server.path && server.path !== '/' && server.path !== '/sse') {
      const path = server.path.startsWith('/') ? server.path : `/${server.path}`;
      endpoints.push({ transport: `Backend's own (${server.transport ?? 'streamable-http'})`, url: `${base}${path}` });
    }
    return { domain: domain || '(any host)', endpoints };
  });
}

export type ClientKind = 'claude' | 'cursor' | 'vscode';

/** The MCP client configuration for one server, with a credential placeholder when consumers must authenticate. */
export function clientConfig(kind: ClientKind, server: McpServer, url: string, header: 'x-api-key' | 'authorization'): string {
  const needsKey = Boolean(server.consumerAuth?.enabled);
  const headers: Record<string, string> = needsKey
    ? header === 'x-api-key'
      ? { 'x-api-key': '<YOUR_CONSUMER_KEY>' }
      : { Authorization: 'Bearer <YOUR_CONSUMER_KEY>' }
    : {};
  if (kind === 'vscode') {
    return JSON.stringify({ servers: { [server.name]: { type: 'http', url, ...(needsKey ? { headers } : {}) } } }, null, 2);
  }
  if (kind === 'cursor') {
    return JSON.stringify({ mcpServers: { [server.name]: { url, ...(needsKey ? { headers } : {}) } } }, null, 2);
  }
  // Claude Desktop's config file launches local commands; mcp-remote bridges them to a remote URL.
  const args = ['-y', 'mcp-remote', url];
  for (const [k, v] of Object.entries(headers)) args.push('--header', `${k}: ${v}`);
  return JSON.stringify({ mcpServers: { [server.name]: { command: 'npx', args } } }, null, 2);
}
