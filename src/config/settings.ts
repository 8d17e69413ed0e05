import path from 'node:path';

/** Gateway settings: each comes from an MCPGW_* environment variable or the matching `serve` flag. */
export interface Settings {
  port: number;
  adminPort: number;
  host: string;
  adminHost: string;
  dataDir: string;
  databaseUrl?: string;
  redisUrl?: string;
  /** Prefix of every Redis key and channel the gateway uses (replicas of one cluster use the same one). */
  redisPrefix: string;
  adminToken?: string;
  secretKey?: string;
  configFile?: string;
  logLevel: string;
  /** Largest accepted request body on either listener, in bytes. */
  maxBodyBytes: number;
  /** Largest backend response read for an HTTP-to-MCP tool call, in bytes. */
  maxResponseBytes: number;
  /** Idle time after which a client session is dropped. */
  sessionTtlMs: number;
  /** Most client sessions held at once. */
  maxSessions: number;
  /** Most client sessions one consumer holds at once. */
  maxSessionsPerConsumer: number;
  /** Largest single message (a JSON answer or one SSE event) read from a direct-proxy backend. */
  maxMessageBytes: number;
  /** Most HTTP-to-MCP calls in flight to one service; calls beyond it are refused (UPSTREAM_BUSY). */
  maxUpstreamConcurrency: number;
  /** Most client sessions open across all replicas, counted in Redis (0: no cluster-wide cap). */
  clusterMaxSessions: number;
  /** Interval of SSE keep-alive comments. */
  keepAliveMs: number;
  /** Origins allowed to reach the data plane besides loopback and a server's own domains. */
  allowedOrigins: string[];
  /** Seed the example `time` server into an empty store. */
  seed: boolean;
  /** The data plane's public base URL (canonical MCP server URLs); derived from each request when unset. */
  publicUrl?: string;
  /** Header that tells backends which consumer called. */
  consumerHeader: string;
  /** Header and query parameter that carry consumer keys (besides Authorization: Bearer). */
  consumerKeyHeader: string;
  consumerKeyQuery: string;
  /** Name of the built-in MCP router (served at /mcp-servers/{name}); empty turns it off. */
  routerName?: string;
  /** Write one access-log line per MCP request. */
  accessLog: boolean;
  /** Named admin tokens: `name=read-only:TOKEN,name2=read-write:TOKEN2`. */
  adminTokens?: string;
  /** Most stdio server processes at once, all services together. */
  stdioMaxProcesses: number;
  /** Most stdio server processes of one service. */
  stdioMaxProcessesPerService: number;
  /** A stdio process with no traffic (per-session) or no session (shared) for this long is stopped; 0 never. */
  stdioIdleMs: number;
  /** Time between SIGTERM and SIGKILL when a stdio process is stopped. */
  stdioKillGraceMs: number;
  /** Longest line (one JSON-RPC message) read from a stdio process. */
  stdioMaxLineBytes: number;
}

export interface SettingSpec {
  key: keyof Settings;
  env: string;
  flag: string;
  kind: 'int' | 'string' | 'list' | 'bool';
  default?: string;
  description: string;
}

