import type { AuditEntry, Instance, McpTool, Traffic } from './types.js';

/** One problem reported by the admin API, pointing at a field (`path`) or a YAML position. */
export interface ErrorDetail {
  path?: string;
  line?: number;
  column?: number;
  message: string;
}

/** An error answer of the admin API: `{"error": {code, message, details}}`, or a network failure (status 0). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: ErrorDetail[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export type Kind = 'services' | 'registries' | 'mcp-servers' | 'consumers';

// The contract does not fix the list envelope: accept a bare array or the first array member of an object.
function pickArray<T>(body: unknown, preferred: string[]): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object') {
    const record = body as Record<string, unknown>;
    for (const key of preferred) if (Array.isArray(record[key])) return record[key] as T[];
    for (const value of Object.values(record)) if (Array.isArray(value)) return value as T[];
  }
  return [];
}

/** Client of the gateway's public admin API, authenticated with the admin bearer token. */
export class AdminApi {
  constructor(
    private readonly token: string,
    private readonly base = '',
    private readonly onUnauthorized?: () => void,
  ) {}

  /** Sends one request; resolves with the parsed JSON body (undefined for 204) or rejects with ApiError. */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}/api/v1${path}`, {
        method,
        headers: {
          Authorization: `Bearer ${this.token}`,
          Accept: 'application/json',
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      throw new ApiError(0, 'NETWORK', `Cannot reach the admin API (${(err as Error).message})`);
    }
    const text = await res.text();
    let parsed: unknown = undefined;
    if (text) {
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
    }
    if (!res.ok) {
      const error = (parsed as { error?: { code?: string; message?: string; details?: ErrorDetail[] } } | undefined)?.error;
      if (res.status === 401) this.onUnauthorized?.();
      throw new ApiError(
        res.status,
        error?.code ?? `HTTP_${res.status}`,
        error?.message ?? (text.slice(0, 200) || res.statusText || `HTTP ${res.status}`),
        Array.isArray(error?.details) ? error.details : [],
      );
    }
    return parsed as T;
  }

  list<T>(kind: Kind): Promise<T[]> {
    return this.request<unknown>('GET', `/${kind}`).then((b) => pickArray<T>(b, ['items', 'data', kind]));
  }

  get<T>(kind: Kind, name: string): Promise<T> {
    return this.request<T>('GET', `/${kind}/${encodeURIComponent(name)}`);
  }

  create<T>(kind: Kind, value: T): Promise<T> {
    return this.request<T>('POST', `/${kind}`, value);
  }

  put<T>(kind: Kind, name: string, value: T): Promise<T> {
    return this.request<T>('PUT', `/${kind}/${encodeURIComponent(name)}`, value);
  }

  remove(kind: Kind, name: string): Promise<void> {
    return this.request<void>('DELETE', `/${kind}/${encodeURIComponent(name)}`);
  }

  tools(server: string): Promise<McpTool[]> {
    return this.request<unknown>('GET', `/mcp-servers/${encodeURIComponent(server)}/tools`).then((b) =>
      pickArray<McpTool>(b, ['tools', 'items']),
    );
  }

  openapiToMcp(content: string, serverName?: string): Promise<{ yaml: string; warnings: unknown[] }> {
    return this.request('POST', '/openapi-to-mcp', { content, ...(serverName ? { serverName } : {}) });
  }

  traffic(server: string): Promise<Traffic> {
    return this.request<Traffic>('GET', `/mcp-servers/${encodeURIComponent(server)}/traffic`);
  }

  instances(): Promise<Instance[]> {
    return this.request<unknown>('GET', '/instances').then((b) => pickArray<Instance>(b, ['instances', 'items']));
  }

  audit(): Promise<AuditEntry[]> {
    return this.request<unknown>('GET', '/audit').then((b) => pickArray<AuditEntry>(b, ['entries', 'items', 'audit']));
  }
}

/** Whether an error detail's path names `field` or something inside it (`endpoints` covers `endpoints.0`). */
function concerns(path: string | undefined, field: string): boolean {
  if (!path) return false;
  const p = path.replace(/^\//, '').replace(/\//g, '.').replace(/\[(\d+)\]/g, '.$1');
  return p === field || p.startsWith(`${field}.`);
}

/** Messages of an error's details that concern one form field. */
export function fieldErrors(err: unknown, field: string): string[] {
  if (!(err instanceof ApiError)) return [];
  return err.details.filter((d) => concerns(d.path, field)).map((d) => d.message);
}

/** Details that no form field claims, to be shown at the top of the form. */
export function unclaimedErrors(err: unknown, fields: string[]): ErrorDetail[] {
  if (!(err instanceof ApiError)) return [];
  return err.details.filter((d) => !fields.some((f) => concerns(d.path, f)));
}
