import { request } from 'undici';
import type { RegistrySpec } from '../config/resources.js';
import type { EndpointSpec } from '../transport/upstream/http-pool.js';

/*
 * A small Nacos HTTP client, written against the documented APIs:
 * - client API (instances):  https://nacos.io/docs/latest/manual/user/open-api/   (GET /nacos/v3/client/ns/instance/list)
 * - Nacos 1.x/2.x open API:  https://nacos.io/docs/v2/guide/user/open-api/        (GET /nacos/v1/ns/instance/list)
 * - auth:                    https://nacos.io/docs/latest/manual/user/auth/        (POST /nacos/v3/auth/user/login, /nacos/v1/auth/login)
 * - admin API (AI registry): https://nacos.io/docs/latest/manual/admin/admin-api/  (GET /nacos/v3/admin/ai/mcp/list, /nacos/v3/admin/ai/mcp)
 * Every v3 answer is `{code, message, data}` with code 0 on success.
 */

const TIMEOUT_MS = 5_000;
const MAX_BODY = 8 * 1024 * 1024;

/** A failure talking to Nacos, with a stable code. */
export class NacosError extends Error {
  constructor(
    readonly code: 'NACOS_UNREACHABLE' | 'NACOS_AUTH_FAILED' | 'NACOS_BAD_RESPONSE' | 'NACOS_STATUS',
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** An instance as Nacos lists it (the fields the gateway uses). */
export interface NacosInstance {
  ip: string;
  port: number;
  weight?: number;
  healthy?: boolean;
  enabled?: boolean;
}

export interface NacosServiceRef {
  service: string;
  group?: string;
  namespace?: string;
}

function form(values: Record<string, string>): string {
  return new URLSearchParams(values).toString();
}

/** Logs in when configured, keeps the token until shortly before it expires, re-logs in on 401/403. */
export class NacosClient {
  private token?: { value: string; expiresAt: number };
  private loginApi: 'v3' | 'v1' = 'v3';
  private namingApi: 'v3' | 'v1' = 'v3';

  constructor(private readonly spec: RegistrySpec) {}

  get name(): string {
    return this.spec.name;
  }

  private base(): string {
    return this.spec.address.replace(/\/+$/, '');
  }

  private async http(method: 'GET' | 'POST', path: string, query: Record<string, string>, body?: string): Promise<{ status: number; text: string }> {
    const url = `${this.base()}${path}${Object.keys(query).length ? `?${form(query)}` : ''}`;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
    if (this.token && !path.includes('/auth/')) headers.accesstoken = this.token.value;
    let res;
    try {
      res = await request(url, { method, headers, body, headersTimeout: TIMEOUT_MS, bodyTimeout: TIMEOUT_MS });
    } catch (err) {
      const e = err as { code?: string; message: string };
      throw new NacosError('NACOS_UNREACHABLE', `Nacos registry "${this.spec.name}" at ${this.base()} is unreachable (${e.code ?? e.message})`);
    }
    let size = 0;
    const chunks: Buffer[] = [];
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_BODY) {
        res.body.destroy();
        throw new NacosError('NACOS_BAD_RESPONSE', `Nacos registry "${this.spec.name}": answer of ${path} exceeds ${MAX_BODY} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
    return { status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') };
  }

  private async login(): Promise<void> {
    if (!this.spec.username) return;
    const body = form({ username: this.spec.username, password: this.spec.password ?? '' });
    let res = await this.http('POST', this.loginApi === 'v3' ? '/nacos/v3/auth/user/login' : '/nacos/v1/auth/login', {}, body);
    if (res.status === 404 && this.loginApi === 'v3') {
      this.loginApi = 'v1';
      res = await this.http('POST', '/nacos/v1/auth/login', {}, body);
    }
    if (res.status !== 200) throw new NacosError('NACOS_AUTH_FAILED', `Nacos registry "${this.spec.name}": login as "${this.spec.username}" failed (HTTP ${res.status})`, res.status);
    let parsed: { accessToken?: unknown; tokenTtl?: unknown; data?: { accessToken?: unknown; tokenTtl?: unknown } };
    try {
      parsed = JSON.parse(res.text);
    } catch {
      throw new NacosError('NACOS_BAD_RESPONSE', `Nacos registry "${this.spec.name}": the login answer is not JSON`);
    }
    const tokenHolder = typeof parsed.accessToken === 'string' ? parsed : parsed.data;
    if (!tokenHolder || typeof tokenHolder.accessToken !== 'string') throw new NacosError('NACOS_BAD_RESPONSE', `Nacos registry "${this.spec.name}": the login answer has no accessToken`);
    const ttl = typeof tokenHolder.tokenTtl === 'number' && tokenHolder.tokenTtl > 0 ? tokenHolder.tokenTtl : 18_000;
    // Renew at 90% of the lifetime so polls never race the expiry.
    this.token = { value: tokenHolder.accessToken, expiresAt: Date.now() + ttl * 900 };
  }

  /** GET with the token; logs in first when needed and once more when Nacos refuses the token. */
  private async get(path: string, query: Record<string, string>): Promise<{ status: number; text: string }> {
    if (this.spec.username && (!this.token || Date.now() >= this.token.expiresAt)) await this.login();
    const withToken = () => (this.token ? { ...query, accessToken: this.token.value } : query);
    let res = await this.http('GET', path, withToken());
    if ((res.status === 401 || res.status === 403) && this.spec.username) {
      this.token = undefined;
      await this.login();
      res = await this.http('GET', path, withToken());
    }
    if (res.status === 401 || res.status === 403) throw new NacosError('NACOS_AUTH_FAILED', `Nacos registry "${this.spec.name}" refused access to ${path} (HTTP ${res.status})`, res.status);
    return res;
  }

  /** Parses a `{code, message, data}` answer and returns data. */
  private v3Data(path: string, res: { status: number; text: string }): unknown {
    if (res.status !== 200) throw new NacosError('NACOS_STATUS', `Nacos registry "${this.spec.name}": ${path} answered HTTP ${res.status}`, res.status);
    let parsed: { code?: unknown; message?: unknown; data?: unknown };
    try {
      parsed = JSON.parse(res.text);
    } catch {
      throw new NacosError('NACOS_BAD_RESPONSE', `Nacos registry "${this.spec.name}": ${path} did not answer JSON`);
    }
    if (parsed === null || typeof parsed !== 'object') throw new NacosError('NACOS_BAD_RESPONSE', `Nacos registry "${this.spec.name}": ${path} answered ${typeof parsed}`);
    if (parsed.code !== 0) throw new NacosError('NACOS_STATUS', `Nacos registry "${this.spec.name}": ${path} failed: code ${String(parsed.code)} ${String(parsed.message ?? '')}`);
    return parsed.data;
  }

  /**
   * Healthy, enabled instances of a service with their weights. Uses the v3 client API and falls
   * back to the v1 open API for Nacos 2.x (which has no /v3).
   */
  async instances(ref: NacosServiceRef): Promise<EndpointSpec[]> {
    const namespace = ref.namespace ?? this.spec.namespace ?? 'public';
    const group = ref.group ?? 'DEFAULT_GROUP';
    let raw: unknown;
    if (this.namingApi === 'v3') {
      const path = '/nacos/v3/client/ns/instance/list';
      const res = await this.get(path, { serviceName: ref.service, groupName: group, namespaceId: namespace, healthyOnly: 'true' });
      if (res.status === 404 && !res.text.trim().startsWith('{')) this.namingApi = 'v1';
      else raw = this.v3Data(path, res);
    }
    if (this.namingApi === 'v1') {
      const path = '/nacos/v1/ns/instance/list';
      // Nacos 2.x calls the public namespace '' in the v1 API.
      const res = await this.get(path, { serviceName: ref.service, groupName: group, namespaceId: namespace === 'public' ? '' : namespace, healthyOnly: 'true' });
      if (res.status !== 200) throw new NacosError('NACOS_STATUS', `Nacos registry "${this.spec.name}": ${path} answered HTTP ${res.status}`, res.status);
      try {
        raw = (JSON.parse(res.text) as { hosts?: unknown }).hosts;
      } catch {
        throw new NacosError('NACOS_BAD_RESPONSE', `Nacos registry "${this.spec.name}": ${path} did not answer JSON`);
      }
    }
    if (!Array.isArray(raw)) throw new NacosError('NACOS_BAD_RESPONSE', `Nacos registry "${this.spec.name}": the instance list of "${ref.service}" is not an array`);
    const out: EndpointSpec[] = [];
    for (const item of raw as NacosInstance[]) {
      if (!item || typeof item !== 'object' || typeof item.ip !== 'string' || !Number.isInteger(item.port) || item.port < 1 || item.port > 65535) {
        throw new NacosError('NACOS_BAD_RESPONSE', `Nacos registry "${this.spec.name}": an instance of "${ref.service}" has no valid ip and port`);
      }
      if (item.healthy === false || item.enabled === false) continue;
      const weight = typeof item.weight === 'number' && Number.isFinite(item.weight) ? item.weight : 1;
      if (weight <= 0) continue;
      // Nacos weights are floats (default 1.0); the balancer works in integers.
      out.push({ address: item.ip.includes(':') ? `[${item.ip}]:${item.port}` : `${item.ip}:${item.port}`, weight: Math.max(1, Math.round(weight * 100)) });
    }
    return out;
  }

  /** Every MCP server registered in the namespace (list pages, then one detail call per server). */
  async mcpServers(): Promise<Array<Record<string, unknown>>> {
    const namespace = this.spec.namespace ?? 'public';
    const items: Array<Record<string, unknown>> = [];
    for (let page = 1; page <= 100; page++) {
      const path = '/nacos/v3/admin/ai/mcp/list';
      const data = this.v3Data(path, await this.get(path, { namespaceId: namespace, pageNo: String(page), pageSize: '100', search: 'blur', mcpName: '' })) as {
        pageItems?: unknown;
        pagesAvailable?: unknown;
      };
      if (!data || !Array.isArray(data.pageItems)) throw new NacosError('NACOS_BAD_RESPONSE', `Nacos registry "${this.spec.name}": ${path} has no pageItems`);
      items.push(...(data.pageItems as Array<Record<string, unknown>>));
      if (typeof data.pagesAvailable !== 'number' || page >= data.pagesAvailable) break;
    }
    const details: Array<Record<string, unknown>> = [];
    for (const item of items) {
      if (!item || typeof item !== 'object' || typeof item.name !== 'string') continue;
      const path = '/nacos/v3/admin/ai/mcp';
      const query: Record<string, string> = { namespaceId: namespace };
      if (typeof item.id === 'string' && item.id) query.mcpId = item.id;
      else query.mcpName = item.name;
      const detail = this.v3Data(path, await this.get(path, query));
      if (detail && typeof detail === 'object') details.push(detail as Record<string, unknown>);
    }
    return details;
  }
}
