import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO_ROOT } from './site.js';

/** What test/support/gateway.ts hands back (its contract with the lead). */
export interface RunningGateway {
  adminUrl: string;
  dataUrl: string;
  adminToken: string;
  stop(): Promise<void> | void;
}

/** Which gateway features answer, probed once so each test can skip (visibly) what is not built yet. */
export interface Capabilities {
  gateway: boolean;
  adminApi: boolean;
  create: boolean;
  openapiToMcp: boolean;
  toolsList: boolean;
  dataPlane: boolean;
  cors: boolean;
  servesConsole: boolean;
}

export const NO_CAPABILITIES: Capabilities = {
  gateway: false,
  adminApi: false,
  create: false,
  openapiToMcp: false,
  toolsList: false,
  dataPlane: false,
  cors: false,
  servesConsole: false,
};

const SUPPORT = join(REPO_ROOT, 'test', 'support', 'gateway.ts');

/** The outcome of trying to start the gateway: running, not buildable yet (no support module), or broken. */
export type GatewayStart = { gateway: RunningGateway; failure?: undefined } | { gateway: null; failure: string | null };

/**
 * Starts the real gateway through test/support/gateway.ts. `failure` is null while that module does not
 * exist yet, and the error text when it exists but the gateway does not start (a test reports that).
 */
export async function startGatewayIfAvailable(): Promise<GatewayStart> {
  if (!existsSync(SUPPORT)) return { gateway: null, failure: null };
  try {
    const mod = (await import(pathToFileURL(SUPPORT).href)) as { startGateway: (opts?: unknown) => Promise<RunningGateway> };
    return { gateway: await mod.startGateway() };
  } catch (err) {
    return { gateway: null, failure: err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err) };
  }
}

async function status(url: string, init?: RequestInit): Promise<Response | null> {
  try {
    return await fetch(url, { ...init, signal: AbortSignal.timeout(5000) });
  } catch {
    return null;
  }
}

