import type { ServerType } from '../types.js';

const LABELS: Record<ServerType, string> = {
  'direct-proxy': 'Direct proxy',
  'http-to-mcp': 'HTTP to MCP',
  toolset: 'Tool set',
};

export function ServerBadge({ type }: { type: ServerType }) {
  return <span className={`badge badge-${type}`}>{LABELS[type] ?? type}</span>;
}
