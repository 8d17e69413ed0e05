import { timingSafeEqual, createHash } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import fastifySwagger from '@fastify/swagger';
import { RESOURCE_KINDS, type ResourceKind, type Store } from '../store/types.js';
import { KIND_LABEL, RESOURCE_SCHEMAS } from '../config/schemas.js';
import { Errors, GatewayError } from '../errors.js';
import type { ResourceService } from './resources.js';
import { decryptSpec, maskSpec, type SecretCipher } from './secret-fields.js';
import type { Snapshot } from '../snapshot/snapshot.js';
import type { Logger } from '../observe/logger.js';
import type { AdminExtension } from './admin-extensions.js';
import type { GatewayMetrics } from '../observe/metrics.js';

export interface AdminApiDeps {
  resources: ResourceService;
  store: Store;
  cipher: SecretCipher;
  adminToken: string;
  /** Further admin tokens, each with a name (the audit actor) and a scope. */
  namedTokens?: NamedAdminToken[];
  snapshot(): Snapshot;
  log: Logger;
  version: string;
  maxBodyBytes: number;
  ready(): boolean;
  /** Shared services (store, Redis) as the data plane's /readyz reports them. */
  dependencies?: () => { ok: boolean; checks: Record<string, string> };
  metrics?: GatewayMetrics;
  /** Lists a direct-proxy server's tools by asking its backend (through the data plane). */
  listProxyTools?: (server: string) => Promise<{ tools: unknown[] }>;
  /** Called before a scrape, to refresh gauges. */
  beforeScrape?: () => void;
  /** Features that add routes (OpenAPI import, console, metrics) register here. */
  extensions?: AdminExtension[];
}

const ERROR_SCHEMA = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      required: ['code', 'message'],
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, line: { type: 'integer' }, column: { type: 'integer' }, code: { type: 'string' }, message: { type: 'string' } } } },
      },
    },
  },
};

/** Who an admin request acts as. */
export interface AdminPrincipal {
  name: string;
  scope: 'read-only' | 'read-write';
}

export interface NamedAdminToken extends AdminPrincipal {
  token: string;
}

const principals = new WeakMap<FastifyRequest, AdminPrincipal>();

/** Parses MCPGW_ADMIN_TOKENS: `name=scope:token` entries, comma-separated (scope read-only | read-write). */
export function parseNamedTokens(text: string | undefined): NamedAdminToken[] {
  if (!text) return [];
  return text.split(',').map((entry) => entry.trim()).filter(Boolean).map((entry) => {
    const m = /^([A-Za-z0-9_.-]{1,64})=(read-only|read-write):(.{16,})$/.exec(entry);
    if (!m) throw new GatewayError('INVALID_SETTING', 400, `MCPGW_ADMIN_TOKENS: entries are name=read-only:TOKEN or name=read-write:TOKEN with a token of 16+ characters; got "${entry.split(':')[0]}:…"`);
    return { name: m[1], scope: m[2] as AdminPrincipal['scope'], token: m[3] };
  });
}