/** One table drives env parsing, CLI flags and the README's settings list. */
export const SETTING_SPECS: SettingSpec[] = [
  { key: 'port', env: 'MCPGW_PORT', flag: 'port', kind: 'int', default: '8080', description: 'data plane port (MCP endpoints)' },
  { key: 'adminPort', env: 'MCPGW_ADMIN_PORT', flag: 'admin-port', kind: 'int', default: '8081', description: 'admin API and console port' },
  { key: 'host', env: 'MCPGW_HOST', flag: 'host', kind: 'string', default: '0.0.0.0', description: 'data plane listen address' },
  { key: 'adminHost', env: 'MCPGW_ADMIN_HOST', flag: 'admin-host', kind: 'string', default: '127.0.0.1', description: 'admin listen address' },
  { key: 'dataDir', env: 'MCPGW_DATA_DIR', flag: 'data-dir', kind: 'string', default: './data', description: 'SQLite file and generated secrets' },
  { key: 'databaseUrl', env: 'MCPGW_DATABASE_URL', flag: 'database-url', kind: 'string', description: 'postgres://… selects PostgreSQL' },
  { key: 'redisUrl', env: 'MCPGW_REDIS_URL', flag: 'redis-url', kind: 'string', description: 'Redis for cluster features' },
  { key: 'redisPrefix', env: 'MCPGW_REDIS_PREFIX', flag: 'redis-prefix', kind: 'string', default: 'mcpgw:', description: 'prefix of the Redis keys and channels the gateway uses (rate limits under {prefix}rl:, cluster sessions and relays beside them)' },
  { key: 'adminToken', env: 'MCPGW_ADMIN_TOKEN', flag: 'admin-token', kind: 'string', description: 'admin API bearer token (generated when unset)' },
  { key: 'adminTokens', env: 'MCPGW_ADMIN_TOKENS', flag: 'admin-tokens', kind: 'string', description: 'named admin tokens: name=read-only:TOKEN,name2=read-write:TOKEN2' },
  { key: 'secretKey', env: 'MCPGW_SECRET_KEY', flag: 'secret-key', kind: 'string', description: 'key encrypting stored credentials (generated when unset)' },
  { key: 'configFile', env: 'MCPGW_CONFIG', flag: 'config', kind: 'string', description: 'declarative YAML applied at start and watched' },
  { key: 'logLevel', env: 'MCPGW_LOG_LEVEL', flag: 'log-level', kind: 'string', default: 'info', description: 'trace, debug, info, warn, error, silent' },
  { key: 'maxBodyBytes', env: 'MCPGW_MAX_BODY_BYTES', flag: 'max-body-bytes', kind: 'int', default: String(4 * 1024 * 1024), description: 'largest request body accepted (413 above)' },
  { key: 'maxResponseBytes', env: 'MCPGW_MAX_RESPONSE_BYTES', flag: 'max-response-bytes', kind: 'int', default: String(16 * 1024 * 1024), description: 'largest backend response read by an HTTP-to-MCP tool' },
  { key: 'sessionTtlMs', env: 'MCPGW_SESSION_TTL_MS', flag: 'session-ttl-ms', kind: 'int', default: String(30 * 60 * 1000), description: 'idle client session lifetime' },
  { key: 'maxSessions', env: 'MCPGW_MAX_SESSIONS', flag: 'max-sessions', kind: 'int', default: '100000', description: 'most client sessions held at once' },
  { key: 'maxSessionsPerConsumer', env: 'MCPGW_MAX_SESSIONS_PER_CONSUMER', flag: 'max-sessions-per-consumer', kind: 'int', default: '1000', description: 'most client sessions one consumer holds at once (503 SESSION_LIMIT above)' },
  { key: 'maxMessageBytes', env: 'MCPGW_MAX_MESSAGE_BYTES', flag: 'max-message-bytes', kind: 'int', default: String(16 * 1024 * 1024), description: 'largest single message (JSON answer or SSE event) read from a direct-proxy backend' },
  { key: 'maxUpstreamConcurrency', env: 'MCPGW_MAX_UPSTREAM_CONCURRENCY', flag: 'max-upstream-concurrency', kind: 'int', default: '512', description: 'most HTTP-to-MCP calls in flight to one service; more are refused at once (UPSTREAM_BUSY)' },
  { key: 'clusterMaxSessions', env: 'MCPGW_CLUSTER_MAX_SESSIONS', flag: 'cluster-max-sessions', kind: 'int', default: '0', description: 'most client sessions open across all replicas, counted in Redis (0: none)' },
  { key: 'keepAliveMs', env: 'MCPGW_KEEPALIVE_MS', flag: 'keepalive-ms', kind: 'int', default: '15000', description: 'SSE keep-alive comment interval' },
  { key: 'allowedOrigins', env: 'MCPGW_ALLOWED_ORIGINS', flag: 'allowed-origins', kind: 'list', default: '', description: 'comma-separated extra origins allowed on the data plane' },
  { key: 'publicUrl', env: 'MCPGW_PUBLIC_URL', flag: 'public-url', kind: 'string', description: 'public base URL of the data plane, for canonical MCP server URLs (OAuth audience, metadata)' },
  { key: 'consumerHeader', env: 'MCPGW_CONSUMER_HEADER', flag: 'consumer-header', kind: 'string', default: 'x-mcp-consumer', description: 'header naming the calling consumer on backend requests' },
  { key: 'consumerKeyHeader', env: 'MCPGW_CONSUMER_KEY_HEADER', flag: 'consumer-key-header', kind: 'string', default: 'x-api-key', description: 'header carrying consumer keys (besides Authorization: Bearer)' },
  { key: 'consumerKeyQuery', env: 'MCPGW_CONSUMER_KEY_QUERY', flag: 'consumer-key-query', kind: 'string', default: 'api_key', description: 'query parameter carrying consumer keys' },
  { key: 'routerName', env: 'MCPGW_ROUTER_NAME', flag: 'router-name', kind: 'string', default: 'router', description: 'name of the built-in MCP router server (empty: no router)' },
  { key: 'accessLog', env: 'MCPGW_ACCESS_LOG', flag: 'access-log', kind: 'bool', default: 'true', description: 'one JSON log line per MCP request (no arguments, no credentials)' },
  { key: 'stdioMaxProcesses', env: 'MCPGW_STDIO_MAX_PROCESSES', flag: 'stdio-max-processes', kind: 'int', default: '256', description: 'most stdio server processes at once, all services together (503 STDIO_PROCESS_LIMIT above)' },
  { key: 'stdioMaxProcessesPerService', env: 'MCPGW_STDIO_MAX_PROCESSES_PER_SERVICE', flag: 'stdio-max-processes-per-service', kind: 'int', default: '64', description: 'most stdio server processes of one service (503 STDIO_PROCESS_LIMIT above)' },
  { key: 'stdioIdleMs', env: 'MCPGW_STDIO_IDLE_MS', flag: 'stdio-idle-ms', kind: 'int', default: '600000', description: 'stop a stdio process after this long without traffic (per-session) or without sessions (shared); 0 never' },
  { key: 'stdioKillGraceMs', env: 'MCPGW_STDIO_KILL_GRACE_MS', flag: 'stdio-kill-grace-ms', kind: 'int', default: '5000', description: 'wait between SIGTERM and SIGKILL when stopping a stdio process' },
  { key: 'stdioMaxLineBytes', env: 'MCPGW_STDIO_MAX_LINE_BYTES', flag: 'stdio-max-line-bytes', kind: 'int', default: String(16 * 1024 * 1024), description: 'longest JSON-RPC line read from a stdio process (longer ends its sessions with UPSTREAM_BAD_STREAM)' },
  { key: 'seed', env: 'MCPGW_SEED', flag: 'seed', kind: 'bool', default: 'true', description: 'seed the example "time" server into an empty store' },
];

export class SettingsError extends Error {
  readonly code = 'INVALID_SETTING';
}

function parseValue(spec: SettingSpec, raw: string): unknown {
  switch (spec.kind) {
    case 'int': {
      if (!/^\d+$/.test(raw.trim())) throw new SettingsError(`${spec.env} must be a whole number, got "${raw}"`);
      const n = Number(raw);
      if (spec.key.toLowerCase().includes('port') && n > 65535) throw new SettingsError(`${spec.env} must be a port (0-65535), got ${n}`);
      return n;
    }
    case 'bool':
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw new SettingsError(`${spec.env} must be true or false, got "${raw}"`);
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      return raw;
  }
}

/** Resolves settings: flags override environment, environment overrides defaults. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env, flags: Record<string, string | undefined> = {}): Settings {
  const out: Record<string, unknown> = {};
  for (const spec of SETTING_SPECS) {
    const raw = flags[spec.flag] ?? env[spec.env] ?? spec.default;
    if (raw === undefined || (raw === '' && spec.kind !== 'list')) continue;
    out[spec.key] = parseValue(spec, raw);
  }
  const settings = out as unknown as Settings;
  settings.dataDir = path.resolve(settings.dataDir);
  return settings;
}
