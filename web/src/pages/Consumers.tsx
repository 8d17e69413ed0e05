import { useState, type FormEvent } from 'react';
import { useSession } from '../session.js';
import { CopyButton, ErrorBanner, Field } from '../components/form.js';
import { ResourcePage } from '../components/ResourcePage.js';
import { unclaimedErrors } from '../api.js';
import type { Consumer, Credential } from '../types.js';

const FIELDS = ['name'];
const MASK = '****';

/** A random key for key-auth: 32 bytes from the browser's CSPRNG, base64url. */
function newKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function ConsumerForm({ editing, done, cancel }: { editing: Consumer | null; done: () => void; cancel: () => void }) {
  const { api } = useSession();
  const keyCred = editing?.credentials.find((c) => c.type === 'key-auth');
  const jwtCred = editing?.credentials.find((c): c is Extract<Credential, { type: 'jwt' }> => c.type === 'jwt');
  const [name, setName] = useState(editing?.name ?? '');
  const [useKey, setUseKey] = useState(editing ? Boolean(keyCred) : true);
  const [rotate, setRotate] = useState(false);
  const [useJwt, setUseJwt] = useState(Boolean(jwtCred));
  const [issuer, setIssuer] = useState(jwtCred?.issuer ?? '');
  const [jwtMode, setJwtMode] = useState<'jwks' | 'secret'>(jwtCred?.secret ? 'secret' : 'jwks');
  const [jwksUrl, setJwksUrl] = useState(jwtCred?.jwksUrl ?? '');
  const [secret, setSecret] = useState('');
  const [audience, setAudience] = useState(jwtCred?.audience ?? '');
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [shownKey, setShownKey] = useState<string | null>(null);
  // The API names credential errors by position, e.g. credentials.1.issuer.
  const jwtPath = `credentials.${useKey ? 1 : 0}`;

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const credentials: Credential[] = [];
    let key: string | null = null;
    if (useKey) {
      if (!keyCred || rotate) key = newKey();
      // Sending the mask back keeps the stored key.
      credentials.push({ type: 'key-auth', key: key ?? MASK });
    }
    if (useJwt) {
      credentials.push({
        type: 'jwt',
        ...(issuer.trim() ? { issuer: issuer.trim() } : {}),
        ...(audience.trim() ? { audience: audience.trim() } : {}),
        ...(jwtMode === 'jwks' ? { jwksUrl: jwksUrl.trim() } : { secret: secret || (jwtCred?.secret ? MASK : '') }),
      });
    }
    const consumer: Consumer = { name: name.trim(), credentials };
    setBusy(true);
    setError(null);
    try {
      const saved = editing ? await api.put('consumers', editing.name, consumer) : await api.create('consumers', consumer);
      // Prefer a key the gateway generated itself, if it returned one unmasked.
      const returned = (saved as Consumer | undefined)?.credentials?.find((c) => c.type === 'key-auth') as { key?: string } | undefined;
      const visible = returned?.key && returned.key !== MASK ? returned.key : key;
      done();
      if (visible) setShownKey(visible);
      else cancel();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  if (shownKey) {
    return (
      <div className="card form" data-testid="consumer-key">
        <h2>Key for {name}</h2>
        <p>
          Copy it now: <strong>it is shown only once</strong>. Clients send it as <code>Authorization: Bearer</code>, <code>x-api-key</code> or{' '}
          <code>?api_key=</code>.
        </p>
        <div className="code-block">
          <pre aria-label="Consumer key" className="secret">
            {shownKey}
          </pre>
          <CopyButton text={shownKey} label="Copy key" />
        </div>
        <div className="actions">
          <button type="button" onClick={cancel}>
            Done
          </button>
        </div>
      </div>
    );
  }

  return (
    <form className="card form" onSubmit={submit} noValidate>
      <h2>{editing ? `Edit ${editing.name}` : 'New consumer'}</h2>
      <Field label="Name" htmlFor="consumer-name" path="name" error={error}>
        <input id="consumer-name" value={name} onChange={(e) => setName(e.target.value)} disabled={Boolean(editing)} />
      </Field>
      <fieldset>
        <legend>Credentials</legend>
        <label className="inline">
          <input type="checkbox" checked={useKey} onChange={(e) => setUseKey(e.target.checked)} /> API key
        </label>
        {useKey && keyCred && (
          <label className="inline nested">
            <input type="checkbox" checked={rotate} onChange={(e) => setRotate(e.target.checked)} /> Replace the key with a new one
          </label>
        )}
        {useKey && !keyCred && <div className="hint nested">A random key is generated and shown once after saving.</div>}
        <label className="inline">
          <input type="checkbox" checked={useJwt} onChange={(e) => setUseJwt(e.target.checked)} /> JWT
        </label>
        {useJwt && (
          <div className="nested">
            <Field label="Issuer" htmlFor="jwt-issuer" path={`${jwtPath}.issuer`} error={error}>
              <input id="jwt-issuer" value={issuer} onChange={(e) => setIssuer(e.target.value)} placeholder="https://issuer.example.com/" />
            </Field>
            <Field label="Verify with" htmlFor="jwt-mode">
              <select id="jwt-mode" value={jwtMode} onChange={(e) => setJwtMode(e.target.value as 'jwks' | 'secret')}>
                <option value="jwks">JWKS URL (RS256, ES256…)</option>
                <option value="secret">Shared secret (HS256)</option>
              </select>
            </Field>
            {jwtMode === 'jwks' ? (
              <Field label="JWKS URL" htmlFor="jwt-jwks" path={`${jwtPath}.jwksUrl`} error={error}>
                <input id="jwt-jwks" value={jwksUrl} onChange={(e) => setJwksUrl(e.target.value)} />
              </Field>
            ) : (
              <Field label="Secret" htmlFor="jwt-secret" path={`${jwtPath}.secret`} error={error} hint={jwtCred?.secret ? 'Stored. Leave empty to keep it.' : undefined}>
                <input id="jwt-secret" type="password" value={secret} onChange={(e) => setSecret(e.target.value)} autoComplete="new-password" />
              </Field>
            )}
            <Field label="Audience (optional)" htmlFor="jwt-audience" path={`${jwtPath}.audience`} error={error}>
              <input id="jwt-audience" value={audience} onChange={(e) => setAudience(e.target.value)} />
            </Field>
          </div>
        )}
      </fieldset>
      <ErrorBanner error={error} unclaimed={unclaimedErrors(error, [...FIELDS, `${jwtPath}.issuer`, `${jwtPath}.jwksUrl`, `${jwtPath}.secret`, `${jwtPath}.audience`])} />
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

export function Consumers() {
  return (
    <ResourcePage<Consumer>
      kind="consumers"
      title="Consumers"
      createLabel="Add consumer"
      intro="Clients identified by an API key or a JWT. MCP servers with consumer authentication admit only the consumers they list."
      columns={[
        {
          label: 'Credentials',
          render: (c) => (c.credentials ?? []).map((x) => (x.type === 'jwt' ? `JWT${x.issuer ? ` (${x.issuer})` : ''}` : 'API key')).join(', ') || 'none',
        },
      ]}
      renderForm={(editing, done, cancel) => <ConsumerForm key={editing?.name ?? 'new'} editing={editing} done={done} cancel={cancel} />}
    />
  );
}
