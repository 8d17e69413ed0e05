import type { ServerRoute } from '../../snapshot/snapshot.js';

/**
 * Whether a consumer (undefined = anonymous) may use a server reached indirectly (router, tool set):
 * the same rules the data plane applies to a direct call. Servers protected by OAuth are left out:
 * their tokens are checked against their own audience, which an indirect call cannot present.
 */
export function mayUseServer(route: ServerRoute, consumer: string | undefined): boolean {
  if (!route.enabled || route.brokenReason || (!route.provider && !route.proxy)) return false;
  const spec = route.spec as { oauth?: { enabled?: boolean } } & ServerRoute['spec'];
  if (spec.oauth && spec.oauth.enabled !== false) return false;
  const auth = spec.consumerAuth;
  if (!auth?.enabled) return true;
  if (!consumer) return false;
  return !auth.allowedConsumers?.length || auth.allowedConsumers.includes(consumer);
}

/** Whether a consumer may call one tool of a server (server access plus the per-consumer allow-list). */
export function mayUseTool(route: ServerRoute, consumer: string | undefined, tool: string): boolean {
  if (!mayUseServer(route, consumer)) return false;
  const acl = route.toolAcl?.get(consumer ?? '');
  return !acl || acl.has(tool);
}
