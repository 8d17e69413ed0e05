import http from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';

/*
 * A stateful test double of the Nacos 3.x HTTP API: no real Nacos can run here. It follows the documented
 * shapes of the endpoints the gateway uses:
 * - POST /nacos/v3/auth/user/login, POST /nacos/v1/auth/login (form username, password) ->
 *   {accessToken, tokenTtl, globalAdmin, username}; requests then carry the token in the
 *   `accessToken` header or query parameter; a missing, unknown or expired token is refused with 403.
 *   https://nacos.io/docs/latest/manual/user/auth/
 * - GET /nacos/v3/client/ns/instance/list?serviceName&groupName&namespaceId&healthyOnly ->
 *   {code: 0, message: "success", data: [Instance{ip, port, weight, healthy, enabled, ephemeral, clusterName, serviceName, metadata}]}
 *   https://nacos.io/docs/latest/manual/user/open-api/  (client API, "ns" module)
 * - GET /nacos/v1/ns/instance/list (Nacos 1.x/2.x) -> {name, groupName, clusters, cacheMillis, hosts: [Instance], ...}
 *   https://nacos.io/docs/v2/guide/user/open-api/
 * - GET /nacos/v3/admin/ai/mcp/list?namespaceId&mcpName&search&pageNo&pageSize ->
 *   {code: 0, data: {totalCount, pageNumber, pagesAvailable, pageItems: [McpServerBasicInfo]}}
 *   GET /nacos/v3/admin/ai/mcp?namespaceId&mcpId|mcpName -> {code: 0, data: McpServerDetailInfo}
 *   https://nacos.io/docs/latest/manual/admin/admin-api/ and https://nacos.io/docs/latest/manual/user/ai/mcp-registry/
 * Mode `v2` answers 404 for every /v3 path, like a Nacos 2.x server.
 */

export interface DoubleInstance {
  ip: string;
  port: number;
  weight?: number;
  healthy?: boolean;
  enabled?: boolean;
}

export type McpDetail = Record<string, unknown> & { name: string };

export interface NacosDouble {
  address: string;
  port: number;
  /** Requests seen, as "METHOD path". */
  log: string[];
  logins: number;
  register(service: string, instance: DoubleInstance, group?: string, namespace?: string): void;
  deregister(service: string, ip: string, port: number, group?: string, namespace?: string): void;
  update(service: string, ip: string, port: number, change: Partial<DoubleInstance>, group?: string, namespace?: string): void;
  /** Registers or replaces an MCP server (by name); returns its id. */
  putMcp(detail: McpDetail, namespace?: string): string;
  removeMcp(name: string, namespace?: string): void;
  /** Forgets every issued token, as a restart or expiry would. */
  expireTokens(): void;
  /** Token lifetime handed out on login, in seconds. */
  tokenTtl: number;
  /** Make the instance list answer with garbage of this kind. */
  malformed?: 'not-json' | 'no-data' | 'bad-instance' | 'error-code';
  /** Make the MCP server list answer without its page items. */
  malformedMcp?: boolean;
  /** Stops answering (closes the port); start() listens again on the same port with the same state. */
  stop(): Promise<void>;
  start(): Promise<void>;
}

const USER = { name: 'nacos', password: 'nacos-secret' };

function key(namespace: string, group: string, service: string): string {
  return `${namespace}|${group}|${service}`;
}

