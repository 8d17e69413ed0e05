import { useEffect, useState } from 'react';
import { useSession } from '../../session.js';
import { useLoad } from '../../hooks.js';
import { ErrorBanner, Loading } from '../../components/form.js';
import { DataPlaneUrl } from '../../components/DataPlaneUrl.js';
import { SchemaForm } from '../../components/SchemaForm.js';
import { initialValues, toArguments, type SchemaValues } from '../../schema-args.js';
import { BrowserMcpClient, type CallOutcome } from '../../mcp-client.js';
import { endpointsOf } from '../../client-config.js';
import type { McpServer } from '../../types.js';

function ResultView({ outcome }: { outcome: CallOutcome }) {
  if (outcome.error) {
    return (
      <div className="banner error" role="alert" data-testid="try-result">
        <strong>JSON-RPC error {outcome.error.code}</strong>: {outcome.error.message}
      </div>
    );
  }
  const r = outcome.result ?? {};
  return (
    <div className={`result${r.isError ? ' is-error' : ''}`} data-testid="try-result">
      {r.isError && <p className="field-error">The tool reported an error.</p>}
      {(r.content ?? []).map((c, i) =>
        c.type === 'text' ? (
          <pre key={i} className="result-text">
            {String(c.text)}
          </pre>
        ) : c.type === 'image' ? (
          <img key={i} alt="tool result" src={`data:${String(c.mimeType)};base64,${String(c.data)}`} />
        ) : (
          <pre key={i}>{JSON.stringify(c, null, 2)}</pre>
        ),
      )}
      {r.structuredContent !== undefined && (
        <>
          <h4>Structured content</h4>
          <pre>{JSON.stringify(r.structuredContent, null, 2)}</pre>
        </>
      )}
    </div>
  );
}

/** Calls a tool through the data plane from the browser, over Streamable HTTP, as a client would. */
export function TryTab({ server, initialTool }: { server: McpServer; initialTool?: string }) {
  const { api, dataPlaneUrl } = useSession();
  const tools = useLoad(() => api.tools(server.name), [server.name]);
  const [toolName, setToolName] = useState(initialTool ?? '');
  const [values, setValues] = useState<SchemaValues>({});
  const [problems, setProblems] = useState<Record<string, string>>({});
  const [credential, setCredential] = useState('');
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<CallOutcome | null>(null);
  const [error, setError] = useState<unknown>(null);

  const list = tools.data ?? [];
  const tool = list.find((t) => t.name === toolName) ?? list[0];
  useEffect(() => {
    setValues(initialValues(tool?.inputSchema));
    setProblems({});
    setOutcome(null);
  }, [tool?.name]);

  if (tools.loading && !tools.data) return <Loading />;
  if (tools.error) return <ErrorBanner error={tools.error} />;
  if (!tool) return <p className="muted">This server has no tool to try.</p>;

  const url = endpointsOf(server, dataPlaneUrl)[0].endpoints[0].url;
  const call = async () => {
    const { args, problems: p } = toArguments(tool.inputSchema, values);
    setProblems(p);
    if (Object.keys(p).length) return;
    setBusy(true);
    setError(null);
    setOutcome(null);
    const client = new BrowserMcpClient(url, credential ? { 'x-api-key': credential } : {});
    try {
      await client.connect();
      setOutcome(await client.callTool(tool.name, args));
    } catch (err) {
      setError(err);
    } finally {
      await client.close();
      setBusy(false);
    }
  };

  return (
    <div className="stack try">
      <DataPlaneUrl />
      <div className="field">
        <label htmlFor="try-tool">Tool</label>
        <select id="try-tool" value={tool.name} onChange={(e) => setToolName(e.target.value)}>
          {list.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name}
            </option>
          ))}
        </select>
        {tool.description && <div className="hint">{tool.description}</div>}
      </div>
      {server.consumerAuth?.enabled && (
        <div className="field">
          <label htmlFor="try-credential">Consumer key</label>
          <input id="try-credential" type="password" value={credential} onChange={(e) => setCredential(e.target.value)} autoComplete="off" />
          <div className="hint">Sent as x-api-key; this server requires a consumer.</div>
        </div>
      )}
      <form
        onSubmit={(e) => {
          e.preventDefault();
          void call();
        }}
      >
        <SchemaForm schema={tool.inputSchema} values={values} problems={problems} onChange={setValues} />
        <div className="actions">
          <button type="submit" disabled={busy}>
            {busy ? 'Calling…' : 'Call tool'}
          </button>
          <span className="muted small-text">
            POST <code>{url}</code>
          </span>
        </div>
      </form>
      <ErrorBanner error={error} />
      {outcome && <ResultView outcome={outcome} />}
    </div>
  );
}
