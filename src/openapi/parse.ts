import { LineCounter, parseDocument } from 'yaml';
import { OpenApiError } from './errors.js';

/** Above this size a document without a top-level `openapi`/`swagger` key is refused before YAML parsing. */
const EAGER_YAML_LIMIT = 1024 * 1024;
const MARKER = /^(?:---[^\n]*\n)?(?:["']?(?:openapi|swagger)["']?\s*:)|\n["']?(?:openapi|swagger)["']?\s*:/;

function lineColumnAt(text: string, offset: number): string {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf('\n'); i !== -1 && i < offset; i = text.indexOf('\n', i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return `${line}:${offset - lineStart + 1}`;
}

function jsonErrorLocation(text: string, err: Error): string {
  const pos = /position (\d+)/.exec(err.message);
  if (pos) return lineColumnAt(text, Number(pos[1]));
  const lc = /line (\d+) column (\d+)/.exec(err.message);
  return lc ? `${lc[1]}:${lc[2]}` : '1:1';
}

function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

function parseYaml(text: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = e.linePos?.[0];
    throw new OpenApiError('OPENAPI_NOT_PARSEABLE', `not valid YAML or JSON: ${e.message.split('\n')[0]}`, pos ? `${pos.line}:${pos.col}` : '1:1');
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new OpenApiError('OPENAPI_NOT_PARSEABLE', `YAML could not be read: ${(err as Error).message}`, '1:1');
  }
}

/**
 * Turns JSON or YAML text into a plain value. Size is checked first; syntax errors carry
 * `line:column`; nesting deep enough to exhaust the stack is refused rather than crashing.
 */
export function parseText(content: unknown, maxBytes: number): unknown {
  if (typeof content !== 'string') throw new OpenApiError('OPENAPI_NOT_PARSEABLE', 'document must be text (JSON or YAML)');
  if (content.length > maxBytes || Buffer.byteLength(content, 'utf8') > maxBytes) {
    throw new OpenApiError('OPENAPI_TOO_LARGE', `document is larger than the limit of ${maxBytes} bytes`);
  }
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const first = /\S/.exec(text);
  if (!first) throw new OpenApiError('OPENAPI_NOT_PARSEABLE', 'document is empty', '1:1');
  try {
    if (first[0] === '{' || first[0] === '[') {
      try {
        return JSON.parse(text);
      } catch (err) {
        if (isStackOverflow(err)) throw err;
        const jsonError = new OpenApiError('OPENAPI_NOT_PARSEABLE', `not valid JSON: ${(err as Error).message}`, jsonErrorLocation(text, err as Error));
        // A YAML flow mapping also starts with "{"; only small texts get that second chance.
        if (text.length > EAGER_YAML_LIMIT) throw jsonError;
        try {
          return parseYaml(text);
        } catch {
          throw jsonError;
        }
      }
    }
    if (text.length > EAGER_YAML_LIMIT && !MARKER.test(text)) {
      throw new OpenApiError('OPENAPI_NOT_OPENAPI', 'no top-level "openapi" or "swagger" field found', '1:1');
    }
    return parseYaml(text);
  } catch (err) {
    if (isStackOverflow(err)) throw new OpenApiError('OPENAPI_NOT_PARSEABLE', 'document is nested too deeply to parse', '1:1');
    throw err;
  }
}
