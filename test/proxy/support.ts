import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema, LoggingMessageNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { REPO_ROOT } from '../support/paths.js';
import type { TestGateway } from '../support/gateway.js';

/** A loopback port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface RunningServer {
  port: number;
  address: string;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Starts a node program on a free port (env PORT) and waits until its output matches `ready`. */
export async function startNodeServer(args: string[], ready: RegExp, env: Record<string, string> = {}): Promise<RunningServer> {
  const port = await freePort();
  const child = spawn(process.execPath, args, { cwd: REPO_ROOT, env: { ...process.env, PORT: String(port), ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start:\n${out}`)), 30_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (ready.test(out)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited with ${code}:\n${out}`));
    });
  });
  // keep draining output so a chatty server never blocks on a full pipe
  child.stdout!.resume();
  child.stderr!.resume();
  return {
    port,
    address: `127.0.0.1:${port}`,
    child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

const EVERYTHING = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');

/** `@modelcontextprotocol/server-everything` in streamableHttp (serves /mcp) or sse (serves /sse + /message) mode. */
export function startEverything(mode: 'streamableHttp' | 'sse'): Promise<RunningServer> {
  return startNodeServer([EVERYTHING, mode], mode === 'sse' ? /running on port/ : /listening on port/);
}

/** Registers an MCP service and a direct-proxy server through the admin API. */
export async function registerProxy(gw: TestGateway, name: string, address: string, transport: 'sse' | 'streamable-http', backendPath: string, service: Record<string, unknown> = {}): Promise<void> {
  const svc = await gw.admin('PUT', `/api/v1/services/${name}`, { name, protocol: 'mcp', endpoints: [address], ...service });
  if (svc.status >= 300) throw new Error(`service: ${svc.status} ${JSON.stringify(svc.body)}`);
  const srv = await gw.admin('PUT', `/api/v1/mcp-servers/${name}`, { name, type: 'direct-proxy', description: `proxy ${name}`, service: name, transport, path: backendPath });
  if (srv.status >= 300) throw new Error(`server: ${srv.status} ${JSON.stringify(srv.body)}`);
  await gw.settled();
}

export interface ConnectedClient {
  client: Client;
  samplingPrompts: string[];
  elicitations: string[];
  /** Logging notifications received (data as text). */
  logs: string[];
  close(): Promise<void>;
}

/** The SDK client with sampling and elicitation handlers, connected to a full endpoint URL. */
export async function connectAt(url: string, kind: 'streamable-http' | 'sse', headers: Record<string, string> = {}): Promise<ConnectedClient> {
  const client = new Client({ name: 'proxy-test', version: '1.0.0' }, { capabilities: { sampling: {}, elicitation: {}, roots: { listChanged: true } } });
  const samplingPrompts: string[] = [];
  const elicitations: string[] = [];
  client.setRequestHandler(CreateMessageRequestSchema, async (req) => {
    const first = req.params.messages[0]?.content as { text?: string } | undefined;
    samplingPrompts.push(first?.text ?? '');
    return { role: 'assistant', content: { type: 'text', text: `sampled:${first?.text ?? ''}` }, model: 'test-model', stopReason: 'endTurn' };
  });
  const logs: string[] = [];
  client.setNotificationHandler(LoggingMessageNotificationSchema, (n) => void logs.push(String(n.params.data)));
  client.setRequestHandler(ListRootsRequestSchema, async () => ({ roots: [{ uri: 'file:///srv/proxy-root', name: 'proxy-root' }] }));
  client.setRequestHandler(ElicitRequestSchema, async (req) => {
    elicitations.push(req.params.message);
    return { action: 'accept', content: { name: 'Ada', check: true, email: 'ada@example.com', username: 'ada' } };
  });
  const transport =
    kind === 'streamable-http'
      ? new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } })
      : new SSEClientTransport(new URL(url), {
          requestInit: { headers },
          eventSourceInit: { fetch: (u, init) => fetch(u, { ...init, headers: { ...(init?.headers as Record<string, string>), ...headers } }) },
        });
  await client.connect(transport);
  return { client, samplingPrompts, elicitations, logs, close: () => client.close() };
}
