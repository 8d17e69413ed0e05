import { useEffect, useRef, useState } from 'react';
import { useSession } from '../session.js';
import { useLoad } from '../hooks.js';
import { ErrorBanner, Loading, Switch } from '../components/form.js';
import { ServerBadge } from '../components/ServerBadge.js';
import { href, navigate } from '../routing.js';
import type { McpServer } from '../types.js';
import { ConnectTab } from './server/ConnectTab.js';
import { ToolsTab } from './server/ToolsTab.js';
import { AddToolTab } from './server/AddToolTab.js';
import { BackendAuthTab } from './server/BackendAuthTab.js';
import { ConsumerAuthTab } from './server/ConsumerAuthTab.js';
import { TryTab } from './server/TryTab.js';
import { SettingsTab } from './server/SettingsTab.js';
import { TrafficTab } from './server/TrafficTab.js';

/** Saves a whole server with PUT and hands the stored version back. */
export type SaveServer = (next: McpServer) => Promise<void>;

const TABS: Array<{ id: string; label: string; only?: McpServer['type'][] }> = [
  { id: 'overview', label: 'Generate URL' },
  { id: 'tools', label: 'Tools' },
  { id: 'add-tool', label: 'Add tool', only: ['http-to-mcp'] },
  { id: 'backend-auth', label: 'Backend auth', only: ['http-to-mcp'] },
  { id: 'consumer-auth', label: 'Consumer auth' },
  { id: 'try', label: 'Try it' },
  { id: 'traffic', label: 'Traffic' },
  { id: 'settings', label: 'Settings', only: ['http-to-mcp', 'direct-proxy'] },
];

/** The section tabs; on a narrow screen the strip scrolls so the current tab is in view. */
function TabStrip({ server, tabs, current }: { server: string; tabs: Array<{ id: string; label: string }>; current: string }) {
  const nav = useRef<HTMLElement>(null);
  useEffect(() => {
    const active = nav.current?.querySelector<HTMLElement>('a.active');
    if (nav.current && active) nav.current.scrollLeft = active.offsetLeft - (nav.current.clientWidth - active.offsetWidth) / 2;
  }, [current]);
  return (
    <nav className="tabs" aria-label="Server sections" ref={nav}>
      {tabs.map((t) => (
        <a key={t.id} href={href('mcp-servers', server, t.id)} className={t.id === current ? 'active' : ''} aria-current={t.id === current ? 'page' : undefined}>
          {t.label}
        </a>
      ))}
    </nav>
  );
}

export function ServerDetail({ name, tab, sub }: { name: string; tab: string; sub?: string }) {
  const { api } = useSession();
  const server = useLoad(() => api.get<McpServer>('mcp-servers', name), [name]);
  const [toggleError, setToggleError] = useState<unknown>(null);
  const [deleting, setDeleting] = useState(false);

  if (server.loading && !server.data) return <Loading />;
  if (server.error || !server.data) {
    return (
      <section>
        <h1>{name}</h1>
        <ErrorBanner error={server.error ?? new Error('Not found')} />
        <a href={href('mcp-servers')}>Back to MCP servers</a>
      </section>
    );
  }
  const s = server.data;
  const save: SaveServer = async (next) => {
    await api.put('mcp-servers', s.name, next);
    server.reload();
  };
  const tabs = TABS.filter((t) => !t.only || t.only.includes(s.type));
  const current = tabs.some((t) => t.id === tab) ? tab : 'overview';
  const enabled = s.enabled !== false;

  return (
    <section>
      <div className="page-head">
        <div>
          <p className="crumbs">
            <a href={href('mcp-servers')}>MCP servers</a> /
          </p>
          <h1>
            {s.name} <ServerBadge type={s.type} />
          </h1>
          <p className="description">{s.description}</p>
        </div>
        <div className="head-actions">
          <Switch
            checked={enabled}
            label={enabled ? 'Enabled' : 'Disabled'}
            onChange={(v) => save({ ...s, enabled: v }).catch(setToggleError)}
          />
          <button
            type="button"
            className="danger small"
            disabled={deleting}
            onClick={async () => {
              if (!window.confirm(`Delete the MCP server ${s.name}? Clients using it will fail.`)) return;
              setDeleting(true);
              try {
                await api.remove('mcp-servers', s.name);
                navigate('mcp-servers');
              } catch (err) {
                setToggleError(err);
                setDeleting(false);
              }
            }}
          >
            Delete
          </button>
        </div>
      </div>
      <ErrorBanner error={toggleError} />
      <TabStrip server={s.name} tabs={tabs} current={current} />
      <div className="tab-body">
        {current === 'overview' && <ConnectTab server={s} />}
        {current === 'tools' && <ToolsTab server={s} />}
        {current === 'add-tool' && <AddToolTab server={s} save={save} />}
        {current === 'backend-auth' && <BackendAuthTab server={s} save={save} />}
        {current === 'consumer-auth' && <ConsumerAuthTab server={s} save={save} />}
        {current === 'try' && <TryTab server={s} initialTool={sub} />}
        {current === 'traffic' && <TrafficTab server={s} />}
        {current === 'settings' && <SettingsTab key={JSON.stringify(s)} server={s} save={save} />}
      </div>
    </section>
  );
}
