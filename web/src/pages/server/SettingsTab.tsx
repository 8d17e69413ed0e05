import { useState, type FormEvent } from 'react';
import { useSession } from '../../session.js';
import { useLoad } from '../../hooks.js';
import { ErrorBanner, Field, Notice, splitList } from '../../components/form.js';
import { unclaimedErrors } from '../../api.js';
import type { McpServer, Service } from '../../types.js';
import type { SaveServer } from '../ServerDetail.js';

const FIELDS = ['description', 'domains', 'service', 'transport', 'path', 'allowPrivateNetworks'];

/** Edits the server's own fields; tools, backend and consumer auth have their own tabs. */
export function SettingsTab({ server, save }: { server: McpServer; save: SaveServer }) {
  const { api } = useSession();
  const services = useLoad(() => api.list<Service>('services'), []);
  const [description, setDescription] = useState(server.description ?? '');
  const [domains, setDomains] = useState((server.domains ?? []).join(', '));
  const [service, setService] = useState(server.service ?? '');
  const [transport, setTransport] = useState(server.transport ?? 'streamable-http');
  const [path, setPath] = useState(server.path ?? '/mcp');
  const [privateNets, setPrivateNets] = useState(Boolean(server.allowPrivateNetworks));
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);
  const proxy = server.type === 'direct-proxy';
  const candidates = (services.data ?? []).filter((s) => (proxy ? s.protocol === 'mcp' || s.protocol === 'stdio' : s.protocol === 'http' || s.protocol === 'https'));

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    setDone(false);
    const next: McpServer = { ...server, description: description.trim(), domains: splitList(domains) };
    if (service) next.service = service;
    else delete next.service;
    if (proxy) {
      next.transport = transport;
      next.path = path.trim() || '/';
    } else {
      next.allowPrivateNetworks = privateNets;
    }
    try {
      await save(next);
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form" onSubmit={submit} noValidate>
      <Field label="Description" htmlFor="edit-description" path="description" error={error}>
        <textarea id="edit-description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
      </Field>
      <Field label="Domains" htmlFor="edit-domains" path="domains" error={error} hint="Comma separated. Empty: any host.">
        <input id="edit-domains" value={domains} onChange={(e) => setDomains(e.target.value)} />
      </Field>
      <Field label="Service" htmlFor="edit-service" path="service" error={error}>
        <select id="edit-service" value={service} onChange={(e) => setService(e.target.value)}>
          {!proxy && <option value="">None (absolute URLs)</option>}
          {service && !candidates.some((c) => c.name === service) && <option value={service}>{service}</option>}
          {candidates.map((s) => (
            <option key={s.name} value={s.name}>
              {s.name} ({s.protocol})
            </option>
          ))}
        </select>
      </Field>
      {proxy ? (
        <>
          <Field label="Backend transport" htmlFor="edit-transport" path="transport" error={error}>
            <select id="edit-transport" value={transport} onChange={(e) => setTransport(e.target.value as 'sse' | 'streamable-http')}>
              <option value="streamable-http">Streamable HTTP</option>
              <option value="sse">SSE</option>
            </select>
          </Field>
          <Field label="Backend path" htmlFor="edit-path" path="path" error={error} hint="/sse, /test/sse, /mcp…">
            <input id="edit-path" value={path} onChange={(e) => setPath(e.target.value)} />
          </Field>
        </>
      ) : (
        <label className="inline">
          <input type="checkbox" checked={privateNets} onChange={(e) => setPrivateNets(e.target.checked)} /> Allow tools with absolute URLs to reach loopback and private networks
        </label>
      )}
      <ErrorBanner error={error} unclaimed={unclaimedErrors(error, FIELDS)} />
      {done && <Notice kind="ok">Saved.</Notice>}
      <div className="actions">
        <button type="submit" disabled={busy}>
          Save
        </button>
      </div>
    </form>
  );
}
