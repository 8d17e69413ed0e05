/** MCP protocol revisions the gateway speaks with clients, newest first. */
export const SUPPORTED_VERSIONS = ['2026-07-28', '2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const;
export type ProtocolVersion = (typeof SUPPORTED_VERSIONS)[number];
/** Revisions with per-request `_meta` and no initialize handshake ("modern" in the spec's words). */
export const MODERN_VERSIONS = ['2026-07-28'] as const satisfies readonly ProtocolVersion[];
export type ModernVersion = (typeof MODERN_VERSIONS)[number];
/** Revisions that open a session with initialize ("legacy"), newest first. */
export const LEGACY_VERSIONS = ['2025-11-25', '2025-06-18', '2025-03-26', '2024-11-05'] as const satisfies readonly ProtocolVersion[];
export type LegacyVersion = (typeof LEGACY_VERSIONS)[number];
/** The newest revision an initialize handshake can agree on. */
export const LATEST_VERSION: LegacyVersion = '2025-11-25';
export const LATEST_MODERN_VERSION: ModernVersion = '2026-07-28';
/** Assumed when a Streamable HTTP request carries no MCP-Protocol-Version header (spec: 2025-03-26). */
export const DEFAULT_HTTP_VERSION: ProtocolVersion = '2025-03-26';

export function isSupportedVersion(v: string): v is ProtocolVersion {
  return (SUPPORTED_VERSIONS as readonly string[]).includes(v);
}

export function isModernVersion(v: unknown): v is ModernVersion {
  return typeof v === 'string' && (MODERN_VERSIONS as readonly string[]).includes(v);
}

export function isLegacyVersion(v: unknown): v is LegacyVersion {
  return typeof v === 'string' && (LEGACY_VERSIONS as readonly string[]).includes(v);
}

/**
 * Answers initialize: the client's version when it is a handshake revision we speak, else our
 * latest handshake revision (the client then decides). A modern version never comes out of a handshake.
 */
export function negotiateVersion(requested: unknown): LegacyVersion {
  return isLegacyVersion(requested) ? requested : LATEST_VERSION;
}

/** Batches were allowed in 2025-03-26 and removed in 2025-06-18. */
export function allowsBatch(v: ProtocolVersion): boolean {
  return v === '2025-03-26' || v === '2024-11-05';
}

/** structuredContent and outputSchema arrived with 2025-06-18. */
export function hasStructuredContent(v: ProtocolVersion): boolean {
  return v !== '2025-03-26' && v !== '2024-11-05';
}
