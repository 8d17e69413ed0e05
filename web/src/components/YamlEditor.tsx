import { useEffect, useMemo, useRef } from 'react';
import { EditorState, type Extension } from '@codemirror/state';
import { EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter } from '@codemirror/view';
import { defaultKeymap, history, historyKeymap, indentWithTab } from '@codemirror/commands';
import { defaultHighlightStyle, indentOnInput, syntaxHighlighting, bracketMatching } from '@codemirror/language';
import { linter, lintGutter, setDiagnostics, type Diagnostic } from '@codemirror/lint';
import { yaml as yamlLanguage } from '@codemirror/lang-yaml';
import { yamlProblems, type YamlProblem } from '../tool-yaml.js';

/** Turns a 1-based line/column into a document offset, clamped to the document. */
function offsetOf(state: EditorState, line: number, column = 1): number {
  const ln = state.doc.line(Math.min(Math.max(1, line), state.doc.lines));
  return Math.min(ln.from + Math.max(0, column - 1), ln.to);
}

function toDiagnostics(state: EditorState, problems: YamlProblem[]): Diagnostic[] {
  return problems.map((p) => {
    const from = offsetOf(state, p.line, p.column);
    const lineEnd = state.doc.lineAt(from).to;
    return { from, to: Math.max(from, lineEnd), severity: p.severity ?? 'error', message: p.message, source: p.source };
  });
}

/**
 * A CodeMirror 6 YAML editor. Syntax errors come from the `yaml` parser in the browser; `external`
 * problems (the API's validation details with line/column) are marked at their line too.
 */
export function YamlEditor(props: {
  value: string;
  onChange: (text: string) => void;
  external?: YamlProblem[];
  label: string;
  minHeight?: number;
}) {
  const host = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const onChange = useRef(props.onChange);
  onChange.current = props.onChange;
  const external = useRef<YamlProblem[]>(props.external ?? []);

  const extensions = useMemo<Extension[]>(
    () => [
      lineNumbers(),
      highlightActiveLineGutter(),
      highlightActiveLine(),
      history(),
      indentOnInput(),
      bracketMatching(),
      syntaxHighlighting(defaultHighlightStyle, { fallback: true }),
      yamlLanguage(),
      keymap.of([...defaultKeymap, ...historyKeymap, indentWithTab]),
      lintGutter(),
      linter((v) => toDiagnostics(v.state, [...yamlProblems(v.state.doc.toString()), ...external.current]), {
        delay: 250,
      }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) onChange.current(u.state.doc.toString());
      }),
      EditorView.contentAttributes.of({ 'aria-label': props.label }),
    ],
    [props.label],
  );

  useEffect(() => {
    if (!host.current) return;
    const v = new EditorView({ parent: host.current, state: EditorState.create({ doc: props.value, extensions }) });
    view.current = v;
    return () => {
      v.destroy();
      view.current = null;
    };
    // The editor owns its text after creation; outside changes arrive through the effect below.
  }, [extensions]);

  useEffect(() => {
    const v = view.current;
    if (v && v.state.doc.toString() !== props.value) {
      v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: props.value } });
    }
  }, [props.value]);

  useEffect(() => {
    external.current = props.external ?? [];
    const v = view.current;
    // The linter only reruns after edits, so new server problems are pushed in directly.
    if (v) v.dispatch(setDiagnostics(v.state, toDiagnostics(v.state, [...yamlProblems(v.state.doc.toString()), ...external.current])));
  }, [props.external]);

  return <div className="yaml-editor" ref={host} style={{ minHeight: props.minHeight ?? 240 }} />;
}
