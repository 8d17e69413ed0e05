import { useEffect, useState } from 'react';

// Routes live in the URL hash so the admin listener needs no SPA fallback for deep links.
function currentSegments(): string[] {
  return window.location.hash
    .replace(/^#\/?/, '')
    .split('/')
    .filter(Boolean)
    .map((s) => decodeURIComponent(s));
}

/** The current route as path segments, e.g. `#/mcp-servers/time/tools` -> ['mcp-servers','time','tools']. */
export function useRoute(): string[] {
  const [segments, setSegments] = useState(currentSegments);
  useEffect(() => {
    const onChange = () => setSegments(currentSegments());
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return segments;
}

/** Builds a hash link from segments, encoding each one. */
export function href(...segments: string[]): string {
  return `#/${segments.map((s) => encodeURIComponent(s)).join('/')}`;
}

export function navigate(...segments: string[]): void {
  window.location.hash = href(...segments).slice(1);
}
