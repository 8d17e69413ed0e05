import { useState, type ReactNode } from 'react';
import { useSession } from '../session.js';
import { useLoad } from '../hooks.js';
import { ErrorBanner, Loading } from './form.js';
import type { Kind } from '../api.js';

/** State of the create/edit panel: a new resource, or the name of the one being edited. */
export type Editing = { mode: 'create' } | { mode: 'edit'; name: string } | null;

/**
 * A list of one resource kind with a create/edit panel; `renderForm` draws the form and calls `done` after
 * a successful save so the list reloads.
 */
export function ResourcePage<T extends { name: string }>(props: {
  kind: Kind;
  title: string;
  intro: ReactNode;
  createLabel: string;
  columns: Array<{ label: string; render: (item: T) => ReactNode }>;
  renderForm: (editing: T | null, done: () => void, cancel: () => void) => ReactNode;
}) {
  const { api } = useSession();
  const items = useLoad(() => api.list<T>(props.kind), []);
  const [editing, setEditing] = useState<Editing>(null);
  const [deleteError, setDeleteError] = useState<unknown>(null);
  const current = editing?.mode === 'edit' ? (items.data ?? []).find((i) => i.name === editing.name) ?? null : null;

  const remove = async (name: string) => {
    if (!window.confirm(`Delete ${name}?`)) return;
    setDeleteError(null);
    try {
      await api.remove(props.kind, name);
      items.reload();
    } catch (err) {
      setDeleteError(err);
    }
  };

  return (
    <section>
      <div className="page-head">
        <h1>{props.title}</h1>
        {!editing && (
          <button type="button" onClick={() => setEditing({ mode: 'create' })}>
            {props.createLabel}
          </button>
        )}
      </div>
      <p className="muted">{props.intro}</p>
      {editing && (
        <div className="panel">
          {props.renderForm(
            current,
            () => {
              items.reload();
            },
            () => setEditing(null),
          )}
        </div>
      )}
      <ErrorBanner error={items.error ?? deleteError} />
      {items.loading && !items.data ? (
        <Loading />
      ) : (
        <div className="table-wrap">
          <table className="resource-table">
            <thead>
              <tr>
                <th>Name</th>
                {props.columns.map((c) => (
                  <th key={c.label}>{c.label}</th>
                ))}
                <th>
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {(items.data ?? []).map((item) => (
                <tr key={item.name} data-name={item.name}>
                  <td data-label="Name">
                    <strong>{item.name}</strong>
                  </td>
                  {props.columns.map((c) => (
                    <td key={c.label} data-label={c.label}>
                      {c.render(item)}
                    </td>
                  ))}
                  <td className="row-actions">
                    <button type="button" className="secondary small" onClick={() => setEditing({ mode: 'edit', name: item.name })}>
                      Edit
                    </button>
                    <button type="button" className="danger small" onClick={() => remove(item.name)}>
                      Delete
                    </button>
                  </td>
                </tr>
              ))}
              {items.data?.length === 0 && (
                <tr>
                  <td colSpan={props.columns.length + 2} className="muted">
                    None yet.
                  </td>
                </tr>
              )}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
