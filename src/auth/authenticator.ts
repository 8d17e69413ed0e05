import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Snapshot, ServerRoute } from '../snapshot/snapshot.js';
import { sendRpcError } from '../transport/http-io.js';
import { DEFAULT_KEY_LOCATIONS, presentedCredential, type KeyLocations } from './consumers.js';
import { baseUrlOf, checkAccessToken, metadataUrl } from './oauth.js';
import type { Authenticator } from '../transport/context.js';

const GW_UNAUTHORIZED = -32001;
const EMPTY_QUERY = new URLSearchParams();
const GW_FORBIDDEN = -32003;

function challenge(error: string, description: string): string {
  return `Bearer realm="mcp-gateway", error="${error}", error_description="${description.replace(/"/g, "'")}"`;
}

/**
 * Consumer identity authentication: a server with consumerAuth.enabled needs a known consumer's
 * credential (401 with WWW-Authenticate otherwise) and, when allowedConsumers is set, one listed
 * there (403 otherwise). Runs before any session is made, and again on every later request.
 */
export function consumerAuthenticator(snapshot: () => Snapshot, publicUrl?: string, keys: KeyLocations = DEFAULT_KEY_LOCATIONS): Authenticator {
  return async (route: ServerRoute, req: IncomingMessage, res: ServerResponse) => {
    if (route.spec.oauth && route.spec.oauth.enabled !== false) return oauthCheck(route, req, res, snapshot, publicUrl);
    const auth = route.spec.consumerAuth;
    if (!auth?.enabled) return { ok: true };
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const credential = presentedCredential(req.headers, q === -1 ? EMPTY_QUERY : new URLSearchParams(url.slice(q + 1)), keys);
    if (!credential) {
      sendRpcError(res, 401, GW_UNAUTHORIZED, 'UNAUTHENTICATED', `MCP server "${route.name}" requires a consumer credential (Authorization: Bearer, ${keys.header} or ?${keys.query}=)`, null, {
        'www-authenticate': challenge('invalid_request', 'a consumer credential is required'),
      });
      return { ok: false };
    }
    const found = await snapshot().consumerDirectory.identify(credential.value);
    if ('error' in found) {
      sendRpcError(res, 401, GW_UNAUTHORIZED, 'INVALID_CREDENTIAL', `the credential is not valid: ${found.error}`, null, {
        'www-authenticate': challenge('invalid_token', found.error),
      });
      return { ok: false };
    }
    const allowed = auth.allowedConsumers;
    if (allowed && allowed.length > 0 && !allowed.includes(found.consumer)) {
      sendRpcError(res, 403, GW_FORBIDDEN, 'CONSUMER_NOT_ALLOWED', `consumer "${found.consumer}" may not use MCP server "${route.name}"`);
      return { ok: false };
    }
    return { ok: true, consumer: found.consumer };
  };
}

/** MCP authorization (2025-06-18+): the gateway as resource server for this MCP server. */
async function oauthCheck(route: ServerRoute, req: IncomingMessage, res: ServerResponse, snapshot: () => Snapshot, publicUrl: string | undefined): Promise<{ ok: true; consumer?: string } | { ok: false }> {
  const base = baseUrlOf(req, publicUrl);
  const auth = req.headers.authorization;
  const token = auth && /^bearer\s+/i.test(auth) ? auth.replace(/^bearer\s+/i, '').trim() : undefined;
  const result = await checkAccessToken(route.spec, token, base);
  if (result.ok) {
    // A token whose issuer and subject match a configured JWT consumer acts as that consumer.
    const consumer = snapshot().consumerDirectory.consumerForClaims(result.claims);
    return { ok: true, consumer };
  }
  const scope = route.spec.oauth?.scopes?.length ? `, scope="${route.spec.oauth.scopes.join(' ')}"` : '';
  const header = `Bearer resource_metadata="${metadataUrl(base, route.name)}"${scope}${token ? `, error="${result.error}", error_description="${result.description.replace(/"/g, "'")}"` : ''}`;
  const code = result.error === 'insufficient_scope' ? 'INSUFFICIENT_SCOPE' : token ? 'INVALID_TOKEN' : 'UNAUTHENTICATED';
  sendRpcError(res, result.status, result.status === 403 ? GW_FORBIDDEN : GW_UNAUTHORIZED, code, `MCP server "${route.name}": ${result.description}`, null, { 'www-authenticate': header });
  return { ok: false };
}
