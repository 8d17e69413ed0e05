// The console's pure modules (tool YAML editing, endpoint URLs, client configs, argument conversion), run in Node.
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { exampleToolYaml, mergeTools, readBackendAuth, toolNames, writeBackendAuth, yamlProblems } from '../../web/src/tool-yaml.js';
import { clientConfig, endpointsOf } from '../../web/src/client-config.js';
import { initialValues, toArguments } from '../../web/src/schema-args.js';
import type { McpServer } from '../../web/src/types.js';
import { ApiError, fieldErrors, unclaimedErrors } from '../../web/src/api.js';

type Validate = (text: string) => { ok: boolean; errors?: Array<{ message: string }> };
// The gateway's own tool-config validator, when that module is present in this tree.
const validate: Validate | null = await import('../../src/config/tool-config.js')
  .then((m: { parseToolConfig?: Validate }) => m.parseToolConfig ?? null)
  .catch(() => null);

const BASE = `# tools of the pet store
server:
  name: pets
tools:
  - name: getPet
    description: "Get a pet"
    requestTemplate:
      url: /pets/{{.args.id}}
      method: GET
`;

describe('yamlProblems', () => {
  it('reports a syntax error at the line it is on', () => {
    const text = 'server:\n  name: a\ntools:\n  - name: "unclosed\n    description: x\n';
    const problems = yamlProblems(text);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems[0].line).toBe(4);
  });

  it('reports bad indentation on its line', () => {
    const text = 'server:\n  name: a\ntools:\n  - name: ok\n description: misplaced\n';
    const lines = yamlProblems(text).map((p) => p.line);
    expect(lines).toContain(5);
  });

  it('flags `tools` that is not a list, at the value', () => {
    const problems = yamlProblems('server:\n  name: a\ntools:\n  name: x\n');
    expect(problems).toHaveLength(1);
    expect(problems[0].line).toBe(4);
    expect(problems[0].message).toMatch(/list/);
  });

  it('flags a tool without a name at that tool', () => {
    const problems = yamlProblems('server:\n  name: a\ntools:\n  - name: one\n  - description: nameless\n');
    expect(problems.map((p) => p.line)).toEqual([5]);
  });

  it('accepts a valid document and empty text', () => {
    expect(yamlProblems(BASE)).toEqual([]);
    expect(yamlProblems('')).toEqual([]);
  });
});

describe('backend authentication in tool YAML', () => {
  it('writes a basic scheme as the default upstream security and keeps comments and tools', () => {
    const out = writeBackendAuth(BASE, { kind: 'basic', username: 'u', password: 'p:w' }, 'pets');
    expect(out).toContain('# tools of the pet store');
    const doc = parse(out);
    expect(doc.server.securitySchemes).toEqual([{ id: 'backend', type: 'http', scheme: 'basic', defaultCredential: 'u:p:w' }]);
    expect(doc.server.defaultUpstreamSecurity).toEqual({ id: 'backend' });
    expect(doc.tools[0].name).toBe('getPet');
    expect(readBackendAuth(out)).toEqual({ kind: 'basic', username: 'u', password: 'p:w' });
  });

  it('writes bearer and API key schemes, replacing the previous one', () => {
    const bearer = writeBackendAuth(BASE, { kind: 'bearer', token: 't0k' }, 'pets');
    const key = writeBackendAuth(bearer, { kind: 'apiKey', in: 'query', name: 'api_key', value: 'k1' }, 'pets');
    const doc = parse(key);
    expect(doc.server.securitySchemes).toEqual([{ id: 'backend', type: 'apiKey', in: 'query', name: 'api_key', defaultCredential: 'k1' }]);
    expect(readBackendAuth(bearer)).toEqual({ kind: 'bearer', token: 't0k' });
    expect(readBackendAuth(key)).toEqual({ kind: 'apiKey', in: 'query', name: 'api_key', value: 'k1' });
  });

  it('removes its scheme and leaves other schemes alone', () => {
    const withOther = BASE.replace('  name: pets\n', '  name: pets\n  securitySchemes:\n    - id: other\n      type: http\n      scheme: bearer\n');
    const added = writeBackendAuth(withOther, { kind: 'bearer', token: 'x' }, 'pets');
    const removed = parse(writeBackendAuth(added, { kind: 'none' }, 'pets'));
    expect(removed.server.securitySchemes).toEqual([{ id: 'other', type: 'http', scheme: 'bearer' }]);
    expect(removed.server.defaultUpstreamSecurity).toBeUndefined();
  });

  it('starts a document for a server without tools yet', () => {
    const doc = parse(writeBackendAuth('', { kind: 'bearer', token: 'x' }, 'fresh'));
    expect(doc.server.name).toBe('fresh');
    expect(doc.tools).toEqual([]);
  });

  it('refuses to rewrite text with a syntax error', () => {
    expect(() => writeBackendAuth('server: [', { kind: 'bearer', token: 'x' }, 'p')).toThrow(/syntax/);
  });

  it.skipIf(!validate)('produces configurations the gateway validator accepts', () => {
    for (const auth of [
      { kind: 'basic', username: 'u', password: 'p' },
      { kind: 'bearer', token: 't' },
      { kind: 'apiKey', in: 'header', name: 'X-Key', value: 'v' },
    ] as const) {
      const result = validate!(writeBackendAuth(BASE, auth, 'pets'));
      expect(result.errors ?? []).toEqual([]);
      expect(result.ok).toBe(true);
    }
  });
});

