import { lazy, Suspense, useMemo, useState } from 'react';
import { useSession } from '../../session.js';
import { ApiError } from '../../api.js';
import { ErrorBanner, Notice } from '../../components/form.js';
import { ProblemList } from '../../components/ProblemList.js';

// CodeMirror is the largest part of the bundle: load it only when an editor is shown.
const YamlEditor = lazy(() => import('../../components/YamlEditor.js').then((m) => ({ default: m.YamlEditor })));
import { exampleToolYaml, mergeTools, toolNames, yamlProblems, type YamlProblem } from '../../tool-yaml.js';
import { href } from '../../routing.js';
import type { McpServer } from '../../types.js';
import type { SaveServer } from '../ServerDetail.js';

type Source = 'swagger' | 'yaml';

/** The API's details that carry a line: problems of the tool YAML text the console sent. */
function serverProblems(err: unknown): YamlProblem[] {
  if (!(err instanceof ApiError)) return [];
  return err.details
    .filter((d) => typeof d.line === 'number')
    .map((d) => ({ line: d.line!, column: d.column, message: d.message, source: 'server' }));
}

function warningText(w: unknown): string {
  if (typeof w === 'string') return w;
  if (w && typeof w === 'object') {
    const r = w as Record<string, unknown>;
    return [r.path ?? r.operation, r.message ?? JSON.stringify(w)].filter(Boolean).join(': ');
  }
  return String(w);
}

export function AddToolTab({ server, save }: { server: McpServer; save: SaveServer }) {
  const { api } = useSession();
  const [source, setSource] = useState<Source>('swagger');
  const [spec, setSpec] = useState('');
  const [generating, setGenerating] = useState(false);
  const [generateError, setGenerateError] = useState<unknown>(null);
  const [warnings, setWarnings] = useState<unknown[]>([]);
  const [draft, setDraft] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);
  const [saveError, setSaveError] = useState<unknown>(null);
  const [saved, setSaved] = useState<string[] | null>(null);

  const existing = server.tools ?? '';
  const editorText = draft ?? (source === 'yaml' ? existing : '');
  const clientProblems = useMemo(() => yamlProblems(editorText), [editorText]);
  const fromServer = useMemo(() => serverProblems(saveError), [saveError]);

  const readFile = async (file: File | undefined) => {
    if (file) setSpec(await file.text());
  };

  const generate = async () => {
    setGenerating(true);
    setGenerateError(null);
    setSaveError(null);
    setSaved(null);
    try {
      const out = await api.openapiToMcp(spec, server.name);
      setWarnings(Array.isArray(out.warnings) ? out.warnings : []);
      // Review the text that will be stored, so line numbers in errors match what is shown.
      setDraft(mergeTools(existing, out.yaml));
    } catch (err) {
      setGenerateError(err);
    } finally {
      setGenerating(false);
    }
  };

  const confirm = async () => {
    if (clientProblems.some((p) => p.severity !== 'warning')) return;
    setSaving(true);
    setSaveError(null);
    try {
      await save({ ...server, tools: editorText });
      setSaved(toolNames(editorText));
      setDraft(null);
    } catch (err) {
      setSaveError(err);
    } finally {
      setSaving(false);
    }
  };

  const switchSource = (s: Source) => {
    setSource(s);
    setDraft(null);
    setSaveError(null);
    setSaved(null);
  };

  const showEditor = source === 'yaml' || draft !== null;
  const blocked = clientProblems.length > 0;

  return (
    <div className="stack">
      <div className="segmented" role="tablist" aria-label="Tool source">
        <button type="button" role="tab" aria-selected={source === 'swagger'} className={source === 'swagger' ? 'selected' : ''} onClick={() => switchSource('swagger')}>
          Swagger file
        </button>
        <button type="button" role="tab" aria-selected={source === 'yaml'} className={source === 'yaml' ? 'selected' : ''} onClick={() => switchSource('yaml')}>
          Custom YAML
        </button>
      </div>

      {saved && (
        <Notice kind="ok">
          Saved. The server now declares {saved.length} tool{saved.length === 1 ? '' : 's'}: {saved.join(', ') || 'none'}.{' '}
          <a href={href('mcp-servers', server.name, 'tools')}>See the tools</a>
        </Notice>
      )}

      {source === 'swagger' && (
        <div className="stack">
          <div className="field">
            <label htmlFor="openapi-file">OpenAPI or Swagger document</label>
            <input id="openapi-file" type="file" accept=".json,.yaml,.yml,application/json,application/yaml" onChange={(e) => void readFile(e.target.files?.[0])} />
            <textarea
              id="openapi-content"
              aria-label="OpenAPI document"
              rows={10}
              className="mono"
              placeholder="Paste an OpenAPI 3 or Swagger 2 document (JSON or YAML)"
              value={spec}
              onChange={(e) => setSpec(e.target.value)}
            />
          </div>
          <div className="actions">
            <button type="button" onClick={generate} disabled={generating || !spec.trim()}>
              {generating ? 'Generating…' : 'Generate now'}
            </button>
          </div>
          <ErrorBanner error={generateError} />
          {warnings.length > 0 && (
            <div className="banner warn" role="status">
              <strong>Conversion warnings</strong>
              <ul>
                {warnings.map((w, i) => (
                  <li key={i}>{warningText(w)}</li>
                ))}
              </ul>
            </div>
          )}
        </div>
      )}

      {source === 'yaml' && (
        <div className="row wrap">
          <button type="button" className="secondary" onClick={() => setDraft(editorText.trim() ? mergeTools(editorText, exampleToolYaml(server.name)) : exampleToolYaml(server.name))}>
            YAML example
          </button>
          <span className="muted">Higress tool format: server, tools[].args, requestTemplate, responseTemplate.</span>
        </div>
      )}

      {showEditor && (
        <div className="stack">
          {source === 'swagger' && <h3>Review the generated tools</h3>}
          {existing.trim() && source === 'swagger' && (
            <p className="muted">The server's existing tools are kept; a generated tool with the same name replaces the old one.</p>
          )}
          <Suspense fallback={<p className="muted">Loading the editor…</p>}>
          <YamlEditor
            label="Tool YAML"
            value={editorText}
            onChange={(text) => {
              setDraft(text);
              // Server problems name lines of the text that was sent; after an edit they may point elsewhere.
              if (saveError) setSaveError(null);
            }}
            external={fromServer}
            minHeight={320}
          />
          </Suspense>
          <ProblemList problems={[...clientProblems, ...fromServer]} />
          <ErrorBanner error={saveError} unclaimed={saveError instanceof ApiError ? saveError.details.filter((d) => typeof d.line !== 'number') : []} />
          <div className="actions">
            <button type="button" onClick={confirm} disabled={saving || blocked}>
              {saving ? 'Saving…' : 'Confirm'}
            </button>
            {blocked && <span className="field-error">Fix the marked lines first; nothing is saved until then.</span>}
          </div>
        </div>
      )}
    </div>
  );
}
