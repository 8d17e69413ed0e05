import { useState, type FormEvent } from 'react';
import { useSession } from '../session.js';
import { useLoad } from '../hooks.js';
import { ErrorBanner, Field, splitList } from '../components/form.js';
import { ResourcePage } from '../components/ResourcePage.js';
import { unclaimedErrors } from '../api.js';
import type { Protocol, Registry, Service } from '../types.js';

type SourceKind = 'static' | 'dns' | 'nacos' | 'stdio';
const FIELDS = ['name', 'protocol', 'endpoints', 'dns', 'nacos', 'timeoutMs', 'command', 'args', 'env', 'mode'];

function sourceOf(s: Service | null): SourceKind {
  if (!s) return 'static';
  if (s.protocol === 'stdio') return 'stdio';
  if (s.dns) return 'dns';
  if (s.nacos) return 'nacos';
  return 'static';
}

function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const i = line.indexOf('=');
    if (i > 0) env[line.slice(0, i).trim()] = line.slice(i + 1);
  }
  return env;
}

function ServiceForm({ editing, done, cancel }: { editing: Service | null; done: () => void; cancel: () => void }) {
  const { api } = useSession();
  const registries = useLoad(() => api.list<Registry>('registries'), []);
  const [name, setName] = useState(editing?.name ?? '');
  const [protocol, setProtocol] = useState<Protocol>(editing?.protocol ?? 'http');
  const [source, setSource] = useState<SourceKind>(sourceOf(editing));
  const [endpoints, setEndpoints] = useState(editing?.endpoints?.join(', ') ?? '');
  const [dns, setDns] = useState(editing?.dns ?? '');
  const [registry, setRegistry] = useState(editing?.nacos?.registry ?? '');
  const [nacosService, setNacosService] = useState(editing?.nacos?.service ?? '');
  const [group, setGroup] = useState(editing?.nacos?.group ?? 'DEFAULT_GROUP');
  const [namespace, setNamespace] = useState(editing?.nacos?.namespace ?? 'public');
  const [timeout, setTimeoutMs] = useState(String(editing?.timeoutMs ?? ''));
  const [command, setCommand] = useState(editing?.command ?? '');
  const [args, setArgs] = useState((editing?.args ?? []).join('\n'));
  const [env, setEnv] = useState(Object.entries(editing?.env ?? {}).map(([k, v]) => `${k}=${v}`).join('\n'));
  const [mode, setMode] = useState(editing?.mode ?? 'per-session');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const effective: SourceKind = protocol === 'stdio' ? 'stdio' : source === 'stdio' ? 'static' : source;
    const svc: Service = {
      name: name.trim(),
      protocol,
      ...(timeout.trim() ? { timeoutMs: Number(timeout) } : {}),
      ...(effective === 'static' ? { endpoints: splitList(endpoints) } : {}),
      ...(effective === 'dns' ? { dns: dns.trim() } : {}),
      ...(effective === 'nacos' ? { nacos: { registry, service: nacosService.trim(), group: group.trim(), namespace: namespace.trim() } } : {}),
      ...(effective === 'stdio' ? { command: command.trim(), args: args.split('\n').filter((a) => a.trim() !== ''), env: parseEnv(env), mode } : {}),
    };
    setBusy(true);
    setError(null);
    try {
      if (editing) await api.put('services', editing.name, svc);
      else await api.create('services', svc);
      done();
      cancel();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form" onSubmit={submit} noValidate>
      <h2>{editing ? `Edit ${editing.name}` : 'New service'}</h2>
      <Field label="Name" htmlFor="svc-name" path="name" error={error}>
        <input id="svc-name" value={name} onChange={(e) => setName(e.target.value)} disabled={Boolean(editing)} />
      </Field>
      <Field label="Protocol" htmlFor="svc-protocol" path="protocol" error={error} hint="mcp: an MCP server reached over HTTP; stdio: a local MCP server the gateway runs.">
        <select id="svc-protocol" value={protocol} onChange={(e) => setProtocol(e.target.value as Protocol)}>
          <option value="http">http</option>
          <option value="https">https</option>
          <option value="mcp">mcp</option>
          <option value="stdio">stdio</option>
        </select>
      </Field>
      {protocol !== 'stdio' && (
        <Field label="Source" htmlFor="svc-source">
          <select id="svc-source" value={source === 'stdio' ? 'static' : source} onChange={(e) => setSource(e.target.value as SourceKind)}>
            <option value="static">Static endpoints</option>
            <option value="dns">DNS</option>
            <option value="nacos">Nacos</option>
          </select>
        </Field>
      )}
      {protocol !== 'stdio' && (source === 'static' || source === 'stdio') && (
        <Field label="Endpoints" htmlFor="svc-endpoints" path="endpoints" error={error} hint="host:port, comma separated; calls are balanced across them.">
          <input id="svc-endpoints" value={endpoints} onChange={(e) => setEndpoints(e.target.value)} placeholder="127.0.0.1:9000, 127.0.0.1:9001" />
        </Field>
      )}
      {protocol !== 'stdio' && source === 'dns' && (
        <Field label="DNS name and port" htmlFor="svc-dns" path="dns" error={error} hint="Resolved again as records expire, e.g. api.example.com:443.">
          <input id="svc-dns" value={dns} onChange={(e) => setDns(e.target.value)} />
        </Field>
      )}
      {protocol !== 'stdio' && source === 'nacos' && (
        <fieldset>
          <legend>Nacos</legend>
          <Field label="Registry" htmlFor="svc-registry" path="nacos.registry" error={error}>
            <select id="svc-registry" value={registry} onChange={(e) => setRegistry(e.target.value)}>
              <option value="">Choose…</option>
              {(registries.data ?? []).map((r) => (
                <option key={r.name} value={r.name}>
                  {r.name} ({r.address})
                </option>
              ))}
            </select>
          </Field>
          <Field label="Service name in Nacos" htmlFor="svc-nacos-service" path="nacos.service" error={error}>
            <input id="svc-nacos-service" value={nacosService} onChange={(e) => setNacosService(e.target.value)} />
          </Field>
          <Field label="Group" htmlFor="svc-group" path="nacos.group" error={error}>
            <input id="svc-group" value={group} onChange={(e) => setGroup(e.target.value)} />
          </Field>
          <Field label="Namespace" htmlFor="svc-namespace" path="nacos.namespace" error={error}>
            <input id="svc-namespace" value={namespace} onChange={(e) => setNamespace(e.target.value)} />
          </Field>
        </fieldset>
      )}
      {protocol === 'stdio' && (
        <>
          <Field label="Command" htmlFor="svc-command" path="command" error={error}>
            <input id="svc-command" value={command} onChange={(e) => setCommand(e.target.value)} placeholder="npx" />
          </Field>
          <Field label="Arguments" htmlFor="svc-args" path="args" error={error} hint="One per line.">
            <textarea id="svc-args" rows={3} className="mono" value={args} onChange={(e) => setArgs(e.target.value)} />
          </Field>
          <Field label="Environment" htmlFor="svc-env" path="env" error={error} hint="KEY=value, one per line; stored encrypted and shown masked.">
            <textarea id="svc-env" rows={3} className="mono" value={env} onChange={(e) => setEnv(e.target.value)} />
          </Field>
          <Field label="Process mode" htmlFor="svc-mode" path="mode" error={error}>
            <select id="svc-mode" value={mode} onChange={(e) => setMode(e.target.value as 'per-session' | 'shared')}>
              <option value="per-session">One process per client session</option>
              <option value="shared">One shared process</option>
            </select>
          </Field>
        </>
      )}
      <Field label="Timeout (ms)" htmlFor="svc-timeout" path="timeoutMs" error={error}>
        <input id="svc-timeout" type="number" min={1} value={timeout} onChange={(e) => setTimeoutMs(e.target.value)} placeholder="30000" />
      </Field>
      <ErrorBanner error={error} unclaimed={unclaimedErrors(error, FIELDS)} />
      <div className="actions">
        <button type="submit" disabled={busy}>
          Save
        </button>
        <button type="button" className="secondary" onClick={cancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}

function describeSource(s: Service): string {
  if (s.protocol === 'stdio') return [s.command, ...(s.args ?? [])].join(' ');
  if (s.dns) return `DNS ${s.dns}`;
  if (s.nacos) return `Nacos ${s.nacos.registry}: ${s.nacos.service}`;
  return (s.endpoints ?? []).join(', ');
}

export function Services() {
  return (
    <ResourcePage<Service>
      kind="services"
      title="Services"
      createLabel="Add service"
      intro="Backends the gateway talks to: static endpoints, a DNS name, a Nacos service, or a local stdio MCP server."
      columns={[
        { label: 'Protocol', render: (s) => s.protocol },
        { label: 'Source', render: (s) => <code>{describeSource(s)}</code> },
      ]}
      renderForm={(editing, done, cancel) => <ServiceForm key={editing?.name ?? 'new'} editing={editing} done={done} cancel={cancel} />}
    />
  );
}
