import { useState, type FormEvent } from 'react';
import { useSession } from '../session.js';
import { ErrorBanner, Field } from '../components/form.js';
import { ResourcePage } from '../components/ResourcePage.js';
import { unclaimedErrors } from '../api.js';
import type { Registry } from '../types.js';

const FIELDS = ['name', 'type', 'address', 'username', 'password', 'namespace', 'pollIntervalMs', 'mcpRegistry'];
const MASK = '****';

function RegistryForm({ editing, done, cancel }: { editing: Registry | null; done: () => void; cancel: () => void }) {
  const { api } = useSession();
  const [name, setName] = useState(editing?.name ?? '');
  const [address, setAddress] = useState(editing?.address ?? 'http://127.0.0.1:8848');
  const [username, setUsername] = useState(editing?.username ?? '');
  const [password, setPassword] = useState('');
  const [namespace, setNamespace] = useState(editing?.namespace ?? 'public');
  const [poll, setPoll] = useState(String(editing?.pollIntervalMs ?? 5000));
  const [mcpRegistry, setMcpRegistry] = useState(Boolean(editing?.mcpRegistry));
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const reg: Registry = {
      name: name.trim(),
      type: 'nacos',
      address: address.trim(),
      ...(username.trim() ? { username: username.trim() } : {}),
      // An untouched password field keeps the stored one: the API only ever returns it masked.
      ...(password ? { password } : editing?.password ? { password: MASK } : {}),
      namespace: namespace.trim(),
      pollIntervalMs: Number(poll),
      mcpRegistry,
    };
    setBusy(true);
    setError(null);
    try {
      if (editing) await api.put('registries', editing.name, reg);
      else await api.create('registries', reg);
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
      <h2>{editing ? `Edit ${editing.name}` : 'New registry'}</h2>
      <Field label="Name" htmlFor="reg-name" path="name" error={error}>
        <input id="reg-name" value={name} onChange={(e) => setName(e.target.value)} disabled={Boolean(editing)} />
      </Field>
      <Field label="Type" htmlFor="reg-type" path="type" error={error}>
        <select id="reg-type" value="nacos" disabled>
          <option value="nacos">Nacos</option>
        </select>
      </Field>
      <Field label="Address" htmlFor="reg-address" path="address" error={error}>
        <input id="reg-address" value={address} onChange={(e) => setAddress(e.target.value)} />
      </Field>
      <Field label="Username" htmlFor="reg-username" path="username" error={error}>
        <input id="reg-username" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
      </Field>
      <Field label="Password" htmlFor="reg-password" path="password" error={error} hint={editing?.password ? 'Stored. Leave empty to keep it.' : 'Stored encrypted, never shown again.'}>
        <input id="reg-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
      </Field>
      <Field label="Namespace" htmlFor="reg-namespace" path="namespace" error={error}>
        <input id="reg-namespace" value={namespace} onChange={(e) => setNamespace(e.target.value)} />
      </Field>
      <Field label="Poll interval (ms)" htmlFor="reg-poll" path="pollIntervalMs" error={error} hint="Nacos 3 has no HTTP push; instances are polled.">
        <input id="reg-poll" type="number" min={500} value={poll} onChange={(e) => setPoll(e.target.value)} />
      </Field>
      <label className="inline">
        <input type="checkbox" checked={mcpRegistry} onChange={(e) => setMcpRegistry(e.target.checked)} /> Also import the MCP servers registered in Nacos (read-only)
      </label>
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

export function Registries() {
  return (
    <ResourcePage<Registry>
      kind="registries"
      title="Registries"
      createLabel="Add registry"
      intro="Service sources other than static endpoints and DNS. Services pick a registry for their instances."
      columns={[
        { label: 'Type', render: (r) => r.type },
        { label: 'Address', render: (r) => <code>{r.address}</code> },
        { label: 'Namespace', render: (r) => r.namespace ?? 'public' },
        { label: 'MCP registry', render: (r) => (r.mcpRegistry ? 'imported' : 'no') },
      ]}
      renderForm={(editing, done, cancel) => <RegistryForm key={editing?.name ?? 'new'} editing={editing} done={done} cancel={cancel} />}
    />
  );
}
