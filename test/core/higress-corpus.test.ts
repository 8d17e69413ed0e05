import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseToolConfig } from '../../src/config/tool-config.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { HIGRESS_CORPUS } from '../support/paths.js';

const files = fs.readdirSync(HIGRESS_CORPUS).filter((f) => f.endsWith('.yaml')).sort();

describe('the Higress corpus: every config validates, loads and lists its tools', () => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startGateway({ seed: false });
  });
  afterAll(async () => gw?.stop());

  it('has all 52 configurations', () => {
    expect(files).toHaveLength(52);
  });

  for (const file of files) {
    it(file, async () => {
      const text = fs.readFileSync(path.join(HIGRESS_CORPUS, file), 'utf8');
      const parsed = parseToolConfig(text);
      expect(parsed.ok, parsed.ok ? '' : JSON.stringify(parsed.errors, null, 1)).toBe(true);
      if (!parsed.ok) return;
      const name = file.replace(/\.yaml$/, '');
      const put = await gw.admin('PUT', `/api/v1/mcp-servers/${name}`, { type: 'http-to-mcp', description: `Higress ${name}`, tools: text });
      expect(put.status, JSON.stringify(put.body)).toBe(201);
      await gw.settled();
      const listed = await gw.admin('GET', `/api/v1/mcp-servers/${name}/tools`);
      expect(listed.status).toBe(200);
      const allow = parsed.config.allowTools ?? parsed.config.server.allowTools;
      const expected = parsed.config.tools.map((t) => t.name).filter((n) => !allow?.length || allow.includes(n));
      expect(listed.body.tools.map((t: { name: string }) => t.name)).toEqual(expected);
      const ajv = new Ajv2020({ strict: false });
      for (const tool of listed.body.tools) {
        expect(() => ajv.compile(tool.inputSchema), `${tool.name} inputSchema`).not.toThrow();
        expect(tool.inputSchema.type).toBe('object');
      }
    });
  }
});