function tokenMatches(given: string, expected: string): boolean {
  // Hash both sides so the comparison is constant-time whatever the lengths.
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

function errorReply(reply: FastifyReply, err: GatewayError): FastifyReply {
  const headers: Record<string, string> = {};
  if (err.status === 401) headers['www-authenticate'] = 'Bearer realm="mcp-gateway-admin"';
  return reply.code(err.status).headers(headers).type('application/json').send(err.toJSON());
}

/** The admin REST API (and the routes of registered extensions) on its own Fastify instance. */
export async function buildAdminApi(deps: AdminApiDeps): Promise<FastifyInstance> {
  const app = Fastify({ logger: false, bodyLimit: deps.maxBodyBytes, ajv: { customOptions: { strict: false } } });
  // Resource bodies are validated by the ResourceService (one place, one error shape); route schemas only document.
  app.setValidatorCompiler(() => () => true);
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));

  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'MCP gateway admin API', version: deps.version, description: 'Manage services, registries, MCP servers and consumers. Changes take effect on the data plane without restart.' },
      components: {
        securitySchemes: { adminToken: { type: 'http', scheme: 'bearer' } },
        schemas: Object.fromEntries(RESOURCE_KINDS.map((k) => [RESOURCE_SCHEMAS[k].$id as string, stripId(RESOURCE_SCHEMAS[k])])),
      },
      security: [{ adminToken: [] }],
    },
  });

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, _req, reply) => {
    if (err instanceof GatewayError) return errorReply(reply, err);
    if (err.code === 'STORE_CONFLICT') return errorReply(reply, Errors.conflict(err.message));
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return errorReply(reply, Errors.tooLarge(deps.maxBodyBytes));
    if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') return errorReply(reply, new GatewayError('UNSUPPORTED_MEDIA_TYPE', 415, 'the body must be application/json'));
    if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') return errorReply(reply, Errors.invalidJson('the body is empty'));
    if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') return errorReply(reply, Errors.invalidJson(err.message));
    if (err.statusCode && err.statusCode >= 400 && err.statusCode < 500) return errorReply(reply, new GatewayError('BAD_REQUEST', err.statusCode, err.message));
    deps.log.error({ err }, 'admin request failed');
    return errorReply(reply, Errors.internal());
  });
  app.setNotFoundHandler((req, reply) => errorReply(reply, Errors.routeNotFound(req.method, req.url.split('?')[0])));

  app.addHook('onRequest', async (req: FastifyRequest) => {
    const path = req.url.split('?')[0];
    if (!path.startsWith('/api/') || path === '/api/v1/openapi.json') return;
    const auth = req.headers.authorization;
    const token = auth?.toLowerCase().startsWith('bearer ') ? auth.slice(7).trim() : undefined;
    if (!token) throw Errors.unauthorized();
    let principal: AdminPrincipal | undefined;
    if (tokenMatches(token, deps.adminToken)) principal = { name: 'admin', scope: 'read-write' };
    else principal = (deps.namedTokens ?? []).find((t) => tokenMatches(token, t.token));
    if (!principal) throw Errors.unauthorized();
    if (principal.scope === 'read-only' && req.method !== 'GET' && req.method !== 'HEAD') {
      throw Errors.forbidden(`admin token "${principal.name}" is read-only`);
    }
    principals.set(req, principal);
  });

  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const shared = deps.dependencies?.();
    const ok = deps.ready() && (shared?.ok ?? true);
    return reply.code(ok ? 200 : 503).send({ status: ok ? 'ready' : deps.ready() ? 'degraded' : 'starting', ...(shared ? { checks: shared.checks } : {}) });
  });
  app.get('/metrics', { schema: { hide: true } }, async (_req, reply) => {
    if (!deps.metrics) return reply.code(404).send(Errors.routeNotFound('GET', '/metrics').toJSON());
    deps.beforeScrape?.();
    return reply.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });
  app.get('/api/v1/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  for (const kind of RESOURCE_KINDS) registerKind(app, kind, deps);

  app.get('/api/v1/mcp-servers/:name/tools', {
    schema: { tags: ['mcp-servers'], summary: 'The effective tool list, as MCP tools/list returns it', params: { type: 'object', properties: { name: { type: 'string' } } } },
  }, async (req) => {
    const { name } = req.params as { name: string };
    const route = deps.snapshot().servers.get(name);
    if (!route) throw Errors.notFound('MCP server', name);
    if (route.brokenReason) throw new GatewayError('SERVER_BROKEN', 409, route.brokenReason);
    if (route.proxy && deps.listProxyTools) {
      try {
        return await deps.listProxyTools(name);
      } catch (err) {
        throw new GatewayError('UPSTREAM_UNAVAILABLE', 502, `MCP server "${name}": its backend did not list its tools: ${(err as Error).message}`);
      }
    }
    if (!route.provider) return { tools: [] };
    return { tools: route.provider.listTools({ headers: {}, protocolVersion: '2025-11-25' }) };
  });

  app.get('/api/v1/mcp-servers/:name/traffic', {
    schema: {
      tags: ['mcp-servers'],
      summary: "Recent traffic of a server on this replica: requests, errors and latency per time bucket, oldest first",
      params: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
      querystring: { type: 'object', properties: { buckets: { type: 'integer', minimum: 1, maximum: 90, description: 'how many of the latest buckets (default all 90)' } } },
      response: {
        200: {
          type: 'object',
          properties: {
            server: { type: 'string' },
            bucketSeconds: { type: 'integer' },
            buckets: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  start: { type: 'integer', description: 'bucket start, ms since the epoch' },
                  calls: { type: 'integer', description: 'JSON-RPC requests answered' },
                  errors: { type: 'integer', description: 'of which failed (JSON-RPC error, refusal, backend failure)' },
                  meanMs: { type: 'number' },
                  maxMs: { type: 'number' },
                },
              },
            },
          },
        },
        401: ERROR_SCHEMA,
        404: ERROR_SCHEMA,
      },
    },
  }, async (req) => {
    const { name } = req.params as { name: string };
    if (!deps.snapshot().servers.has(name)) throw Errors.notFound('MCP server', name);
    const timeline = deps.metrics?.timeline;
    const count = Number((req.query as { buckets?: number }).buckets ?? 90);
    return { server: name, bucketSeconds: (timeline?.bucketMs ?? 10_000) / 1000, buckets: timeline ? timeline.buckets(name, count) : [] };
  });

  app.get('/api/v1/instances', { schema: { tags: ['cluster'], summary: 'Gateway replicas: id, address, version, started, last heartbeat' } }, async () => ({ items: await deps.store.listInstances() }));

  app.get('/api/v1/audit', {
    schema: { tags: ['audit'], summary: 'Admin changes, newest first (secrets masked)', querystring: { type: 'object', properties: { limit: { type: 'integer' }, beforeId: { type: 'integer' } } } },
  }, async (req) => {
    const q = req.query as { limit?: string; beforeId?: string };
    const limit = Math.min(Math.max(Number(q.limit ?? 100) || 100, 1), 1000);
    const beforeId = q.beforeId !== undefined ? Number(q.beforeId) : undefined;
    const entries = await deps.store.listAudit({ limit, beforeId: Number.isFinite(beforeId) ? beforeId : undefined });
    const view = (kind: ResourceKind, spec: Record<string, unknown> | null) => {
      if (!spec) return null;
      try {
        const { __managedBy: _m, ...rest } = maskSpec(kind, decryptSpec(kind, spec, deps.cipher));
        return rest;
      } catch {
        return { unreadable: 'encrypted with another key' };
      }
    };
    return { items: entries.map((e) => ({ ...e, before: view(e.kind, e.before), after: view(e.kind, e.after) })) };
  });

  for (const ext of deps.extensions ?? []) await ext.register(app);
  return app;
}

