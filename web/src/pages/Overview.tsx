import { useSession } from '../session.js';
import { useLoad } from '../hooks.js';
import { ErrorBanner, Loading } from '../components/form.js';
import { formatTime } from '../format.js';
import { href } from '../routing.js';
import type { AuditEntry, Instance } from '../types.js';
import type { Kind } from '../api.js';

const KINDS: Array<{ kind: Kind; label: string }> = [
  { kind: 'mcp-servers', label: 'MCP servers' },
  { kind: 'services', label: 'Services' },
  { kind: 'registries', label: 'Registries' },
  { kind: 'consumers', label: 'Consumers' },
];

function auditTime(e: AuditEntry): unknown {
  return e.at ?? e.time ?? e.timestamp ?? (e as Record<string, unknown>).createdAt;
}

function auditWhat(e: AuditEntry): string {
  const r = e as Record<string, unknown>;
  const action = e.action ?? r.method ?? r.op ?? '';
  const target = [e.kind ?? r.resource, e.name].filter(Boolean).join('/');
  return [action, target].filter(Boolean).join(' ') || JSON.stringify(e);
}

export function Overview() {
  const { api } = useSession();
  const instances = useLoad<Instance[]>(() => api.instances(), []);
  const counts = useLoad(() => Promise.all(KINDS.map((k) => api.list(k.kind).then((l) => l.length))), []);
  const audit = useLoad<AuditEntry[]>(() => api.audit(), []);

  return (
    <section>
      <h1>Overview</h1>
      <div className="stats">
        {KINDS.map((k, i) => (
          <a className="card stat" key={k.kind} href={href(k.kind)}>
            <span className="stat-value" data-testid={`count-${k.kind}`}>
              {counts.data ? counts.data[i] : '…'}
            </span>
            <span className="stat-label">{k.label}</span>
          </a>
        ))}
      </div>
      <ErrorBanner error={counts.error} />

      <h2>Gateway instances</h2>
      {instances.loading && !instances.data ? (
        <Loading />
      ) : instances.error ? (
        <ErrorBanner error={instances.error} />
      ) : (
        <div className="table-wrap">
          <table>
            <thead>
              <tr>
                <th>Instance</th>
                <th>Address</th>
                <th>Version</th>
                <th>Started</th>
                <th>Last heartbeat</th>
              </tr>
            </thead>
            <tbody>
              {(instances.data ?? []).map((i) => (
                <tr key={i.id}>
                  <td data-label="Instance">
                    <code>{i.id}</code>
                  </td>
                  <td data-label="Address">{i.address ?? '—'}</td>
                  <td data-label="Version">{i.version ?? '—'}</td>
                  <td data-label="Started">{formatTime(i.startedAt ?? i.started)}</td>
                  <td data-label="Last heartbeat">{formatTime(i.lastHeartbeat)}</td>
                </tr>
              ))}
              {instances.data?.length === 0 && (
                <tr>
                  <td colSpan={5} className="muted">
                    No instance has reported yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}

      <h2>Recent changes</h2>
      {audit.error ? (
        <ErrorBanner error={audit.error} />
      ) : audit.loading && !audit.data ? (
        <Loading />
      ) : (audit.data ?? []).length === 0 ? (
        <p className="muted">No admin change recorded yet.</p>
      ) : (
        <ul className="audit">
          {(audit.data ?? []).slice(0, 10).map((e, i) => (
            <li key={String(e.id ?? i)}>
              <span className="audit-time">{formatTime(auditTime(e))}</span>
              <span className="audit-what">{auditWhat(e)}</span>
              {e.actor && <span className="muted"> by {e.actor}</span>}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
