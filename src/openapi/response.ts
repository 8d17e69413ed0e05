import type { JsonSchema } from './schema.js';
import { isObject } from './schema.js';

const HEADER =
  '# API Response Information\n\n' +
  "Below is the response from an API call. To help you understand the data, I've provided:\n\n" +
  '1. A detailed description of all fields in the response structure\n' +
  '2. The complete API response\n\n' +
  '## Response Structure\n\n';
const FOOTER = '\n## Original Response\n\n';
/** Higress stops describing at this nesting depth. */
const MAX_DEPTH = 10;

function typeLabel(s: JsonSchema): string {
  const t = s.type;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) return t.filter((x) => x !== 'null').join('|');
  return '';
}

function isType(s: JsonSchema, type: string): boolean {
  return s.type === type || (Array.isArray(s.type) && s.type.includes(type));
}

class Lines {
  readonly out: string[] = [];
  omitted = 0;
  constructor(readonly max: number) {}
  push(line: string): void {
    if (this.out.length < this.max) this.out.push(line);
    else this.omitted++;
  }
}

function field(lines: Lines, indent: string, path: string, s: JsonSchema): void {
  const description = typeof s.description === 'string' ? s.description.replace(/\s*\n\s*/g, ' ') : '';
  const type = typeLabel(s);
  lines.push(`${indent}- **${path}**: ${description}${type ? ` (Type: ${type})` : ''}`);
}

function sortedProperties(s: JsonSchema): Array<[string, JsonSchema]> {
  if (!isObject(s.properties)) return [];
  return Object.entries(s.properties)
    .filter((e): e is [string, JsonSchema] => isObject(e[1]))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function describe(lines: Lines, s: JsonSchema, path: string, depth: number): void {
  if (depth > MAX_DEPTH || lines.out.length >= lines.max) return;
  const indent = '  '.repeat(depth);
  if (isType(s, 'array') && isObject(s.items)) {
    const item = s.items as JsonSchema;
    const props = sortedProperties(item);
    if (props.length > 0) {
      for (const [name, prop] of props) {
        field(lines, indent, `${path}[].${name}`, prop);
        describe(lines, prop, `${path}[].${name}`, depth + 1);
      }
    } else if (typeLabel(item)) {
      lines.push(`${indent}- **${path}[]**: Items of type ${typeLabel(item)}`);
    }
    return;
  }
  for (const [name, prop] of sortedProperties(s)) {
    field(lines, indent, `${path}.${name}`, prop);
    describe(lines, prop, `${path}.${name}`, depth + 1);
  }
}

/**
 * The text Higress prepends to a tool's response: a field-by-field description of the
 * success response schema, so a model can read the raw body that follows.
 */
export function describeResponse(schema: JsonSchema, mediaType: string, maxLines = 80): string {
  // Caps the text prepended to every response so huge schemas stay readable.
  const lines = new Lines(maxLines);
  if (isType(schema, 'array') && isObject(schema.items)) {
    lines.push('- **items**: Array of items (Type: array)');
    describe(lines, schema.items as JsonSchema, 'items', 1);
  } else {
    for (const [name, prop] of sortedProperties(schema)) {
      field(lines, '', name, prop);
      describe(lines, prop, name, 1);
    }
  }
  if (lines.omitted > 0) lines.out.push(`- … ${lines.omitted} more fields not listed`);
  const body = lines.out.length > 0 ? `${lines.out.join('\n')}\n` : '';
  return `${HEADER}> Content-Type: ${mediaType}\n\n${body}${FOOTER}`;
}
