/** Renders an ISO time (or epoch ms) as local date and time, and how long ago. */
export function formatTime(value: unknown): string {
  if (value === undefined || value === null || value === '') return '—';
  const d = new Date(typeof value === 'number' ? value : String(value));
  if (Number.isNaN(d.getTime())) return String(value);
  const seconds = Math.round((Date.now() - d.getTime()) / 1000);
  const ago =
    seconds < 0 ? '' : seconds < 60 ? `${seconds}s ago` : seconds < 3600 ? `${Math.floor(seconds / 60)}m ago` : seconds < 86400 ? `${Math.floor(seconds / 3600)}h ago` : `${Math.floor(seconds / 86400)}d ago`;
  return `${d.toLocaleString()}${ago ? ` (${ago})` : ''}`;
}
