import { useMemo, useState, type FormEvent } from 'react';
import { useSession } from '../session.js';
import { useLoad } from '../hooks.js';
import { ErrorBanner, Field, splitList } from '../components/form.js';
import { ApiError, unclaimedErrors } from '../api.js';
import { navigate } from '../routing.js';
import type { McpServer, Protocol, Service } from '../types.js';

type Mode = 'direct-proxy' | 'http-to-mcp';
const NEW_SERVICE = '__new__';
const NO_SERVICE = '';
const SERVER_FIELDS = ['name', 'description', 'domains', 'service', 'transport', 'path', 'type'];
const SERVICE_FIELDS = ['name', 'protocol', 'endpoints'];

const PATH_HINTS: Record<string, string> = {
  sse: 'The backend SSE path: usually /sse, or with a prefix such as /test/sse.',
  'streamable-http': 'The backend Streamable HTTP path: usually /mcp.',
};

export function ServerCreate() {
  const { api } = useSession();
  const services = useLoad(() => api.list<Service>('services'), []);
  const [mode, setMode] = useState<Mode>('http-to-mcp');
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [domains, setDomains] = useState('');
  const [service, setService] = useState<string>(NO_SERVICE);
  const [transport, setTransport] = useState<'sse' | 'streamable-http'>('streamable-http');
  const [path, setPath] = useState('/mcp');
  const [svcName, setSvcName] = useState('');
  const [svcProtocol, setSvcProtocol] = useState<Protocol>('http');
  const [svcEndpoints, setSvcEndpoints] = useState('');
  const [error, setError] = useState<unknown>(null);
  const [serviceError, setServiceError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const candidates = useMemo(
    () => (services.data ?? []).filter((s) => (mode === 'direct-proxy' ? s.protocol === 'mcp' : s.protocol === 'http' || s.protocol === 'https')),
    [services.data, mode],
  );
  // With no matching service, offer the inline form straight away.
  const chosen = service === NO_SERVICE && mode === 'direct-proxy' && candidates.length === 0 ? NEW_SERVICE : service;
  const creatingService = chosen === NEW_SERVICE;

  const pickMode = (m: Mode) => {
    setMode(m);
    setService(NO_SERVICE);
    setSvcProtocol(m === 'direct-proxy' ? 'mcp' : 'http');
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setServiceError(null);
    const local: Array<{ path: string; message: string }> = [];
    if (!name.trim()) local.push({ path: 'name', message: 'Enter a name (lower-case letters, digits and -).' });
    if (!description.trim()) local.push({ path: 'description', message: 'Describe what this server offers; clients show it to the model.' });
    if (mode === 'direct-proxy' && !creatingService && !chosen) local.push({ path: 'service', message: 'Choose the MCP service to proxy.' });
    if (local.length) {
      setError(new ApiError(400, 'FORM', 'Some fields need attention.', local));
      return;
    }
    setBusy(true);
    try {
      let serviceName = chosen === NO_SERVICE ? undefined : chosen;
      if (creatingService) {
        const svc: Service = { name: svcName.trim(), protocol: svcProtocol, endpoints: splitList(svcEndpoints) };
        try {
          await api.create<Service>('services', svc);
        } catch (err) {
          setServiceError(err);
          return;
        }
        serviceName = svc.name;
        services.reload();
        setService(svc.name);
      }
      const server: McpServer = {
        name: name.trim(),
        type: mode,
        description: description.trim(),
        domains: splitList(domains),
        enabled: true,
        ...(serviceName ? { service: serviceName } : {}),
        ...(mode === 'direct-proxy' ? { transport, path: path.trim() || '/' } : {}),
      };
      await api.create<McpServer>('mcp-servers', server);
      navigate('mcp-servers', server.name, mode === 'http-to-mcp' ? 'add-tool' : 'overview');
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Create MCP server</h1>
      <form className="card form" onSubmit={submit} noValidate>
        <fieldset className="choice">
          <legend>Kind</legend>
          <label className={`choice-card${mode === 'direct-proxy' ? ' selected' : ''}`}>
            <input type="radio" name="mode" checked={mode === 'direct-proxy'} onChange={() => pickMode('direct-proxy')} />
            <strong>MCP Service Direct Proxy</strong>
            <span className="muted">Expose an existing MCP server (SSE or Streamable HTTP) through the gateway.</span>
          </label>
          <label className={`choice-card${mode === 'http-to-mcp' ? ' selected' : ''}`}>
            <input type="radio" name="mode" checked={mode === 'http-to-mcp'} onChange={() => pickMode('http-to-mcp')} />
            <strong>HTTP to MCP</strong>
            <span className="muted">Turn a REST API into MCP tools from an OpenAPI document or tool YAML.</span>
          </label>
        </fieldset>

        <Field label="Name" htmlFor="server-name" path="name" error={error} hint="Becomes the URL segment: /mcp-servers/NAME.">
          <input id="server-name" value={name} onChange={(e) => setName(e.target.value)} pattern="[a-z0-9-]{1,63}" />
        </Field>
        <Field label="Description" htmlFor="server-description" path="description" error={error}>
          <textarea id="server-description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
        </Field>
        <Field label="Domains" htmlFor="server-domains" path="domains" error={error} hint="Host names that may reach this server, comma separated. Empty: any host.">
          <input id="server-domains" value={domains} onChange={(e) => setDomains(e.target.value)} placeholder="mcp.example.com" />
        </Field>

        <Field
          label={mode === 'direct-proxy' ? 'MCP service' : 'Backend service'}
          htmlFor="server-service"
          path="service"
          error={error}
          hint={mode === 'http-to-mcp' ? 'Tools whose URL is a path are sent to this service. Leave empty when every tool uses an absolute URL.' : undefined}
        >
          <select id="server-service" value={chosen} onChange={(e) => setService(e.target.value)}>
            {mode === 'http-to-mcp' && <option value={NO_SERVICE}>None (absolute URLs)</option>}
            {mode === 'direct-proxy' && candidates.length > 0 && <option value={NO_SERVICE}>Choose…</option>}
            {candidates.map((s) => (
              <option key={s.name} value={s.name}>
                {s.name} ({s.protocol}
                {s.endpoints?.length ? `, ${s.endpoints.join(', ')}` : ''})
              </option>
            ))}
            <option value={NEW_SERVICE}>Create a new service…</option>
          </select>
        </Field>

        {creatingService && (
          <fieldset className="inline-service">
            <legend>New service</legend>
            <ErrorBanner error={serviceError} unclaimed={unclaimedErrors(serviceError, SERVICE_FIELDS)} />
            <Field label="Service name" htmlFor="svc-name" path="name" error={serviceError}>
              <input id="svc-name" value={svcName} onChange={(e) => setSvcName(e.target.value)} />
            </Field>
            <Field label="Protocol" htmlFor="svc-protocol" path="protocol" error={serviceError}>
              <select id="svc-protocol" value={svcProtocol} onChange={(e) => setSvcProtocol(e.target.value as Protocol)}>
                {mode === 'direct-proxy' ? (
                  <option value="mcp">mcp</option>
                ) : (
                  <>
                    <option value="http">http</option>
                    <option value="https">https</option>
                  </>
                )}
              </select>
            </Field>
            <Field label="Endpoints" htmlFor="svc-endpoints" path="endpoints" error={serviceError} hint="host:port, one or more, comma separated; calls are balanced across them.">
              <input id="svc-endpoints" value={svcEndpoints} onChange={(e) => setSvcEndpoints(e.target.value)} placeholder="127.0.0.1:9000" />
            </Field>
          </fieldset>
        )}

        {mode === 'direct-proxy' && (
          <>
            <Field label="Backend transport" htmlFor="server-transport" path="transport" error={error}>
              <select
                id="server-transport"
                value={transport}
                onChange={(e) => {
                  const t = e.target.value as 'sse' | 'streamable-http';
                  setTransport(t);
                  if (path === '/mcp' || path === '/sse') setPath(t === 'sse' ? '/sse' : '/mcp');
                }}
              >
                <option value="streamable-http">Streamable HTTP</option>
                <option value="sse">SSE</option>
              </select>
            </Field>
            <Field label="Backend path" htmlFor="server-path" path="path" error={error} hint={PATH_HINTS[transport]}>
              <input id="server-path" value={path} onChange={(e) => setPath(e.target.value)} />
            </Field>
          </>
        )}

        <ErrorBanner error={error} unclaimed={unclaimedErrors(error, SERVER_FIELDS)} />
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Creating…' : 'Create'}
          </button>
          <a className="button secondary" href="#/mcp-servers">
            Cancel
          </a>
        </div>
      </form>
    </section>
  );
}
