import { useSession } from '../../session.js';
import { useLoad } from '../../hooks.js';
import { ErrorBanner, Loading } from '../../components/form.js';
import { href } from '../../routing.js';
import type { JsonSchema, McpServer } from '../../types.js';

function typeOf(s: JsonSchema | undefined): string {
  if (!s) return 'any';
  const t = Array.isArray(s.type) ? s.type.join(' | ') : (s.type ?? (s.enum ? 'enum' : 'any'));
  return t === 'array' && s.items ? `${typeOf(s.items)}[]` : t;
}

/** The arguments of a tool as a table read from its inputSchema. */
export function ArgumentTable({ schema }: { schema?: JsonSchema }) {
  const props = Object.entries(schema?.properties ?? {});
  if (props.length === 0) return <p className="muted">No arguments.</p>;
  const required = new Set(schema?.required ?? []);
  return (
    <div className="table-wrap">
      <table className="args">
        <thead>
          <tr>
            <th>Argument</th>
            <th>Type</th>
            <th>Required</th>
            <th>Description</th>
          </tr>
        </thead>
        <tbody>
          {props.map(([name, p]) => (
            <tr key={name}>
              <td data-label="Argument">
                <code>{name}</code>
              </td>
              <td data-label="Type">
                {typeOf(p)}
                {p.enum ? `: ${p.enum.map((v) => JSON.stringify(v)).join(', ')}` : ''}
              </td>
              <td data-label="Required">{required.has(name) ? 'yes' : 'no'}</td>
              <td data-label="Description">{p.description ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function ToolsTab({ server }: { server: McpServer }) {
  const { api } = useSession();
  const tools = useLoad(() => api.tools(server.name), [server]);
  if (tools.loading && !tools.data) return <Loading />;
  if (tools.error) return <ErrorBanner error={tools.error} />;
  const list = tools.data ?? [];
  return (
    <div className="stack">
      <p className="muted">
        {list.length} tool{list.length === 1 ? '' : 's'}, as clients see them in <code>tools/list</code>.
      </p>
      {list.length === 0 && server.type === 'http-to-mcp' && (
        <p>
          No tool yet. <a href={href('mcp-servers', server.name, 'add-tool')}>Add tools</a> from an OpenAPI document or YAML.
        </p>
      )}
      {list.map((t) => (
        <article key={t.name} className="card tool" data-tool={t.name}>
          <header>
            <h3>
              <code>{t.name}</code>
            </h3>
            <a className="button secondary small" href={href('mcp-servers', server.name, 'try', t.name)}>
              Try it
            </a>
          </header>
          {t.description && <p className="tool-description">{t.description}</p>}
          <ArgumentTable schema={t.inputSchema} />
        </article>
      ))}
    </div>
  );
}
