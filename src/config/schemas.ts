import type { ResourceKind } from '../store/types.js';

/**
 * JSON Schemas (2020-12) of the four resources: the single source of truth for admin API
 * validation, the OpenAPI document and the declarative file.
 */
const NAME = { type: 'string', pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$', description: 'lower-case letters, digits and dashes, 1-63 characters' };
const HOST_PORT = { type: 'string', pattern: '^(\\[[0-9a-fA-F:.]+\\]|[A-Za-z0-9.-]+):[0-9]{1,5}$', description: 'host:port' };
const SECRET = { type: 'string', maxLength: 8192, description: 'stored encrypted; returned masked as "****"' };

export const serviceSchema = {
  $id: 'Service',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'protocol'],
  properties: {
    name: NAME,
    description: { type: 'string', maxLength: 1024 },
    protocol: { enum: ['http', 'https', 'mcp', 'stdio'], description: 'mcp = an MCP server over HTTP(S)' },
    endpoints: {
      type: 'array',
      maxItems: 256,
      items: {
        anyOf: [
          HOST_PORT,
          { type: 'object', additionalProperties: false, required: ['address'], properties: { address: HOST_PORT, weight: { type: 'integer', minimum: 0, maximum: 10000 } } },
        ],
      },
      description: 'static endpoints, load-balanced',
    },
    dns: { ...HOST_PORT, description: 'a DNS name re-resolved by TTL' },
    nacos: {
      type: 'object',
      additionalProperties: false,
      required: ['registry', 'service'],
      properties: {
        registry: NAME,
        service: { type: 'string', minLength: 1, maxLength: 512 },
        group: { type: 'string', maxLength: 128 },
        namespace: { type: 'string', maxLength: 128 },
      },
    },
    tls: {
      type: 'object',
      additionalProperties: false,
      properties: { insecureSkipVerify: { type: 'boolean' }, serverName: { type: 'string' } },
    },
    auth: {
      type: 'object',
      additionalProperties: false,
      required: ['type'],
      description: 'credential added to every request sent to this service (direct proxy)',
      properties: {
        type: { enum: ['basic', 'bearer', 'api-key'] },
        username: { type: 'string', maxLength: 1024 },
        password: SECRET,
        token: SECRET,
        key: SECRET,
        in: { enum: ['header', 'query'] },
        name: { type: 'string', minLength: 1, maxLength: 256 },
      },
    },
    loadBalancing: { enum: ['round-robin', 'weighted', 'least-request'] },
    healthCheck: {
      type: 'object',
      additionalProperties: false,
      required: ['path'],
      description: 'active HTTP health check of every endpoint: a GET answered 2xx/3xx is healthy',
      properties: {
        path: { type: 'string', pattern: '^/[^\\s#]*$', maxLength: 1024 },
        intervalMs: { type: 'integer', minimum: 200, maximum: 3_600_000 },
        timeoutMs: { type: 'integer', minimum: 50, maximum: 60_000 },
        unhealthyThreshold: { type: 'integer', minimum: 1, maximum: 100 },
        healthyThreshold: { type: 'integer', minimum: 1, maximum: 100 },
      },
    },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 3_600_000 },
    command: { type: 'string', minLength: 1, maxLength: 4096 },
    args: { type: 'array', maxItems: 256, items: { type: 'string', maxLength: 8192 } },
    env: { type: 'object', maxProperties: 256, additionalProperties: SECRET },
    cwd: { type: 'string', maxLength: 4096 },
    mode: { enum: ['per-session', 'shared'] },
    maxProcesses: { type: 'integer', minimum: 1, maximum: 100000, description: 'stdio only: most processes of this service at once (default MCPGW_STDIO_MAX_PROCESSES_PER_SERVICE)' },
  },
} as const;

export const registrySchema = {
  $id: 'Registry',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type', 'address'],
  properties: {
    name: NAME,
    type: { enum: ['nacos'] },
    address: { type: 'string', pattern: '^https?://', maxLength: 2048 },
    username: { type: 'string', maxLength: 256 },
    password: SECRET,
    namespace: { type: 'string', maxLength: 128 },
    pollIntervalMs: { type: 'integer', minimum: 500, maximum: 3_600_000 },
    mcpRegistry: { type: 'boolean' },
  },
} as const;

const RATE_LIMIT = {
  type: 'object',
  additionalProperties: false,
  required: ['requests', 'windowSeconds'],
  properties: {
    requests: { type: 'integer', minimum: 1 },
    windowSeconds: { type: 'integer', minimum: 1, maximum: 86400 },
    consumer: NAME,
    tool: { type: 'string', maxLength: 128 },
    concurrent: { type: 'integer', minimum: 1 },
  },
};

