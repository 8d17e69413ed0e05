import type { Dispatcher } from 'undici';
import type { TokenSourceSpec } from '../config/tool-config.js';
import { compileTemplate, type CompiledTemplate } from '../template/index.js';
import { get as gjsonGet } from '../template/gjson/index.js';

export class BackendTokenError extends Error {
  readonly code = 'BACKEND_TOKEN_FAILED';
}

/** Resolves where a token request goes (absolute URL or a path on the server's service). */
export type TokenTarget = (url: string) => { origin: string; path: string; dispatcher: Dispatcher };

const DEFAULT_LIFETIME_S = 300;
/** Refresh this long before expiry (at most; a tenth of a short lifetime). */
const REFRESH_MARGIN_MS = 30_000;

interface Cached {
  token: string;
  refreshAt: number;
  expiresAt: number;
}

/**
 * A bearer token obtained from the backend's own login (or OAuth 2.0 client credentials) endpoint:
 * fetched once, shared by every call, refreshed before it expires or after the backend answers 401.
 * Concurrent callers wait on one fetch. The token is never logged.
 */
export class BackendTokenSource {
  private cached?: Cached;
  private inflight?: Promise<string>;
  private readonly body?: CompiledTemplate;
  /** How many tokens were fetched (observable for tests and metrics). */
  fetches = 0;

  constructor(
    readonly schemeId: string,
    private readonly spec: TokenSourceSpec,
    private readonly configJson: string,
    private readonly target: TokenTarget,
    private readonly timeoutMs: number,
  ) {
    if (spec.type === 'login' && spec.body) this.body = compileTemplate(spec.body, { name: `securityScheme ${schemeId}/tokenSource.body` });
  }

  /** A valid token, fetching one when there is none or it is due for refresh. */
  async token(): Promise<string> {
    const now = Date.now();
    if (this.cached && now < this.cached.refreshAt) return this.cached.token;
    // A token still valid but due for refresh serves callers while the fetch runs.
    if (this.cached && now < this.cached.expiresAt) {
      void this.refresh().catch(() => undefined);
      return this.cached.token;
    }
    return this.refresh();
  }

  /** Drops a token the backend refused, unless a newer one is already cached. */
  invalidate(token: string): void {
    if (this.cached?.token === token) this.cached = undefined;
  }

  private refresh(): Promise<string> {
    if (!this.inflight) {
      this.inflight = this.fetch().finally(() => {
        this.inflight = undefined;
      });
    }
    return this.inflight;
  }

  private async fetch(): Promise<string> {
    this.fetches++;
    const spec = this.spec;
    let url: string;
    let method: Dispatcher.HttpMethod;
    const headers: Record<string, string> = { accept: 'application/json' };
    let body: string | undefined;
    if (spec.type === 'client-credentials') {
      url = spec.tokenUrl;
      method = 'POST';
      headers['content-type'] = 'application/x-www-form-urlencoded';
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(spec.clientId)}:${encodeURIComponent(spec.clientSecret)}`).toString('base64')}`;
      const form = new URLSearchParams({ grant_type: 'client_credentials' });
      if (spec.scope) form.set('scope', spec.scope);
      if (spec.audience) form.set('audience', spec.audience);
      body = form.toString();
    } else {
      url = spec.url;
      method = (spec.method ?? 'POST').toUpperCase() as Dispatcher.HttpMethod;
      for (const h of spec.headers ?? []) headers[h.key.toLowerCase()] = h.value;
      if (this.body) {
        body = this.body.render(`{"config":${this.configJson}}`);
        headers['content-type'] ??= body.trim().startsWith('{') ? 'application/json' : 'application/x-www-form-urlencoded';
      }
    }
    let res: Dispatcher.ResponseData;
    let text: string;
    try {
      const t = this.target(url);
      res = await t.dispatcher.request({ origin: t.origin, path: t.path, method, headers, body, signal: AbortSignal.timeout(this.timeoutMs) });
      text = await res.body.text();
    } catch (err) {
      throw new BackendTokenError(`security scheme "${this.schemeId}": the token request failed: ${(err as Error).message}`);
    }
    if (res.statusCode < 200 || res.statusCode >= 300) {
      throw new BackendTokenError(`security scheme "${this.schemeId}": the token endpoint answered ${res.statusCode}`);
    }
    const tokenPath = spec.type === 'client-credentials' ? 'access_token' : spec.tokenPath;
    const lifetimePath = spec.type === 'client-credentials' ? 'expires_in' : spec.expiresInPath;
    const token = gjsonGet(text, tokenPath).string();
    if (!token) throw new BackendTokenError(`security scheme "${this.schemeId}": no token at "${tokenPath}" in the token endpoint's answer`);
    const fromAnswer = lifetimePath ? gjsonGet(text, lifetimePath).float() : 0;
    const lifetimeS = fromAnswer > 0 ? fromAnswer : spec.type === 'login' && spec.expiresInSeconds ? spec.expiresInSeconds : DEFAULT_LIFETIME_S;
    const now = Date.now();
    const lifetimeMs = lifetimeS * 1000;
    this.cached = { token, expiresAt: now + lifetimeMs, refreshAt: now + lifetimeMs - Math.min(REFRESH_MARGIN_MS, lifetimeMs * 0.1) };
    return token;
  }
}
