import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';

export type ClientTransportKind = 'streamable-http' | 'sse';

/** Connects the official SDK client to a gateway endpoint over the chosen transport. */
export async function connectClient(dataUrl: string, server: string, kind: ClientTransportKind, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'gateway-test', version: '1.0.0' });
  const transport =
    kind === 'streamable-http'
      ? new StreamableHTTPClientTransport(new URL(`${dataUrl}/mcp-servers/${server}`), { requestInit: { headers } })
      : new SSEClientTransport(new URL(`${dataUrl}/mcp-servers/${server}/sse`), {
          requestInit: { headers },
          eventSourceInit: { fetch: (url, init) => fetch(url, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
        });
  await client.connect(transport);
  return client;
}
