/** MCP protocol revisions the gateway speaks with clients, newest first. */
export const SUPPORTED_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
export type ProtocolVersion = (typeof SUPPORTED_VERSIONS)[number];
export const LATEST_VERSION: ProtocolVersion = '2025-11-25';
/** Assumed when a Streamable HTTP request carries no MCP-Protocol-Version header (spec: 2025-03-26). */
export const DEFAULT_HTTP_VERSION: ProtocolVersion = '2025-03-26';

export function isSupportedVersion(v: string): v is ProtocolVersion {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

/** Answers initialize: the client's version when supported, else our latest (the client then decides). */
export function negotiateVersion(requested: unknown): ProtocolVersion {
  return typeof requested === 'string' && isSupportedVersion(requested) ? requested : LATEST_VERSION;
}

/** Batches were allowed in 2025-03-26 and removed in 2025-06-18. */
export function allowsBatch(v: ProtocolVersion): boolean {
  return v === '2025-03-26' || v === '2024-11-05';
}

/** structuredContent and outputSchema arrived with 2025-06-18. */
export function hasStructuredContent(v: ProtocolVersion): boolean {
  return v !== '2025-03-26' && v !== '2024-11-05';
}
