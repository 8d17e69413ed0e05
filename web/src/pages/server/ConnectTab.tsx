import { useState } from 'react';
import { useSession } from '../../session.js';
import { clientConfig, endpointsOf, type ClientKind } from '../../client-config.js';
import { CopyButton } from '../../components/form.js';
import { DataPlaneUrl } from '../../components/DataPlaneUrl.js';
import { href } from '../../routing.js';
import type { McpServer } from '../../types.js';

const CLIENTS: Array<{ id: ClientKind; label: string; file: string }> = [
  { id: 'claude', label: 'Claude Desktop', file: 'claude_desktop_config.json' },
  { id: 'cursor', label: 'Cursor', file: '.cursor/mcp.json' },
  { id: 'vscode', label: 'VS Code', file: '.vscode/mcp.json' },
];

export function ConnectTab({ server }: { server: McpServer }) {
  const { dataPlaneUrl } = useSession();
  const [client, setClient] = useState<ClientKind>('cursor');
  const [header, setHeader] = useState<'x-api-key' | 'authorization'>('x-api-key');
  const groups = endpointsOf(server, dataPlaneUrl);
  const primary = groups[0].endpoints[0].url;
  const config = clientConfig(client, server, primary, header);
  const file = CLIENTS.find((c) => c.id === client)!.file;

  return (
    <div className="stack">
      <dl className="facts">
        <dt>Type</dt>
        <dd>{server.type}</dd>
        {server.service && (
          <>
            <dt>Service</dt>
            <dd>
              <a href={href('services')}>{server.service}</a>
            </dd>
          </>
        )}
        {server.type === 'direct-proxy' && (
          <>
            <dt>Backend</dt>
            <dd>
              {server.transport} at <code>{server.path}</code>
            </dd>
          </>
        )}
        <dt>Domains</dt>
        <dd>{server.domains?.length ? server.domains.join(', ') : 'any host'}</dd>
        <dt>Consumer auth</dt>
        <dd>{server.consumerAuth?.enabled ? `required (${server.consumerAuth.allowedConsumers?.join(', ') || 'no consumer allowed yet'})` : 'off'}</dd>
      </dl>

      <h2>Generate URL</h2>
      <DataPlaneUrl />
      {groups.map((g) => (
        <div key={g.domain} className="endpoint-group">
          <h3>{g.domain}</h3>
          <ul className="endpoints">
            {g.endpoints.map((e) => (
              <li key={e.url}>
                <span className="transport">{e.transport}</span>
                <code className="url" data-transport={e.transport}>
                  {e.url}
                </code>
                <CopyButton text={e.url} label="Copy URL" />
              </li>
            ))}
          </ul>
        </div>
      ))}

      <h2>Client configuration</h2>
      <div className="row wrap">
        <div className="segmented" role="tablist" aria-label="Client">
          {CLIENTS.map((c) => (
            <button key={c.id} type="button" role="tab" aria-selected={client === c.id} className={client === c.id ? 'selected' : ''} onClick={() => setClient(c.id)}>
              {c.label}
            </button>
          ))}
        </div>
        {server.consumerAuth?.enabled && (
          <label className="inline">
            Credential header{' '}
            <select value={header} onChange={(e) => setHeader(e.target.value as 'x-api-key' | 'authorization')}>
              <option value="x-api-key">x-api-key</option>
              <option value="authorization">Authorization: Bearer</option>
            </select>
          </label>
        )}
      </div>
      <p className="muted">
        Put this in <code>{file}</code>
        {server.consumerAuth?.enabled ? ' and replace the placeholder with a consumer key.' : '.'}
      </p>
      <div className="code-block">
        <pre aria-label="Client configuration">{config}</pre>
        <CopyButton text={config} label="Copy configuration" />
      </div>
    </div>
  );
}
