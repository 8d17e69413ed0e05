import { useState, type ReactNode } from 'react';
import { ApiError, fieldErrors, type ErrorDetail } from '../api.js';

/** A labelled form control with its hint and the API errors that name it. */
export function Field(props: {
  label: string;
  htmlFor?: string;
  hint?: ReactNode;
  error?: unknown;
  path?: string;
  extraErrors?: string[];
  children: ReactNode;
}) {
  const messages = [...(props.path ? fieldErrors(props.error, props.path) : []), ...(props.extraErrors ?? [])];
  return (
    <div className={`field${messages.length ? ' has-error' : ''}`}>
      <label htmlFor={props.htmlFor}>{props.label}</label>
      {props.children}
      {props.hint && <div className="hint">{props.hint}</div>}
      {messages.map((m, i) => (
        <div className="field-error" role="alert" key={i} data-field={props.path}>
          {m}
        </div>
      ))}
    </div>
  );
}

function describeDetail(d: ErrorDetail): string {
  const where = [d.path, d.line !== undefined ? `line ${d.line}${d.column !== undefined ? `, column ${d.column}` : ''}` : '']
    .filter(Boolean)
    .join(' ');
  return where ? `${where}: ${d.message}` : d.message;
}

/** The error summary at the top of a form: code, message and details no field showed. */
export function ErrorBanner(props: { error: unknown; unclaimed?: ErrorDetail[] }) {
  if (!props.error) return null;
  const err = props.error;
  // When every detail is already shown at its field, the summary only points there.
  const allClaimed = err instanceof ApiError && err.details.length > 0 && props.unclaimed !== undefined && props.unclaimed.length === 0;
  const message = allClaimed
    ? 'Some fields need attention: see the messages above.'
    : err instanceof ApiError
      ? err.message
      : err instanceof Error
        ? err.message
        : String(err);
  const code = err instanceof ApiError ? err.code : undefined;
  const rest = props.unclaimed ?? (err instanceof ApiError ? err.details : []);
  return (
    <div className="banner error" role="alert">
      <strong>{message}</strong>
      {code && <span className="code"> ({code})</span>}
      {rest.length > 0 && (
        <ul>
          {rest.map((d, i) => (
            <li key={i}>{describeDetail(d)}</li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Notice(props: { children: ReactNode; kind?: 'ok' | 'info' | 'warn' }) {
  return (
    <div className={`banner ${props.kind ?? 'info'}`} role="status">
      {props.children}
    </div>
  );
}

/** Copies text to the clipboard, falling back to selecting a hidden textarea where the API is unavailable. */
export function CopyButton(props: { text: string; label?: string }) {
  const [done, setDone] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
    } catch {
      const area = document.createElement('textarea');
      area.value = props.text;
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setDone(true);
    setTimeout(() => setDone(false), 1500);
  };
  return (
    <button type="button" className="secondary small" onClick={copy} aria-label={`${props.label ?? 'Copy'}`}>
      {done ? 'Copied' : (props.label ?? 'Copy')}
    </button>
  );
}

export function Switch(props: { checked: boolean; onChange: (v: boolean) => void; label: string; disabled?: boolean }) {
  return (
    <label className="switch">
      <input
        type="checkbox"
        role="switch"
        checked={props.checked}
        disabled={props.disabled}
        aria-label={props.label}
        onChange={(e) => props.onChange(e.target.checked)}
      />
      <span className="track" aria-hidden="true" />
      <span className="switch-label">{props.label}</span>
    </label>
  );
}

/** A comma- or newline-separated list edited as text. */
export function splitList(text: string): string[] {
  return text
    .split(/[\n,]/)
    .map((s) => s.trim())
    .filter(Boolean);
}

export function Loading() {
  return <p className="muted">Loading…</p>;
}
