/**
 * Compiles every template string of the Higress MCP server corpus (request URL, header values and
 * body; response body, prependBody, appendBody; errorResponseTemplate).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { compileTemplate, TemplateError } from '../../../src/template/index.js';

const corpusDir = path.resolve(__dirname, '../../../..', 'shared/corpus/higress-mcp-servers');

interface Found {
  where: string;
  text: string;
}

/** Collects the template strings of one tool YAML document. */
function templatesOf(doc: unknown, file: string): Found[] {
  const out: Found[] = [];
  const tools = (doc as { tools?: unknown[] } | null)?.tools ?? [];
  for (const t of tools as Record<string, any>[]) {
    const at = `${file}#${t?.name}`;
    const req = t?.requestTemplate;
    if (req && typeof req === 'object') {
      if (typeof req.url === 'string') out.push({ where: `${at}.requestTemplate.url`, text: req.url });
      if (typeof req.body === 'string') out.push({ where: `${at}.requestTemplate.body`, text: req.body });
      for (const h of Array.isArray(req.headers) ? req.headers : []) {
        if (typeof h?.value === 'string') out.push({ where: `${at}.requestTemplate.headers.${h.key}`, text: h.value });
      }
    }
    const res = t?.responseTemplate;
    if (res && typeof res === 'object') {
      for (const k of ['body', 'prependBody', 'appendBody']) {
        if (typeof res[k] === 'string') out.push({ where: `${at}.responseTemplate.${k}`, text: res[k] });
      }
    }
    if (typeof t?.errorResponseTemplate === 'string') out.push({ where: `${at}.errorResponseTemplate`, text: t.errorResponseTemplate });
  }
  return out;
}

const files = existsSync(corpusDir) ? readdirSync(corpusDir).filter((f) => f.endsWith('.yaml')).sort() : [];

describe('Higress MCP server corpus', () => {
  it('is present', () => {
    expect(files.length).toBeGreaterThan(40);
  });

  it('every template compiles', () => {
    const failures: string[] = [];
    let count = 0;
    for (const file of files) {
      const doc = parse(readFileSync(path.join(corpusDir, file), 'utf8'));
      for (const t of templatesOf(doc, file)) {
        count++;
        try {
          compileTemplate(t.text, { name: t.where });
        } catch (e) {
          failures.push(`${t.where}: ${(e as Error).message}`);
        }
      }
    }
    expect(count).toBeGreaterThan(300);
    expect(failures, failures.join('\n')).toEqual([]);
  });

  it('reports a broken corpus-style template with its position', () => {
    const src = '{\n  "d": "{{ (upper).description }}"\n}';
    let err: unknown;
    try {
      compileTemplate(src, { name: 'weather' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as TemplateError).code).toBe('TEMPLATE_SYNTAX');
    expect((err as TemplateError).line).toBe(2);
  });
});
