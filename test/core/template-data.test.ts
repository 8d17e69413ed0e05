import { describe, expect, it } from 'vitest';
import { compileRestServer } from '../../src/modes/rest/compile.js';
import { callRestTool, type RestServerRuntime } from '../../src/modes/rest/call.js';
import { ExternalAgents } from '../../src/transport/upstream/http-pool.js';

function runtimeFor(yaml: string): RestServerRuntime {
  return {
    serverName: 's',
    compiled: compileRestServer(yaml, 's'),
    allowPrivateNetworks: false,
    timeoutMs: 1000,
    maxResponseBytes: 1 << 20,
    external: new ExternalAgents(),
    consumerHeader: 'x-mcp-consumer',
  };
}

describe('template data is built as Higress builds it', () => {
  it('sorts keys, escapes <>&, drops undeclared args, applies defaults, and gives config null when absent', async () => {
    const rt = runtimeFor('server:\n  name: s\ntools:\n  - name: t\n    args:\n      - { name: zeta, type: string }\n      - { name: alpha, type: integer, default: 3 }\n    responseTemplate:\n      body: "{{.args}}|{{.config}}"\n');
    const tool = rt.compiled.tools.get('t')!;
    const r = await callRestTool(rt, tool, { arguments: { zeta: '<a&b>', extra: 1 }, headers: {} });
    expect((r.content[0] as { text: string }).text).toBe('{"alpha":3,"zeta":"\\u003ca\\u0026b\\u003e"}|null');
  });

  it('passes server.config with sorted keys', async () => {
    const rt = runtimeFor('server:\n  name: s\n  config: { b: 2, a: { d: 1, c: 0 } }\ntools:\n  - name: t\n    responseTemplate:\n      body: "{{.config}} {{.config.a.c}}"\n');
    const r = await callRestTool(rt, rt.compiled.tools.get('t')!, { arguments: {}, headers: {} });
    expect((r.content[0] as { text: string }).text).toBe('{"a":{"c":0,"d":1},"b":2} 0');
  });
});
