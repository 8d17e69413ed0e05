import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Snapshot, ServerRoute } from '../snapshot/snapshot.js';
import { sendRpcError } from '../transport/http-io.js';
import { presentedCredential } from './consumers.js';
import type { Authenticator } from '../transport/context.js';

const GW_UNAUTHORIZED = -32001;
const GW_FORBIDDEN = -32003;

function challenge(error: string, description: string): string {
  return `Bearer realm="mcp-gateway", error="${error}", error_description="${description.replace(/"/g, "'")}"`;
}

/**
 * Consumer identity authentication: a server with consumerAuth.enabled needs a known consumer's
 * credential (401 with WWW-Authenticate otherwise) and, when allowedConsumers is set, one listed
 * there (403 otherwise). Runs before any session is made, and again on every later request.
 */
export function consumerAuthenticator(snapshot: () => Snapshot): Authenticator {
  return async (route: ServerRoute, req: IncomingMessage, res: ServerResponse) => {
    const auth = route.spec.consumerAuth;
    if (!auth?.enabled) return { ok: true };
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const credential = presentedCredential(req.headers, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)));
    if (!credential) {
      sendRpcError(res, 401, GW_UNAUTHORIZED, 'UNAUTHENTICATED', `MCP server "${route.name}" requires a consumer credential (Authorization: Bearer, x-api-key or ?api_key=)`, null, {
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
