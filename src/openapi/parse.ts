import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { LineCounter, parseDocument } from 'yaml';
import { OpenApiError } from './errors.js';
import { jsonErrorOffset } from './json-error.js';
import { MAX_NESTING_DEPTH, nestingDepth } from './nesting.js';

/**
 * Above this size YAML is parsed in a worker thread with a time and memory limit: the `yaml`
 * parser slows to minutes and gigabytes on large malformed input (every line an error).
 */
const EAGER_YAML_LIMIT = 1024 * 1024;
const YAML_WORKER_TIMEOUT_MS = 30_000;
const YAML_WORKER_HEAP_MB = 4096;
const yamlModulePath = createRequire(import.meta.url).resolve('yaml');

// Plain CommonJS so the worker needs no TypeScript loader; it mirrors parseYaml below.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { parseDocument, LineCounter } = require(workerData.yamlPath);
const lines = new LineCounter();
const doc = parseDocument(workerData.text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
if (doc.errors.length > 0) {
  const e = doc.errors[0];
  const pos = lines.linePos(e.pos[0]);
  parentPort.postMessage({ error: e.message.split('\\n')[0], line: pos.line, col: pos.col });
} else {
  try { parentPort.postMessage({ value: doc.toJS({ maxAliasCount: 100 }) }); }
  catch (err) { parentPort.postMessage({ error: 'YAML could not be read: ' + err.message, line: 1, col: 1 }); }
}`;
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
  const offset = pos ? Number(pos[1]) : jsonErrorOffset(text);
  return lineColumnAt(text, offset < 0 ? 0 : offset);
}

function isStackOverflow(err: unknown): boolean {
  return err instanceof RangeError && /call stack/i.test(err.message);
}

function parseYaml(text: string): unknown {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    const pos = lines.linePos(e.pos[0]);
    throw new OpenApiError('OPENAPI_NOT_PARSEABLE', `not valid YAML or JSON: ${e.message.split('\n')[0]}`, `${pos.line}:${pos.col}`);
  }
  try {
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new OpenApiError('OPENAPI_NOT_PARSEABLE', `YAML could not be read: ${(err as Error).message}`, '1:1');
  }
}

function parseYamlInWorker(text: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { text, yamlPath: yamlModulePath },
      resourceLimits: { maxOldGenerationSizeMb: YAML_WORKER_HEAP_MB },
    });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      void worker.terminate();
      fn();
    };
    const timer = setTimeout(
      () => finish(() => reject(new OpenApiError('OPENAPI_NOT_PARSEABLE', `YAML parsing gave up after ${YAML_WORKER_TIMEOUT_MS / 1000} s; the text is probably not YAML`, '1:1'))),
      YAML_WORKER_TIMEOUT_MS,
    );
    worker.once('message', (msg: { value?: unknown; error?: string; line?: number; col?: number }) =>
      finish(() =>
        msg.error !== undefined
          ? reject(new OpenApiError('OPENAPI_NOT_PARSEABLE', `not valid YAML or JSON: ${msg.error}`, `${msg.line ?? 1}:${msg.col ?? 1}`))
          : resolve(msg.value),
      ),
    );
    worker.once('error', (err: Error & { code?: string }) =>
      finish(() =>
        reject(
          err.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? new OpenApiError('OPENAPI_TOO_LARGE', `YAML parsing needed more than ${YAML_WORKER_HEAP_MB} MB of memory`, '1:1')
            : /call stack/i.test(err.message)
              ? new OpenApiError('OPENAPI_NOT_PARSEABLE', 'document is nested too deeply to parse', '1:1')
              : new OpenApiError('OPENAPI_NOT_PARSEABLE', `YAML could not be parsed: ${err.message}`, '1:1'),
        ),
      ),
    );
    worker.once('exit', () => finish(() => reject(new OpenApiError('OPENAPI_NOT_PARSEABLE', 'YAML parser stopped unexpectedly', '1:1'))));
  });
}

/**
 * Turns JSON or YAML text into a plain value. Size is checked first; syntax errors carry
 * `line:column`; nesting deep enough to exhaust the stack is refused rather than crashing.
 */
export async function parseText(content: unknown, maxBytes: number): Promise<unknown> {
  if (typeof content !== 'string') throw new OpenApiError('OPENAPI_NOT_PARSEABLE', 'document must be text (JSON or YAML)');
  if (content.length > maxBytes || Buffer.byteLength(content, 'utf8') > maxBytes) {
    throw new OpenApiError('OPENAPI_TOO_LARGE', `document is larger than the limit of ${maxBytes} bytes`);
  }
  const text = content.charCodeAt(0) === 0xfeff ? content.slice(1) : content;
  const first = /\S/.exec(text);
  if (!first) throw new OpenApiError('OPENAPI_NOT_PARSEABLE', 'document is empty', '1:1');
  if (nestingDepth(text, MAX_NESTING_DEPTH) > MAX_NESTING_DEPTH) {
    throw new OpenApiError('OPENAPI_NOT_PARSEABLE', `document is nested too deeply to parse (over ${MAX_NESTING_DEPTH} levels)`, '1:1');
  }
  try {
    if (first[0] === '{' || first[0] === '[') {
      try {
        return JSON.parse(text);
      } catch (err) {
        // Text that opens like JSON is judged as JSON: a YAML flow-mapping reading would accept broken JSON.
        if (isStackOverflow(err)) throw err;
        throw new OpenApiError('OPENAPI_NOT_PARSEABLE', `not valid JSON: ${(err as Error).message}`, jsonErrorLocation(text, err as Error));
      }
    }
    if (text.length > EAGER_YAML_LIMIT) {
      if (!MARKER.test(text)) throw new OpenApiError('OPENAPI_NOT_OPENAPI', 'no top-level "openapi" or "swagger" field found', '1:1');
      return await parseYamlInWorker(text);
    }
    return parseYaml(text);
  } catch (err) {
    if (isStackOverflow(err)) throw new OpenApiError('OPENAPI_NOT_PARSEABLE', 'document is nested too deeply to parse', '1:1');
    throw err;
  }
}
