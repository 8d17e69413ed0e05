import { useState } from 'react';
import { useSession } from '../session.js';

/** The editable data-plane base URL; remembered in this browser because the console cannot discover it. */
export function DataPlaneUrl() {
  const { dataPlaneUrl, setDataPlaneUrl } = useSession();
  const [text, setText] = useState(dataPlaneUrl);
  const [error, setError] = useState<string | null>(null);
  const commit = () => {
    try {
      const u = new URL(text.trim());
      if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('use http or https');
      setError(null);
      setDataPlaneUrl(`${u.origin}${u.pathname.replace(/\/+$/, '')}`);
    } catch (err) {
      setError(`Not a URL: ${(err as Error).message}`);
    }
  };
  return (
    <div className={`field inline-field${error ? ' has-error' : ''}`}>
      <label htmlFor="data-plane-url">Data-plane URL</label>
      <div className="row">
        <input
          id="data-plane-url"
          value={text}
          onChange={(e) => setText(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => e.key === 'Enter' && commit()}
        />
        <button type="button" className="secondary small" onClick={commit}>
          Apply
        </button>
      </div>
      <div className="hint">Where clients reach the gateway's MCP port (MCPGW_PORT, 8080 by default). Remembered in this browser.</div>
      {error && (
        <div className="field-error" role="alert">
          {error}
        </div>
      )}
    </div>
  );
}