function stripId(schema: Record<string, unknown>): Record<string, unknown> {
  const { $id: _id, ...rest } = schema;
  return rest;
}

function registerKind(app: FastifyInstance, kind: ResourceKind, deps: AdminApiDeps): void {
  const ref = { $ref: `#/components/schemas/${RESOURCE_SCHEMAS[kind].$id as string}` };
  const tags = [kind];
  const label = KIND_LABEL[kind];
  const nameParam = { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] };
  const errors = { 400: ERROR_SCHEMA, 401: ERROR_SCHEMA, 404: ERROR_SCHEMA, 409: ERROR_SCHEMA, 413: ERROR_SCHEMA, 422: ERROR_SCHEMA };
  const actor = (req: FastifyRequest) => `${principals.get(req)?.name ?? 'admin'}@${req.ip}`;

  app.get(`/api/v1/${kind}`, { schema: { tags, summary: `List ${label}s`, response: { 200: { type: 'object', properties: { items: { type: 'array', items: ref } } }, 401: ERROR_SCHEMA } } }, async () => ({ items: await deps.resources.list(kind) }));

  app.post(`/api/v1/${kind}`, { schema: { tags, summary: `Create a ${label}`, body: ref, response: { 201: ref, ...errors } } }, async (req, reply) => {
    const { spec } = await deps.resources.put(kind, undefined, req.body, { actor: actor(req), createOnly: true });
    return reply.code(201).header('location', `/api/v1/${kind}/${encodeURIComponent(spec.name as string)}`).send(spec);
  });

  app.get(`/api/v1/${kind}/:name`, { schema: { tags, summary: `Get a ${label}`, params: nameParam, response: { 200: ref, ...errors } } }, async (req) => deps.resources.get(kind, (req.params as { name: string }).name));

  app.put(`/api/v1/${kind}/:name`, { schema: { tags, summary: `Create or replace a ${label}`, params: nameParam, body: ref, response: { 200: ref, 201: ref, ...errors } } }, async (req, reply) => {
    const { spec, created } = await deps.resources.put(kind, (req.params as { name: string }).name, req.body, { actor: actor(req) });
    return reply.code(created ? 201 : 200).send(spec);
  });

  app.delete(`/api/v1/${kind}/:name`, { schema: { tags, summary: `Delete a ${label}`, params: nameParam, response: { 204: { type: 'null' }, ...errors } } }, async (req, reply) => {
    await deps.resources.delete(kind, (req.params as { name: string }).name, { actor: actor(req) });
    return reply.code(204).send();
  });
}