export const mcpServerSchema = {
  $id: 'McpServer',
  type: 'object',
  additionalProperties: false,
  required: ['name', 'type', 'description'],
  properties: {
    name: NAME,
    type: { enum: ['http-to-mcp', 'direct-proxy', 'toolset'] },
    description: { type: 'string', minLength: 1, maxLength: 4096 },
    domains: { type: 'array', maxItems: 64, items: { type: 'string', pattern: '^[A-Za-z0-9.*-]+(:[0-9]{1,5})?$' } },
    service: NAME,
    enabled: { type: 'boolean' },
    transport: { enum: ['sse', 'streamable-http'] },
    path: { type: 'string', pattern: '^/[^\\s?#]*$', maxLength: 1024 },
    tools: { type: 'string', maxLength: 4 * 1024 * 1024, description: 'Higress tool YAML (server/tools), as text' },
    allowPrivateNetworks: { type: 'boolean', description: 'let absolute tool URLs reach loopback/private addresses' },
    allowedHosts: {
      type: 'array',
      maxItems: 256,
      items: { type: 'string', pattern: '^(\\*\\.)?[A-Za-z0-9]([A-Za-z0-9.-]{0,252})(:[0-9]{1,5})?$' },
      description: 'http-to-mcp: hosts ("api.example.com", "api.example.com:8443", "*.example.com") that tool URLs whose host comes from arguments may reach',
    },
    retryToolCalls: { type: 'boolean', description: 'tool calls are safe to repeat: re-send one to another endpoint when its connection broke before an answer' },
    protocolBridging: { enum: ['auto', 'passthrough'], description: 'direct proxy: bridge MCP 2026-07-28 (stateless) and initialize-based clients/backends (auto) or only pass requests through' },
    toolset: {
      type: 'array',
      maxItems: 1024,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['server', 'tool'],
        properties: { server: NAME, tool: { type: 'string', maxLength: 128 }, name: { type: 'string', pattern: '^[A-Za-z0-9_.-]{1,128}$' } },
      },
    },
    consumerAuth: {
      type: 'object',
      additionalProperties: false,
      properties: {
        enabled: { type: 'boolean' },
        allowedConsumers: { type: 'array', items: NAME },
        allowedTools: { type: 'object', additionalProperties: { type: 'array', items: { type: 'string' } } },
      },
    },
    rateLimits: { type: 'array', maxItems: 64, items: RATE_LIMIT },
    oauth: {
      type: 'object',
      additionalProperties: false,
      required: ['authorizationServers', 'jwksUrl'],
      description: 'MCP authorization: the gateway is an OAuth 2.0 resource server for this MCP server',
      properties: {
        enabled: { type: 'boolean' },
        authorizationServers: { type: 'array', minItems: 1, items: { type: 'string', pattern: '^https?://' } },
        issuer: { type: 'string', description: 'expected iss (default: the first authorization server)' },
        jwksUrl: { type: 'string', pattern: '^https?://' },
        scopes: { type: 'array', items: { type: 'string', pattern: '^[!#-\\[\\]-~]+$' }, description: 'scopes every token must carry' },
        audience: { type: 'string', description: 'expected aud (default: the server\'s canonical URL)' },
      },
    },
  },
} as const;

export const consumerSchema = {
  $id: 'Consumer',
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: NAME,
    description: { type: 'string', maxLength: 1024 },
    credentials: {
      type: 'array',
      maxItems: 16,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['type'],
        properties: {
          type: { enum: ['key-auth', 'jwt'] },
          key: SECRET,
          issuer: { type: 'string', maxLength: 2048 },
          jwksUrl: { type: 'string', pattern: '^https?://', maxLength: 2048 },
          secret: SECRET,
          audience: { type: 'string', maxLength: 2048 },
          claim: { type: 'string', maxLength: 256 },
          subject: { type: 'string', maxLength: 1024 },
        },
      },
    },
  },
} as const;

export const RESOURCE_SCHEMAS: Record<ResourceKind, Record<string, unknown>> = {
  services: serviceSchema,
  registries: registrySchema,
  'mcp-servers': mcpServerSchema,
  consumers: consumerSchema,
};

/** Singular display names, used in messages. */
export const KIND_LABEL: Record<ResourceKind, string> = {
  services: 'service',
  registries: 'registry',
  'mcp-servers': 'MCP server',
  consumers: 'consumer',
};

/** The declarative file's key of each kind. */
export const FILE_KEYS: Record<ResourceKind, string> = {
  services: 'services',
  registries: 'registries',
  'mcp-servers': 'mcpServers',
  consumers: 'consumers',
};

/**
 * Paths (dotted, `*` for any array index or map key) of the secret fields of each kind;
 * `tools` of MCP servers is handled apart because secrets sit inside its YAML text.
 */
export const SECRET_PATHS: Record<ResourceKind, string[]> = {
  services: ['auth.password', 'auth.token', 'auth.key', 'env.*'],
  registries: ['password'],
  'mcp-servers': [],
  consumers: ['credentials.*.key', 'credentials.*.secret'],
};
