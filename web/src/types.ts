// Resource shapes of the admin API (see the project's public contract); optional where the API may omit them.

export type Protocol = 'http' | 'https' | 'mcp' | 'stdio';

export interface NacosSource {
  registry: string;
  service: string;
  group?: string;
  namespace?: string;
}

export interface Service {
  name: string;
  protocol: Protocol;
  endpoints?: string[];
  dns?: string;
  nacos?: NacosSource;
  timeoutMs?: number;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  mode?: 'per-session' | 'shared';
}

export interface Registry {
  name: string;
  type: 'nacos';
  address: string;
  username?: string;
  password?: string;
  namespace?: string;
  pollIntervalMs?: number;
  mcpRegistry?: boolean;
}

export type ServerType = 'http-to-mcp' | 'direct-proxy' | 'toolset';

export interface ConsumerAuth {
  enabled: boolean;
  allowedConsumers?: string[];
  allowedTools?: Record<string, string[]>;
}

export interface McpServer {
  name: string;
  type: ServerType;
  description: string;
  domains?: string[];
  service?: string;
  enabled?: boolean;
  transport?: 'sse' | 'streamable-http';
  path?: string;
  tools?: string;
  consumerAuth?: ConsumerAuth;
  allowPrivateNetworks?: boolean;
  rateLimits?: Array<Record<string, unknown>>;
}

export type Credential =
  | { type: 'key-auth'; key: string }
  | { type: 'jwt'; issuer?: string; jwksUrl?: string; secret?: string; audience?: string };

export interface Consumer {
  name: string;
  credentials: Credential[];
}

export interface Instance {
  id: string;
  address?: string;
  version?: string;
  startedAt?: string;
  started?: string;
  lastHeartbeat?: string;
}

export interface AuditEntry {
  id?: string | number;
  at?: string;
  time?: string;
  timestamp?: string;
  actor?: string;
  action?: string;
  kind?: string;
  name?: string;
  [key: string]: unknown;
}

/** A JSON Schema fragment as it appears in a tool's inputSchema. */
export interface JsonSchema {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  default?: unknown;
  format?: string;
}

export interface McpTool {
  name: string;
  title?: string;
  description?: string;
  inputSchema?: JsonSchema;
}

/** One time bucket of a server's recent traffic (GET /api/v1/mcp-servers/{name}/traffic). */
export interface TrafficBucket {
  start: number;
  calls: number;
  errors: number;
  meanMs: number;
  maxMs: number;
}

export interface Traffic {
  server: string;
  bucketSeconds: number;
  buckets: TrafficBucket[];
}
