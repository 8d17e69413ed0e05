import { useState, type FormEvent } from 'react';
import { ErrorBanner, Field, Notice } from '../../components/form.js';
import { readBackendAuth, writeBackendAuth, type BackendAuth } from '../../tool-yaml.js';
import type { McpServer } from '../../types.js';
import type { SaveServer } from '../ServerDetail.js';

type Kind = BackendAuth['kind'];

/** Credentials the gateway adds to every backend call, stored as the tool YAML's `server.securitySchemes`. */
export function BackendAuthTab({ server, save }: { server: McpServer; save: SaveServer }) {
  const current = readBackendAuth(server.tools ?? '');
  const [kind, setKind] = useState<Kind>(current.kind);
  const [username, setUsername] = useState(current.kind === 'basic' ? current.username : '');
  const [password, setPassword] = useState(current.kind === 'basic' ? current.password : '');
  const [token, setToken] = useState(current.kind === 'bearer' ? current.token : '');
  const [keyIn, setKeyIn] = useState<'header' | 'query'>(current.kind === 'apiKey' ? current.in : 'header');
  const [keyName, setKeyName] = useState(current.kind === 'apiKey' ? current.name : 'X-API-Key');
  const [keyValue, setKeyValue] = useState(current.kind === 'apiKey' ? current.value : '');
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setDone(false);
    const auth: BackendAuth =
      kind === 'basic'
        ? { kind, username, password }
        : kind === 'bearer'
          ? { kind, token }
          : kind === 'apiKey'
            ? { kind, in: keyIn, name: keyName.trim(), value: keyValue }
            : { kind: 'none' };
    setBusy(true);
    try {
      const tools = writeBackendAuth(server.tools ?? '', auth, server.name);
      await save({ ...server, tools });
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form className="card form" onSubmit={submit}>
      <p className="muted">
        How the gateway authenticates to the backend API. Written into the tool YAML as <code>server.securitySchemes</code> and{' '}
        <code>server.defaultUpstreamSecurity</code>; stored encrypted and shown masked.
      </p>
      <Field label="Method" htmlFor="backend-auth-kind">
        <select id="backend-auth-kind" value={kind} onChange={(e) => setKind(e.target.value as Kind)}>
          <option value="none">None</option>
          <option value="basic">Basic</option>
          <option value="bearer">Bearer token</option>
          <option value="apiKey">API key</option>
        </select>
      </Field>
      {kind === 'basic' && (
        <>
          <Field label="Username" htmlFor="backend-user">
            <input id="backend-user" value={username} onChange={(e) => setUsername(e.target.value)} autoComplete="off" />
          </Field>
          <Field label="Password" htmlFor="backend-password">
            <input id="backend-password" type="password" value={password} onChange={(e) => setPassword(e.target.value)} autoComplete="new-password" />
          </Field>
        </>
      )}
      {kind === 'bearer' && (
        <Field label="Token" htmlFor="backend-token">
          <input id="backend-token" type="password" value={token} onChange={(e) => setToken(e.target.value)} autoComplete="off" />
        </Field>
      )}
      {kind === 'apiKey' && (
        <>
          <Field label="Sent in" htmlFor="backend-key-in">
            <select id="backend-key-in" value={keyIn} onChange={(e) => setKeyIn(e.target.value as 'header' | 'query')}>
              <option value="header">Header</option>
              <option value="query">Query parameter</option>
            </select>
          </Field>
          <Field label={keyIn === 'header' ? 'Header name' : 'Parameter name'} htmlFor="backend-key-name">
            <input id="backend-key-name" value={keyName} onChange={(e) => setKeyName(e.target.value)} />
          </Field>
          <Field label="Key" htmlFor="backend-key-value">
            <input id="backend-key-value" type="password" value={keyValue} onChange={(e) => setKeyValue(e.target.value)} autoComplete="off" />
          </Field>
        </>
      )}
      <ErrorBanner error={error} />
      {done && <Notice kind="ok">Backend authentication saved.</Notice>}
      <div className="actions">
        <button type="submit" disabled={busy}>
          Save
        </button>
      </div>
    </form>
  );
}
