/** TypeScript shapes of the resources (the JSON Schemas in schemas.ts are authoritative). */

export interface ServiceSpec {
  name: string;
  description?: string;
  protocol: 'http' | 'https' | 'mcp' | 'stdio';
  endpoints?: Array<string | { address: string; weight?: number }>;
  dns?: string;
  nacos?: { registry: string; service: string; group?: string; namespace?: string };
  tls?: { insecureSkipVerify?: boolean; serverName?: string };
  auth?: { type: 'basic' | 'bearer' | 'api-key'; username?: string; password?: string; token?: string; key?: string; in?: 'header' | 'query'; name?: string };
  loadBalancing?: 'round-robin' | 'weighted' | 'least-request';
  healthCheck?: { path: string; intervalMs?: number; timeoutMs?: number; unhealthyThreshold?: number; healthyThreshold?: number };
  timeoutMs?: number;
  command?: string;
  args?: string[];
  env?: Record<string, string>;
  cwd?: string;
  mode?: 'per-session' | 'shared';
  maxProcesses?: number;
}

export interface RegistrySpec {
  name: string;
  type: 'nacos';
  address: string;
  username?: string;
  password?: string;
  namespace?: string;
  pollIntervalMs?: number;
  mcpRegistry?: boolean;
}

export interface RateLimitRule {
  requests: number;
  windowSeconds: number;
  consumer?: string;
  tool?: string;
  concurrent?: number;
}

export interface McpServerSpec {
  name: string;
  type: 'http-to-mcp' | 'direct-proxy' | 'toolset';
  description: string;
  domains?: string[];
  service?: string;
  enabled?: boolean;
  transport?: 'sse' | 'streamable-http';
  path?: string;
  tools?: string;
  allowPrivateNetworks?: boolean;
  /** Hosts that tool URLs built from arguments may reach (exact, with an optional port, or `*.suffix`). */
  allowedHosts?: string[];
  retryToolCalls?: boolean;
  /** Direct proxy: bridge protocol generations (auto, the default) or only pass requests through. */
  protocolBridging?: 'auto' | 'passthrough';
  toolset?: Array<{ server: string; tool: string; name?: string }>;
  consumerAuth?: { enabled?: boolean; allowedConsumers?: string[]; allowedTools?: Record<string, string[]> };
  rateLimits?: RateLimitRule[];
  oauth?: { enabled?: boolean; authorizationServers: string[]; issuer?: string; jwksUrl: string; scopes?: string[]; audience?: string };
}

export interface ConsumerCredential {
  type: 'key-auth' | 'jwt';
  key?: string;
  issuer?: string;
  jwksUrl?: string;
  secret?: string;
  audience?: string;
  claim?: string;
  subject?: string;
}

export interface ConsumerSpec {
  name: string;
  description?: string;
  credentials?: ConsumerCredential[];
}

/** The whole configuration, as the declarative file and `export` write it. */
export interface GatewayConfig {
  services: ServiceSpec[];
  registries: RegistrySpec[];
  mcpServers: McpServerSpec[];
  consumers: ConsumerSpec[];
}
