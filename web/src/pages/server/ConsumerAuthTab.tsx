import { useState } from 'react';
import { useSession } from '../../session.js';
import { useLoad } from '../../hooks.js';
import { ErrorBanner, Field, Loading, Notice, Switch } from '../../components/form.js';
import { href } from '../../routing.js';
import type { Consumer, McpServer } from '../../types.js';
import type { SaveServer } from '../ServerDetail.js';

/** Which consumers may call this server, and optionally which tools each may use. */
export function ConsumerAuthTab({ server, save }: { server: McpServer; save: SaveServer }) {
  const { api } = useSession();
  const consumers = useLoad(() => api.list<Consumer>('consumers'), []);
  const tools = useLoad(() => api.tools(server.name).catch(() => []), [server.name]);
  const auth = server.consumerAuth;
  const [enabled, setEnabled] = useState(Boolean(auth?.enabled));
  const [allowed, setAllowed] = useState<Set<string>>(new Set(auth?.allowedConsumers ?? []));
  const [perTool, setPerTool] = useState<Record<string, string[]>>(auth?.allowedTools ?? {});
  const [error, setError] = useState<unknown>(null);
  const [done, setDone] = useState(false);
  const [busy, setBusy] = useState(false);

  if (consumers.loading && !consumers.data) return <Loading />;
  const toolNames = (tools.data ?? []).map((t) => t.name);

  const toggleConsumer = (name: string, on: boolean) => {
    const next = new Set(allowed);
    if (on) next.add(name);
    else next.delete(name);
    setAllowed(next);
  };
  const toggleTool = (consumer: string, tool: string, on: boolean) => {
    const list = perTool[consumer] ?? [];
    const next = on ? [...list, tool] : list.filter((t) => t !== tool);
    setPerTool({ ...perTool, [consumer]: next });
  };

  const submit = async () => {
    setBusy(true);
    setError(null);
    setDone(false);
    const allowedTools: Record<string, string[]> = {};
    for (const name of allowed) if (perTool[name]?.length) allowedTools[name] = perTool[name];
    try {
      await save({
        ...server,
        consumerAuth: {
          enabled,
          allowedConsumers: [...allowed],
          ...(Object.keys(allowedTools).length ? { allowedTools } : {}),
        },
      });
      setDone(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };

  return (
    <div className="card form">
      <Switch checked={enabled} onChange={setEnabled} label="Require consumer authentication" />
      <p className="muted">
        Clients then send a consumer's key as <code>Authorization: Bearer</code>, <code>x-api-key</code> or <code>?api_key=</code>, or a JWT.
        Calls without one are refused with 401, consumers not listed here with 403.
      </p>
      <ErrorBanner error={consumers.error} />
      <Field label="Allowed consumers" path="consumerAuth.allowedConsumers" error={error}>
        {(consumers.data ?? []).length === 0 ? (
          <p className="muted">
            No consumer exists yet. <a href={href('consumers')}>Add one</a>.
          </p>
        ) : (
          <ul className="consumer-list">
            {(consumers.data ?? []).map((c) => (
              <li key={c.name}>
                <label className="inline">
                  <input type="checkbox" checked={allowed.has(c.name)} onChange={(e) => toggleConsumer(c.name, e.target.checked)} /> {c.name}
                </label>
                {allowed.has(c.name) && toolNames.length > 0 && (
                  <details>
                    <summary>
                      Tools: {perTool[c.name]?.length ? perTool[c.name].join(', ') : 'all'}
                    </summary>
                    <div className="tool-checks">
                      {toolNames.map((t) => (
                        <label key={t} className="inline">
                          <input type="checkbox" checked={perTool[c.name]?.includes(t) ?? false} onChange={(e) => toggleTool(c.name, t, e.target.checked)} /> {t}
                        </label>
                      ))}
                    </div>
                    <div className="hint">None ticked: every tool.</div>
                  </details>
                )}
              </li>
            ))}
          </ul>
        )}
      </Field>
      <ErrorBanner error={error} />
      {done && <Notice kind="ok">Consumer authentication saved.</Notice>}
      <div className="actions">
        <button type="button" onClick={submit} disabled={busy}>
          Save
        </button>
      </div>
    </div>
  );
}
