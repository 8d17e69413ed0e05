import { useEffect, useState } from 'react';
import { useSession } from '../session.js';
import { useLoad } from '../hooks.js';
import { ErrorBanner, Loading, Switch } from '../components/form.js';
import { ServerBadge } from '../components/ServerBadge.js';
import { href } from '../routing.js';
import type { McpServer } from '../types.js';

function ToolCount({ name, version }: { name: string; version: number }) {
  const { api } = useSession();
  const [count, setCount] = useState<string>('…');
  useEffect(() => {
    let live = true;
    api.tools(name).then(
      (tools) => live && setCount(`${tools.length} tool${tools.length === 1 ? '' : 's'}`),
      () => live && setCount('tools unavailable'),
    );
    return () => {
      live = false;
    };
  }, [api, name, version]);
  return <span className="tool-count">{count}</span>;
}

function ServerCard({ server, onChanged }: { server: McpServer; onChanged: () => void }) {
  const { api } = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [version, setVersion] = useState(0);
  // Shown at once and put back if the API refuses the change.
  const [enabled, setEnabled] = useState(server.enabled !== false);
  const toggle = async (value: boolean) => {
    setBusy(true);
    setError(null);
    setEnabled(value);
    try {
      await api.put('mcp-servers', server.name, { ...server, enabled: value });
      setVersion((v) => v + 1);
      onChanged();
    } catch (err) {
      setEnabled(!value);
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <article className={`card server-card${enabled ? '' : ' disabled'}`} data-server={server.name}>
      <header>
        <h3>
          <a href={href('mcp-servers', server.name)}>{server.name}</a>
        </h3>
        <ServerBadge type={server.type} />
      </header>
      <p className="description">{server.description}</p>
      <footer>
        <ToolCount name={server.name} version={version} />
        {server.consumerAuth?.enabled && <span className="badge badge-auth">Consumer auth</span>}
        <Switch checked={enabled} disabled={busy} onChange={toggle} label={enabled ? 'Enabled' : 'Disabled'} />
      </footer>
      <ErrorBanner error={error} />
    </article>
  );
}

export function ServerList() {
  const { api } = useSession();
  const servers = useLoad(() => api.list<McpServer>('mcp-servers'), []);
  return (
    <section>
      <div className="page-head">
        <h1>MCP servers</h1>
        <a className="button" href={href('mcp-servers', 'new')}>
          Create MCP server
        </a>
      </div>
      {servers.error ? <ErrorBanner error={servers.error} /> : null}
      {servers.loading && !servers.data ? (
        <Loading />
      ) : (
        <div className="card-grid">
          {(servers.data ?? []).map((s) => (
            <ServerCard key={s.name} server={s} onChanged={servers.reload} />
          ))}
          {servers.data?.length === 0 && <p className="muted">No MCP server yet. Create one to expose tools.</p>}
        </div>
      )}
    </section>
  );
}