describe('mergeTools', () => {
  const generated = 'server:\n  name: gen\ntools:\n  - name: getPet\n    description: new text\n  - name: listPets\n    description: all\n';

  it('replaces a same-name tool, appends new ones and keeps the existing server section', () => {
    const merged = parse(mergeTools(writeBackendAuth(BASE, { kind: 'bearer', token: 't' }, 'pets'), generated));
    expect(merged.server.name).toBe('pets');
    expect(merged.server.securitySchemes).toHaveLength(1);
    expect(merged.tools.map((t: { name: string }) => t.name)).toEqual(['getPet', 'listPets']);
    expect(merged.tools[0].description).toBe('new text');
  });

  it('uses the generated text when there is nothing yet', () => {
    expect(mergeTools('', generated)).toBe(generated);
    expect(toolNames(generated)).toEqual(['getPet', 'listPets']);
  });
});

describe('the YAML example', () => {
  it('parses and names its server', () => {
    expect(yamlProblems(exampleToolYaml('demo'))).toEqual([]);
    expect(parse(exampleToolYaml('demo')).server.name).toBe('demo');
  });

  it.skipIf(!validate)('is accepted by the gateway validator', () => {
    const result = validate!(exampleToolYaml('demo'));
    expect(result.errors ?? []).toEqual([]);
  });
});

describe('endpoints and client configuration', () => {
  const proxy: McpServer = { name: 'everything', type: 'direct-proxy', description: 'd', transport: 'sse', path: '/test/sse', domains: ['a.example', 'b.example'] };

  it('lists Streamable HTTP, SSE and the passed-through path for every domain', () => {
    const groups = endpointsOf(proxy, 'http://10.0.0.5:8080');
    expect(groups.map((g) => g.domain)).toEqual(['a.example', 'b.example']);
    expect(groups[1].endpoints.map((e) => e.url)).toEqual([
      'http://b.example:8080/mcp-servers/everything',
      'http://b.example:8080/mcp-servers/everything/sse',
      'http://b.example:8080/mcp-servers/everything/test/sse',
    ]);
  });

  it('uses the data-plane URL itself when the server has no domains', () => {
    const groups = endpointsOf({ name: 'time', type: 'http-to-mcp', description: 'd' }, 'https://gw.example/base/');
    expect(groups).toHaveLength(1);
    expect(groups[0].endpoints.map((e) => e.url)).toEqual(['https://gw.example/base/mcp-servers/time', 'https://gw.example/base/mcp-servers/time/sse']);
  });

  it('adds a credential placeholder only when consumer auth is on', () => {
    const open: McpServer = { name: 'time', type: 'http-to-mcp', description: 'd' };
    const guarded: McpServer = { ...open, consumerAuth: { enabled: true, allowedConsumers: ['alice'] } };
    const url = 'http://127.0.0.1:8080/mcp-servers/time';
    expect(JSON.parse(clientConfig('cursor', open, url, 'x-api-key'))).toEqual({ mcpServers: { time: { url } } });
    expect(JSON.parse(clientConfig('vscode', guarded, url, 'authorization'))).toEqual({
      servers: { time: { type: 'http', url, headers: { Authorization: 'Bearer <YOUR_CONSUMER_KEY>' } } },
    });
    const claude = JSON.parse(clientConfig('claude', guarded, url, 'x-api-key'));
    expect(claude.mcpServers.time.args).toEqual(['-y', 'mcp-remote', url, '--header', 'x-api-key: <YOUR_CONSUMER_KEY>']);
  });
});

describe('Try it argument conversion', () => {
  const schema = {
    type: 'object',
    properties: {
      text: { type: 'string' },
      count: { type: 'integer' },
      ratio: { type: 'number', default: 0.5 },
      loud: { type: 'boolean' },
      tags: { type: 'array', items: { type: 'string' } },
    },
    required: ['text', 'count'],
  };

  it('converts texts to the schema types and leaves blank optional fields out', () => {
    const values: Record<string, string> = { ...initialValues(schema), text: 'hi', count: '3', tags: '["a"]' };
    expect(values.ratio).toBe('0.5');
    expect(toArguments(schema, values)).toEqual({ args: { text: 'hi', count: 3, ratio: 0.5, tags: ['a'] }, problems: {} });
  });

  it('names each field that does not fit', () => {
    const { problems } = toArguments(schema, { text: '', count: '2.5', ratio: 'x', loud: 'true', tags: '[' });
    expect(Object.keys(problems).sort()).toEqual(['count', 'ratio', 'tags', 'text']);
    expect(problems.text).toBe('Required');
  });
});

describe('API error details by field', () => {
  const err = new ApiError(422, 'VALIDATION_FAILED', 'invalid', [
    { path: 'name', message: 'bad name' },
    { path: '/endpoints/0', message: 'bad endpoint (pointer)' },
    { path: 'endpoints[1]', message: 'bad endpoint (brackets)' },
    { path: 'endpointsExtra', message: 'another field' },
    { message: 'no path' },
  ]);

  it('gives each field the details whose path names it or lies inside it', () => {
    expect(fieldErrors(err, 'name')).toEqual(['bad name']);
    expect(fieldErrors(err, 'endpoints')).toEqual(['bad endpoint (pointer)', 'bad endpoint (brackets)']);
    expect(fieldErrors(err, 'endpoints.1')).toEqual(['bad endpoint (brackets)']);
    expect(fieldErrors(new Error('plain'), 'name')).toEqual([]);
  });

  it('leaves the rest for the summary', () => {
    expect(unclaimedErrors(err, ['name', 'endpoints']).map((d) => d.message)).toEqual(['another field', 'no path']);
  });
});