/** Sends one admin API request with the gateway's token. */
export function admin(gw: RunningGateway, method: string, path: string, body?: unknown): Promise<Response> {
  return fetch(`${gw.adminUrl}/api/v1${path}`, {
    method,
    headers: { Authorization: `Bearer ${gw.adminToken}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

/** Probes the running gateway for the features the console tests rely on. */
export async function probe(gw: RunningGateway | null, pageOrigin: string): Promise<Capabilities> {
  if (!gw) return { ...NO_CAPABILITIES };
  const caps: Capabilities = { ...NO_CAPABILITIES, gateway: true };
  const list = await status(`${gw.adminUrl}/api/v1/mcp-servers`, { headers: { Authorization: `Bearer ${gw.adminToken}` } });
  caps.adminApi = list?.status === 200;
  if (caps.adminApi) {
    const name = `console-probe-${process.pid}`;
    const created = await admin(gw, 'POST', '/services', { name, protocol: 'http', endpoints: ['127.0.0.1:9'] }).catch(() => null);
    caps.create = created?.status === 201;
    if (caps.create) await admin(gw, 'DELETE', `/services/${name}`).catch(() => undefined);
    const doc = { openapi: '3.0.3', info: { title: 'probe', version: '1' }, paths: { '/x': { get: { operationId: 'probeX', responses: { '200': { description: 'ok' } } } } } };
    const converted = await admin(gw, 'POST', '/openapi-to-mcp', { content: JSON.stringify(doc) }).catch(() => null);
    caps.openapiToMcp = converted?.status === 200 && typeof ((await converted.json()) as { yaml?: unknown }).yaml === 'string';
    const servers = (await list!.json().catch(() => [])) as unknown;
    const arr = Array.isArray(servers) ? servers : (Object.values((servers ?? {}) as object).find(Array.isArray) ?? []);
    const first = (arr as Array<{ name?: string }>)[0]?.name;
    if (first) caps.toolsList = (await status(`${gw.adminUrl}/api/v1/mcp-servers/${first}/tools`, { headers: { Authorization: `Bearer ${gw.adminToken}` } }))?.status === 200;
  }
  caps.dataPlane = (await status(`${gw.dataUrl}/healthz`))?.status === 200;
  const preflight = await status(`${gw.dataUrl}/mcp-servers/any`, {
    method: 'OPTIONS',
    headers: { Origin: pageOrigin, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,mcp-session-id,mcp-protocol-version' },
  });
  caps.cors = Boolean(preflight?.headers.get('access-control-allow-origin'));
  const index = await status(`${gw.adminUrl}/`);
  caps.servesConsole = index?.status === 200 && (await index.text()).includes('<div id="root">');
  return caps;
}

const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'console-probe', version: '1' } },
});

/** POSTs an MCP initialize to a data-plane server and returns the HTTP status (0 when unreachable). */
export async function initializeStatus(gw: RunningGateway, server: string, headers: Record<string, string> = {}): Promise<number> {
  const res = await status(`${gw.dataUrl}/mcp-servers/${server}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
    body: INIT,
  });
  await res?.body?.cancel().catch(() => undefined);
  return res?.status ?? 0;
}

async function within(ms: number, check: () => Promise<boolean>): Promise<boolean> {
  const until = Date.now() + ms;
  for (;;) {
    if (await check().catch(() => false)) return true;
    if (Date.now() > until) return false;
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Does the data plane refuse (401) a client without credentials on a server that requires consumers? */
export async function probeConsumerAuth(gw: RunningGateway): Promise<boolean> {
  const name = `console-probe-auth-${process.pid}`;
  const tools = `server:\n  name: ${name}\ntools:\n  - name: noop\n    description: probe\n    requestTemplate:\n      url: http://127.0.0.1:9/\n      method: GET\n`;
  const created = await admin(gw, 'POST', '/mcp-servers', { name, type: 'http-to-mcp', description: 'probe', tools, consumerAuth: { enabled: true, allowedConsumers: [] } }).catch(() => null);
  if (created?.status !== 201) return false;
  try {
    return await within(3000, async () => (await initializeStatus(gw, name)) === 401);
  } finally {
    await admin(gw, 'DELETE', `/mcp-servers/${name}`).catch(() => undefined);
  }
}

/** What works for a direct-proxy server: tools/list through the data plane, and the admin API's tool list. */
export interface DirectProxyCapabilities {
  dataPlane: boolean;
  adminTools: boolean;
}

async function listsEcho(res: Response | null): Promise<boolean> {
  if (!res || res.status !== 200) return false;
  const text = await res.text();
  return text.includes('"echo"');
}

/** Probes a direct-proxy server to the MCP backend at `address` (Streamable HTTP at /mcp). */
export async function probeDirectProxy(gw: RunningGateway, address: string): Promise<DirectProxyCapabilities> {
  const none = { dataPlane: false, adminTools: false };
  const name = `console-probe-proxy-${process.pid}`;
  const svc = await admin(gw, 'POST', '/services', { name, protocol: 'mcp', endpoints: [address] }).catch(() => null);
  if (svc?.status !== 201) return none;
  try {
    const created = await admin(gw, 'POST', '/mcp-servers', { name, type: 'direct-proxy', description: 'probe', service: name, transport: 'streamable-http', path: '/mcp' }).catch(() => null);
    if (created?.status !== 201) return none;
    const dataPlane = await within(5000, async () => {
      const init = await status(`${gw.dataUrl}/mcp-servers/${name}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: INIT,
      });
      const session = init?.headers.get('mcp-session-id');
      await init?.text();
      if (init?.status !== 200) return false;
      const headers = { 'content-type': 'application/json', accept: 'application/json, text/event-stream', 'mcp-protocol-version': '2025-06-18', ...(session ? { 'mcp-session-id': session } : {}) };
      await status(`${gw.dataUrl}/mcp-servers/${name}`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }) }).then((r) => r?.text());
      const list = await status(`${gw.dataUrl}/mcp-servers/${name}`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }) });
      return listsEcho(list);
    });
    const adminTools = await within(3000, async () => listsEcho(await admin(gw, 'GET', `/mcp-servers/${name}/tools`)));
    return { dataPlane, adminTools };
  } finally {
    await admin(gw, 'DELETE', `/mcp-servers/${name}`).catch(() => undefined);
    await admin(gw, 'DELETE', `/services/${name}`).catch(() => undefined);
  }
}
