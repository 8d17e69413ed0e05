import { useState, type FormEvent } from 'react';
import { AdminApi, ApiError } from '../api.js';
import { Field } from '../components/form.js';

/** Asks for the admin token and checks it against the admin API before keeping it for this tab. */
export function SignIn(props: { expired: boolean; onSignedIn: (token: string) => void }) {
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const t = token.trim();
    if (!t) {
      setError('Enter the admin token.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      await new AdminApi(t).request('GET', '/mcp-servers');
      props.onSignedIn(t);
    } catch (err) {
      if (err instanceof ApiError && (err.status === 401 || err.status === 403)) setError('The gateway refused this token.');
      else setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <main className="signin">
      <form className="card signin-card" onSubmit={submit}>
        <h1>MCP Gateway</h1>
        <p className="muted">Sign in with the admin token.</p>
        {props.expired && <div className="banner warn">Your session ended: the token was refused. Sign in again.</div>}
        <Field
          label="Admin token"
          htmlFor="admin-token"
          hint={
            <>
              Printed at the first start and kept in the data directory, or set with <code>MCPGW_ADMIN_TOKEN</code>.
              It stays in this browser tab only.
            </>
          }
          extraErrors={error ? [error] : []}
        >
          <input
            id="admin-token"
            name="token"
            type="password"
            autoComplete="current-password"
            value={token}
            onChange={(e) => setToken(e.target.value)}
            autoFocus
          />
        </Field>
        <button type="submit" disabled={busy}>
          {busy ? 'Checking…' : 'Sign in'}
        </button>
      </form>
    </main>
  );
}