export async function startNacosDouble(opts: { version?: 'v3' | 'v2'; auth?: boolean } = {}): Promise<NacosDouble> {
  const version = opts.version ?? 'v3';
  const auth = opts.auth ?? true;
  const services = new Map<string, DoubleInstance[]>();
  const mcp = new Map<string, { id: string; namespace: string; detail: McpDetail }>();
  const tokens = new Map<string, number>();
  let server: http.Server | undefined;
  let port = 0;

  const d: NacosDouble = {
    address: '',
    port: 0,
    log: [],
    logins: 0,
    tokenTtl: 18000,
    register(service, instance, group = 'DEFAULT_GROUP', namespace = 'public') {
      const list = services.get(key(namespace, group, service)) ?? [];
      services.set(key(namespace, group, service), [...list.filter((i) => !(i.ip === instance.ip && i.port === instance.port)), { weight: 1, healthy: true, enabled: true, ...instance }]);
    },
    deregister(service, ip, p, group = 'DEFAULT_GROUP', namespace = 'public') {
      const list = services.get(key(namespace, group, service)) ?? [];
      services.set(key(namespace, group, service), list.filter((i) => !(i.ip === ip && i.port === p)));
    },
    update(service, ip, p, change, group = 'DEFAULT_GROUP', namespace = 'public') {
      const list = services.get(key(namespace, group, service)) ?? [];
      services.set(key(namespace, group, service), list.map((i) => (i.ip === ip && i.port === p ? { ...i, ...change } : i)));
    },
    putMcp(detail, namespace = 'public') {
      const existing = mcp.get(`${namespace}|${detail.name}`);
      const id = existing?.id ?? randomUUID();
      mcp.set(`${namespace}|${detail.name}`, { id, namespace, detail });
      return id;
    },
    removeMcp(name, namespace = 'public') {
      mcp.delete(`${namespace}|${name}`);
    },
    expireTokens() {
      tokens.clear();
    },
    async stop() {
      const s = server;
      server = undefined;
      if (!s) return;
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    },
    async start() {
      server = http.createServer((req, res) => void handle(req, res));
      await new Promise<void>((r) => server!.listen(port, '127.0.0.1', r));
      port = (server.address() as { port: number }).port;
      d.port = port;
      d.address = `http://127.0.0.1:${port}`;
    },
  };

  const json = (res: http.ServerResponse, status: number, body: unknown): void => void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  const ok = (res: http.ServerResponse, data: unknown): void => json(res, 200, { code: 0, message: 'success', data });

  async function readBody(req: http.IncomingMessage): Promise<string> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  }

  function instancesOf(q: URLSearchParams, namespaceDefault: string): DoubleInstance[] {
    // Nacos 2.x calls the public namespace '' in its v1 API.
    const ns = q.get('namespaceId') || namespaceDefault;
    const list = services.get(key(ns, q.get('groupName') || 'DEFAULT_GROUP', q.get('serviceName') ?? '')) ?? [];
    return q.get('healthyOnly') === 'true' ? list.filter((i) => i.healthy !== false) : list;
  }

  function full(i: DoubleInstance, service: string) {
    return { instanceId: `${i.ip}#${i.port}#DEFAULT#DEFAULT_GROUP@@${service}`, ip: i.ip, port: i.port, weight: i.weight, healthy: i.healthy, enabled: i.enabled, ephemeral: true, clusterName: 'DEFAULT', serviceName: service, metadata: {} };
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://x');
    const q = url.searchParams;
    d.log.push(`${req.method} ${url.pathname}`);
    if (version === 'v2' && url.pathname.startsWith('/nacos/v3/')) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body>Whitelabel Error Page</body></html>');
    if (req.method === 'POST' && (url.pathname === '/nacos/v3/auth/user/login' || url.pathname === '/nacos/v1/auth/login')) {
      const form = new URLSearchParams(await readBody(req));
      if (form.get('username') !== USER.name || form.get('password') !== USER.password) return json(res, 403, { code: 403, message: 'unknown user!', data: null });
      d.logins++;
      const token = randomBytes(16).toString('hex');
      tokens.set(token, Date.now() + d.tokenTtl * 1000);
      return json(res, 200, { accessToken: token, tokenTtl: d.tokenTtl, globalAdmin: true, username: USER.name });
    }
    if (auth) {
      const token = (req.headers.accesstoken as string | undefined) ?? q.get('accessToken') ?? '';
      const expires = tokens.get(token);
      if (!expires || expires < Date.now()) return json(res, 403, { code: 403, message: expires ? 'token expired!' : 'token invalid!', data: null });
    }
    if (req.method === 'GET' && (url.pathname === '/nacos/v3/client/ns/instance/list' || url.pathname === '/nacos/v1/ns/instance/list')) {
      if (!q.get('serviceName')) return json(res, 400, { code: 10000, message: 'parameter missing: serviceName', data: null });
      switch (d.malformed) {
        case 'not-json':
          return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"code":0,"data":[{"ip":');
        case 'no-data':
          return json(res, 200, { code: 0, message: 'success' });
        case 'bad-instance':
          return ok(res, [{ ip: '127.0.0.1', port: 'eighty' }]);
        case 'error-code':
          return json(res, 200, { code: 30000, message: 'server is busy', data: null });
      }
      const service = q.get('serviceName')!;
      if (url.pathname.startsWith('/nacos/v1/')) {
        const hosts = instancesOf(q, 'public').map((i) => full(i, service));
        return json(res, 200, { name: `${q.get('groupName') || 'DEFAULT_GROUP'}@@${service}`, groupName: q.get('groupName') || 'DEFAULT_GROUP', clusters: '', cacheMillis: 10000, hosts, lastRefTime: Date.now(), checksum: '', allIPs: false, reachProtectionThreshold: false, valid: true });
      }
      return ok(res, instancesOf(q, 'public').map((i) => full(i, service)));
    }
    if (req.method === 'GET' && url.pathname === '/nacos/v3/admin/ai/mcp/list') {
      if (d.malformedMcp) return ok(res, { totalCount: 1, pageItems: 'oops' });
      const ns = q.get('namespaceId') || 'public';
      const pageNo = Math.max(1, Number(q.get('pageNo') ?? 1));
      const pageSize = Math.max(1, Number(q.get('pageSize') ?? 100));
      const filter = q.get('mcpName') ?? '';
      const all = [...mcp.values()].filter((m) => m.namespace === ns && (!filter || m.detail.name.includes(filter)));
      const items = all.slice((pageNo - 1) * pageSize, pageNo * pageSize).map((m) => {
        const { toolSpec: _t, ...basic } = m.detail;
        return { ...basic, id: m.id, namespaceId: ns, enabled: m.detail.enabled ?? true };
      });
      return ok(res, { totalCount: all.length, pageNumber: pageNo, pagesAvailable: Math.max(1, Math.ceil(all.length / pageSize)), pageItems: items });
    }
    if (req.method === 'GET' && url.pathname === '/nacos/v3/admin/ai/mcp') {
      const ns = q.get('namespaceId') || 'public';
      const found = [...mcp.values()].find((m) => m.namespace === ns && (m.id === q.get('mcpId') || m.detail.name === q.get('mcpName')));
      if (!found) return json(res, 404, { code: 20004, message: 'resource not found', data: null });
      return ok(res, { ...found.detail, id: found.id, namespaceId: ns, enabled: found.detail.enabled ?? true });
    }
    json(res, 404, { code: 20004, message: `no such API: ${req.method} ${url.pathname}`, data: null });
  }

  await d.start();
  return d;
}

export const NACOS_USER = USER;
