import { describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { inputSchemaOf, parseToolConfig } from '../../src/config/tool-config.js';

describe('tool configuration edge cases', () => {
  it('gives an arg with oneOf and no type no default string type, so every alternative validates', () => {
    const schema = inputSchemaOf({ name: 't', args: [{ name: 'format', oneOf: [{ type: 'string' }, { type: 'object', properties: { a: { type: 'integer' } } }] }] });
    const validate = new Ajv2020({ strict: false }).compile(schema);
    expect(validate({ format: 'csv' })).toBe(true);
    expect(validate({ format: { a: 1 } })).toBe(true);
    expect(validate({ format: 3 })).toBe(false);
    expect(inputSchemaOf({ name: 't', args: [{ name: 'q' }] }).properties).toEqual({ q: { type: 'string' } });
  });

  it('accepts servers with many thousands of tools (large generated APIs)', () => {
    const tools = Array.from({ length: 5000 }, (_, i) => `  - name: t${i}\n    responseTemplate:\n      body: x\n`).join('');
    const r = parseToolConfig(`server:\n  name: big\ntools:\n${tools}`);
    expect(r.ok).toBe(true);
    if (r.ok) expect(r.config.tools).toHaveLength(5000);
  });

  it('turns type aliases and nested required flags into valid JSON Schema, with warnings', () => {
    const r = parseToolConfig('server:\n  name: s\ntools:\n  - name: t\n    args:\n      - name: n\n        type: int\n      - name: o\n        type: object\n        properties:\n          a: { type: string, required: true }\n    responseTemplate:\n      body: x\n');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.warnings.map((w) => w.code).sort()).toEqual(['TOOL_CONFIG_NESTED_REQUIRED', 'TOOL_CONFIG_TYPE_ALIAS']);
    const schema = inputSchemaOf(r.config.tools[0]) as { properties: Record<string, Record<string, unknown>> };
    expect(schema.properties.n.type).toBe('integer');
    expect(schema.properties.o.required).toEqual(['a']);
  });
});
