import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ServerRoute, Snapshot } from '../../snapshot/snapshot.js';
import type { Authenticator } from '../../transport/context.js';
import { sendRpcError } from '../../transport/http-io.js';
import { DEFAULT_KEY_LOCATIONS, presentedCredential, type KeyLocations } from '../../auth/consumers.js';
import { McpRouter } from './provider.js';

/**
 * Authentication in front of the router: a credential, when presented, must be valid and names
 * the consumer whose tools the router offers; without one the caller is anonymous and sees only
 * servers without consumer auth. Every other route goes to `inner`.
 */
export function routerAwareAuthenticator(inner: () => Authenticator, snapshot: () => Snapshot, keys: KeyLocations = DEFAULT_KEY_LOCATIONS): Authenticator {
  return async (route: ServerRoute, req: IncomingMessage, res: ServerResponse) => {
    if (!(route.provider instanceof McpRouter)) return inner()(route, req, res);
    const url = req.url ?? '';
    const q = url.indexOf('?');
    const credential = presentedCredential(req.headers, new URLSearchParams(q === -1 ? '' : url.slice(q + 1)), keys);
    if (!credential) return { ok: true };
    const found = await snapshot().consumerDirectory.identify(credential.value);
    if ('error' in found) {
      sendRpcError(res, 401, -32001, 'INVALID_CREDENTIAL', `the credential is not valid: ${found.error}`, null, {
        'www-authenticate': `Bearer realm="mcp-gateway", error="invalid_token", error_description="${found.error.replace(/"/g, "'")}"`,
      });
      return { ok: false };
    }
    return { ok: true, consumer: found.consumer };
  };
}
