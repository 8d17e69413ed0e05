import type { YamlProblem } from '../tool-yaml.js';

/** The list of problems under an editor, each naming its line, so they are readable without hovering. */
export function ProblemList(props: { problems: YamlProblem[] }) {
  if (props.problems.length === 0) return null;
  return (
    <ul className="problems" aria-label="YAML problems">
      {props.problems.map((p, i) => (
        <li key={i} className={p.severity === 'warning' ? 'warning' : 'error'} data-line={p.line}>
          Line {p.line}
          {p.column ? `, column ${p.column}` : ''}: {p.message}
        </li>
      ))}
    </ul>
  );
}
