// Walkthroughs of the console against the real gateway, driven in Chromium; each checks the outcome as an MCP
// client sees it. Tests that need a gateway feature not built yet are skipped by a capability probe.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LineCounter, parseDocument, isMap, isSeq } from 'yaml';
import type { Browser, Page } from 'playwright-core';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { ensureConsoleBuilt, REPO_ROOT, serveConsole, type ConsoleSite } from './support/site.js';
import { horizontalOverflow, launchChromium, recordForeignRequests, saveScreen, VIEWPORTS, type ViewportName } from './support/browser.js';
import { admin, initializeStatus, probe, probeConsumerAuth, probeDirectProxy, startGatewayIfAvailable, type Capabilities } from './support/gateway-probe.js';
import { mergeTools } from '../../web/src/tool-yaml.js';

await ensureConsoleBuilt();
const started = await startGatewayIfAvailable();
const gw = started.gateway;
let site: ConsoleSite | null = null;
let consoleUrl = '';
if (gw) {
  const index = await fetch(`${gw.adminUrl}/`).then((r) => r.text()).catch(() => '');
  // Prefer the admin listener's own copy of the console; until it serves one, serve web/dist beside it.
  if (index.includes('<div id="root">')) consoleUrl = gw.adminUrl;
  else {
    site = await serveConsole(gw.adminUrl);
    consoleUrl = site.url;
  }
}
let everything: ChildProcess | null = null;
/** Starts server-everything over Streamable HTTP on a free loopback port and returns host:port. */
async function startEverything(): Promise<string> {
  const port = await new Promise<number>((ok) => {
    const probeServer = createServer();
    probeServer.listen(0, '127.0.0.1', () => {
      const p = (probeServer.address() as AddressInfo).port;
      probeServer.close(() => ok(p));
    });
  });
  const entry = join(REPO_ROOT, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
  everything = spawn(process.execPath, [entry, 'streamableHttp'], { env: { ...process.env, PORT: String(port) }, stdio: ['ignore', 'ignore', 'pipe'] });
  await new Promise<void>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('server-everything did not start')), 20_000);
    everything!.stderr!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('listening')) {
        clearTimeout(timer);
        ok();
      }
    });
    everything!.on('exit', (code) => fail(new Error(`server-everything exited with ${code}`)));
  });
  return `127.0.0.1:${port}`;
}

const caps: Capabilities = await probe(gw, consoleUrl);
// server-everything over Streamable HTTP, the backend of walkthrough 2 (and of the direct-proxy probe).
const everythingAddress = caps.create ? await startEverything() : '';
const proxy = caps.create ? await probeDirectProxy(gw!, everythingAddress) : { dataPlane: false, adminTools: false };
const consumerAuthWorks = caps.create && caps.dataPlane && (await probeConsumerAuth(gw!));
const browser: Browser | null = gw && caps.adminApi ? await launchChromium() : null;

let petBackend: Awaited<ReturnType<typeof startPetBackend>> | null = null;

afterAll(async () => {
  await petBackend?.close();
  everything?.kill();
  await browser?.close();
  await site?.close();
  await gw?.stop();
});

async function signIn(viewport: ViewportName = 'desktop', height?: number): Promise<Page> {
  const page = await browser!.newPage({ viewport: { ...VIEWPORTS[viewport], ...(height ? { height } : {}) } });
  await page.goto(consoleUrl);
  // The data plane runs on an ephemeral port here, so the remembered data-plane URL is set up front.
  await page.evaluate(`localStorage.setItem('mcpgw.dataPlaneUrl', ${JSON.stringify(gw!.dataUrl)})`);
  await page.getByLabel('Admin token').fill(gw!.adminToken);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Overview' }).waitFor();
  return page;
}

async function go(page: Page, hash: string): Promise<void> {
  await page.evaluate(`window.location.hash = ${JSON.stringify(hash)}`);
}

async function mcpClient(server: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'console-walkthrough', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(`${gw!.dataUrl}/mcp-servers/${server}`), { requestInit: { headers } }));
  return client;
}

/** Retries `fn` until it stops throwing: the data plane applies admin changes shortly after they are stored. */
async function eventually<T>(fn: () => Promise<T>, ms = 8000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (Date.now() > until) throw err;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** A small REST backend: GET /pets/{id} answers a pet; every request and its Authorization header are recorded. */
async function startPetBackend(): Promise<{ address: string; hits: string[]; authorizations: Array<string | undefined>; close(): Promise<void> }> {
  const hits: string[] = [];
  const authorizations: Array<string | undefined> = [];
  const server: Server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    authorizations.push(req.headers.authorization);
    const m = /^\/pets\/([^/?]+)/.exec(req.url ?? '');
    if (req.method === 'GET' && m) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: decodeURIComponent(m[1]), name: 'Rex', species: 'dog' }));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"no such route"}');
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return {
    address: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    hits,
    authorizations,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

const PET_OPENAPI = {
  openapi: '3.0.3',
  info: { title: 'Pets', version: '1.0.0' },
  paths: {
    '/pets/{petId}': {
      get: {
        operationId: 'getPet',
        summary: 'Get a pet',
        parameters: [{ name: 'petId', in: 'path', required: true, description: 'Identifier of the pet', schema: { type: 'string' } }],
        responses: {
          '200': {
            description: 'The pet',
            content: { 'application/json': { schema: { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, species: { type: 'string' } } } } },
          },
        },
      },
    },
  },
};

/** Where tool `name`'s description sits in a tool YAML text: its first and last line (1-based). */
function descriptionLines(text: string, name: string): { first: number; last: number } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const tools = doc.get('tools', true);
  if (!isSeq(tools)) throw new Error('no tools list in the generated YAML');
  for (const tool of tools.items) {
    if (!isMap(tool) || tool.get('name') !== name) continue;
    const pair = tool.items.find((p) => (p.key as { value?: unknown })?.value === 'description');
    if (!pair) throw new Error(`tool ${name} has no description`);
    const keyStart = (pair.key as { range: [number, number, number] }).range[0];
    const valueEnd = (pair.value as { range: [number, number, number] }).range[1];
    const body = text.slice(0, valueEnd).replace(/\s+$/, '');
    return { first: lines.linePos(keyStart).line, last: lines.linePos(body.length).line };
  }
  throw new Error(`tool ${name} not in the generated YAML`);
}

const PET_TOOLS = (service: string) => `server:
  name: ${service}
tools:
  - name: getPet
    description: "Get a pet by its id"
    args:
      - name: petId
        description: "Identifier of the pet"
        type: string
        required: true
    requestTemplate:
      url: /pets/{{.args.petId}}
      method: GET
`;

describe('console against the gateway', () => {
  it.skipIf(started.failure === null)('the gateway from test/support/gateway.ts starts', () => {
    expect(started.failure ?? '').toBe('');
  });

  it.skipIf(!caps.adminApi)('signs in, shows the overview from the API, and signs out', async () => {
    const page = await signIn();
    const servers = (await (await admin(gw!, 'GET', '/mcp-servers')).json()) as unknown;
    const count = Array.isArray(servers) ? servers.length : (Object.values(servers as object).find(Array.isArray) as unknown[]).length;
    await expect.poll(() => page.getByTestId('count-mcp-servers').textContent()).toBe(String(count));
    expect(await page.evaluate<string | null>("sessionStorage.getItem('mcpgw.adminToken')")).toBe(gw!.adminToken);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Admin token').waitFor();
    expect(await page.evaluate<string | null>("sessionStorage.getItem('mcpgw.adminToken')")).toBeNull();
    await page.close();
  });

  it.skipIf(!caps.adminApi)('refuses a wrong token at the sign-in field', async () => {
    const page = await browser!.newPage({ viewport: VIEWPORTS.desktop });
    await page.goto(consoleUrl);
    await page.getByLabel('Admin token').fill('not-the-token');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await expect.poll(() => page.locator('.field-error').textContent()).toContain('refused');
    await page.close();
  });

  it.skipIf(!(caps.create && caps.openapiToMcp && caps.dataPlane))(
    '1: creates an HTTP-to-MCP server from a pasted OpenAPI document, edits a description, and a client calls the tool',
    async () => {
      const backend = (petBackend = await startPetBackend());
      const page = await signIn('desktop', 1800);
      try {
        await go(page, '#/mcp-servers/new');
        await page.getByLabel('HTTP to MCP').check();
        await page.getByLabel('Name', { exact: true }).fill('petstore');
        await page.getByLabel('Description').fill('Pet store REST API as MCP tools');
        await page.getByLabel('Backend service').selectOption({ label: 'Create a new service…' });
        await page.getByLabel('Service name').fill('petstore-api');
        await page.getByLabel('Endpoints').fill(backend.address);
        await saveScreen(page, 'create-server', 'desktop', true);
        await page.getByRole('button', { name: 'Create' }).click();
        await page.waitForURL(/#\/mcp-servers\/petstore\/add-tool$/);

        const spec = JSON.stringify(PET_OPENAPI, null, 2);
        await page.getByLabel('OpenAPI document').fill(spec);
        await page.getByRole('button', { name: 'Generate now' }).click();
        await page.locator('.cm-content').waitFor();

        // The same conversion, asked of the API directly, tells where the description lines are in the editor.
        const stored = (await (await admin(gw!, 'GET', '/mcp-servers/petstore')).json()) as { tools?: string };
        const generated = (await (await admin(gw!, 'POST', '/openapi-to-mcp', { content: spec, serverName: 'petstore' })).json()) as { yaml: string };
        const shown = mergeTools(stored.tools ?? '', generated.yaml);
        const { first, last } = descriptionLines(shown, 'getPet');
        const edited = 'Look up one pet of the store by its identifier (edited in the console)';
        await page.locator('.cm-content').click();
        await page.keyboard.press('Control+Home');
        for (let i = 1; i < first; i++) await page.keyboard.press('ArrowDown');
        await page.keyboard.press('End');
        await page.keyboard.press('Home');
        for (let i = first; i < last; i++) await page.keyboard.press('Shift+ArrowDown');
        await page.keyboard.press('Shift+End');
        await page.keyboard.insertText(`description: "${edited}"`);
        await expect.poll(() => page.locator('.problems li').count()).toBe(0);
        await saveScreen(page, 'add-tool-review', 'desktop', true);
        await page.getByRole('button', { name: 'Confirm' }).click();
        await page.getByText('Saved. The server now declares').waitFor();

        const client = await eventually(async () => {
          const c = await mcpClient('petstore');
          const { tools } = await c.listTools();
          const tool = tools.find((t) => t.name === 'getPet');
          if (tool?.description !== edited) {
            await c.close();
            throw new Error(`getPet description is ${JSON.stringify(tool?.description)}`);
          }
          return c;
        });
        const result = await client.callTool({ name: 'getPet', arguments: { petId: '7' } });
        await client.close();
        expect(result.isError).not.toBe(true);
        const text = (result.content as Array<{ type: string; text?: string }>).map((c) => c.text ?? '').join('\n');
        expect(text).toContain('Rex');
        expect(backend.hits).toContain('GET /pets/7');
      } finally {
        await page.close();
      }
    },
  );

  it.skipIf(!(caps.create && caps.openapiToMcp && caps.dataPlane && caps.cors))('Try it calls the generated tool from the browser', async () => {
    expect(petBackend).not.toBeNull();
    const page = await signIn();
    try {
      await go(page, '#/mcp-servers/petstore/try/getPet');
      await page.getByLabel('petId').fill('42');
      await page.getByRole('button', { name: 'Call tool' }).click();
      const result = page.getByTestId('try-result');
      await result.waitFor({ timeout: 15_000 });
      expect(await result.textContent()).toContain('Rex');
      expect(petBackend!.hits).toContain('GET /pets/42');
      await saveScreen(page, 'try-it', 'desktop', true);
    } finally {
      await page.close();
    }
  });

  it.skipIf(!(caps.create && caps.openapiToMcp && caps.dataPlane))('backend authentication set in the form reaches the backend', async () => {
    expect(petBackend).not.toBeNull();
    const page = await signIn();
    try {
      await go(page, '#/mcp-servers/petstore/backend-auth');
      await page.getByLabel('Method').selectOption('bearer');
      await page.getByLabel('Token').fill('backend-secret-1');
      await page.getByRole('button', { name: 'Save' }).click();
      await page.getByText('Backend authentication saved.').waitFor();
      await saveScreen(page, 'backend-auth', 'desktop');
    } finally {
      await page.close();
    }
    const stored = (await (await admin(gw!, 'GET', '/mcp-servers/petstore')).json()) as { tools: string };
    // The credential is stored (masked in answers) and the tools the client sees are unchanged.
    expect(stored.tools).toMatch(/defaultUpstreamSecurity/);
    expect(stored.tools).not.toContain('backend-secret-1');
    await eventually(async () => {
      const client = await mcpClient('petstore');
      const before = petBackend!.authorizations.length;
      await client.callTool({ name: 'getPet', arguments: { petId: '9' } });
      await client.close();
      const seen = petBackend!.authorizations.slice(before);
      if (!seen.includes('Bearer backend-secret-1')) throw new Error(`backend saw ${JSON.stringify(seen)}`);
    });
  });

  describe('2: direct proxy to server-everything', () => {
    it.skipIf(!(caps.create && caps.dataPlane && proxy.dataPlane))('creates the server and shows URLs a client can use', async () => {
      const page = await signIn();
      try {
        await go(page, '#/mcp-servers/new');
        await page.getByLabel('MCP Service Direct Proxy').check();
        await page.getByLabel('Name', { exact: true }).fill('everything');
        await page.getByLabel('Description').fill('The MCP reference server, proxied as is');
        // No MCP service exists yet, so the console offers the inline service form straight away.
        await page.getByLabel('Service name').fill('everything-backend');
        await page.getByLabel('Endpoints').fill(everythingAddress);
        expect(await page.getByLabel('Backend transport').inputValue()).toBe('streamable-http');
        await page.getByLabel('Backend path').fill('/mcp');
        await page.getByRole('button', { name: 'Create' }).click();
        await page.waitForURL(/#\/mcp-servers\/everything\/overview$/);

        await page.locator('code.url').first().waitFor();
        const urls = await page.locator('code.url').allTextContents();
        // Streamable HTTP and SSE from the gateway, and the backend's own /mcp path passed through.
        expect(urls).toEqual([`${gw!.dataUrl}/mcp-servers/everything`, `${gw!.dataUrl}/mcp-servers/everything/sse`, `${gw!.dataUrl}/mcp-servers/everything/mcp`]);
        expect(await page.getByLabel('Client configuration').textContent()).toContain(`${gw!.dataUrl}/mcp-servers/everything`);
        await saveScreen(page, 'server-detail', 'desktop', true);

        // A client at the first URL the console shows reaches the backend's tools.
        const client = await eventually(async () => {
          const c = new Client({ name: 'console-walkthrough', version: '1.0.0' });
          await c.connect(new StreamableHTTPClientTransport(new URL(urls[0])));
          return c;
        });
        const echoed = await client.callTool({ name: 'echo', arguments: { message: 'via the shown URL' } });
        await client.close();
        expect(JSON.stringify(echoed.content)).toContain('Echo: via the shown URL');
      } finally {
        await page.close();
      }
    });

    it.skipIf(!(caps.create && proxy.dataPlane && proxy.adminTools))('the Tools tab lists the backend tools with their arguments', async () => {
      const page = await signIn();
      try {
        await go(page, '#/mcp-servers/everything/tools');
        await eventually(async () => {
          await page.reload();
          await page.locator('[data-tool="echo"]').waitFor({ timeout: 3000 });
        }, 15_000);
        const description = await page.locator('[data-tool="echo"] .tool-description').textContent();
        const client = await mcpClient('everything');
        const echo = (await client.listTools()).tools.find((t) => t.name === 'echo');
        await client.close();
        expect(description).toBe(echo?.description);
        expect(await page.locator('[data-tool="echo"] table').textContent()).toContain('message');
        await saveScreen(page, 'tools', 'desktop', true);
      } finally {
        await page.close();
      }
    });

    it.skipIf(!(caps.create && caps.cors && proxy.dataPlane && proxy.adminTools))('Try it calls echo through the data plane from the browser', async () => {
      const page = await signIn();
      try {
        await go(page, '#/mcp-servers/everything/try/echo');
        await page.getByLabel('message').fill('hello from the console');
        await page.getByRole('button', { name: 'Call tool' }).click();
        const result = page.getByTestId('try-result');
        await result.waitFor({ timeout: 15_000 });
        expect(await result.textContent()).toContain('Echo: hello from the console');
        await saveScreen(page, 'try-it-echo', 'desktop', true);
      } finally {
        await page.close();
      }
    });
  });

  describe('3: consumer authentication', () => {
    let backend: Awaited<ReturnType<typeof startPetBackend>> | null = null;
    let key = '';
    afterAll(async () => {
      await backend?.close();
    });

    it.skipIf(!caps.create)('adds a consumer (key shown once) and requires it on a server', async () => {
      backend = await startPetBackend();
      expect((await admin(gw!, 'POST', '/services', { name: 'guarded-api', protocol: 'http', endpoints: [backend.address] })).status).toBe(201);
      const created = await admin(gw!, 'POST', '/mcp-servers', { name: 'guarded', type: 'http-to-mcp', description: 'Pets, for known consumers only', service: 'guarded-api', tools: PET_TOOLS('guarded') });
      expect(created.status).toBe(201);
      const page = await signIn();
      try {
        await go(page, '#/consumers');
        await page.getByRole('button', { name: 'Add consumer' }).click();
        await page.getByLabel('Name', { exact: true }).fill('alice');
        await page.getByRole('button', { name: 'Save' }).click();
        key = (await page.getByLabel('Consumer key').textContent())?.trim() ?? '';
        expect(key.length).toBeGreaterThanOrEqual(32);
        await saveScreen(page, 'consumer-key', 'desktop', true);
        await page.getByRole('button', { name: 'Done' }).click();
        await page.locator('tr[data-name="alice"]').waitFor();
        // Shown once: the list and the API only have the masked value.
        expect(await page.locator('tr[data-name="alice"]').textContent()).not.toContain(key);
        expect(JSON.stringify(await (await admin(gw!, 'GET', '/consumers/alice')).json())).not.toContain(key);

        await go(page, '#/mcp-servers/guarded/consumer-auth');
        await page.getByRole('switch', { name: 'Require consumer authentication' }).check({ force: true });
        await page.getByLabel('alice').check();
        // Restrict alice to one tool through the per-consumer list.
        await page.getByText('Tools: all').click();
        await page.locator('.tool-checks').getByLabel('getPet').check();
        await page.getByRole('button', { name: 'Save' }).click();
        await page.getByText('Consumer authentication saved.').waitFor();
        await saveScreen(page, 'consumer-auth', 'desktop', true);
        const stored = (await (await admin(gw!, 'GET', '/mcp-servers/guarded')).json()) as { consumerAuth?: unknown };
        expect(stored.consumerAuth).toEqual({ enabled: true, allowedConsumers: ['alice'], allowedTools: { alice: ['getPet'] } });
      } finally {
        await page.close();
      }
    });

    it.skipIf(!(caps.create && consumerAuthWorks))('refuses an unauthenticated client and serves the consumer with its key', async () => {
      expect(key).not.toBe('');
      await eventually(async () => {
        const code = await initializeStatus(gw!, 'guarded');
        if (code !== 401) throw new Error(`unauthenticated initialize answered ${code}`);
      });
      await expect(mcpClient('guarded')).rejects.toThrow();
      const client = await mcpClient('guarded', { 'x-api-key': key });
      const result = await client.callTool({ name: 'getPet', arguments: { petId: '3' } });
      await client.close();
      expect(JSON.stringify(result.content)).toContain('Rex');
    });

    it.skipIf(!(caps.create && consumerAuthWorks && caps.cors))('Try it sends the consumer key, and reports the refusal without one', async () => {
      expect(key).not.toBe('');
      const page = await signIn();
      try {
        await go(page, '#/mcp-servers/guarded/try/getPet');
        await page.getByLabel('petId').fill('5');
        await page.getByRole('button', { name: 'Call tool' }).click();
        await expect.poll(() => page.locator('.banner.error').textContent(), { timeout: 15_000 }).toMatch(/401/);
        await page.getByLabel('Consumer key').fill(key);
        await page.getByRole('button', { name: 'Call tool' }).click();
        const result = page.getByTestId('try-result');
        await result.waitFor({ timeout: 15_000 });
        expect(await result.textContent()).toContain('Rex');
      } finally {
        await page.close();
      }
    });
  });

  it.skipIf(!caps.create)('4: bad YAML shows the line of the error and nothing is saved', async () => {
    const original = PET_TOOLS('broken');
    expect((await admin(gw!, 'POST', '/mcp-servers', { name: 'broken', type: 'http-to-mcp', description: 'Tool YAML error display', tools: original })).status).toBe(201);
    const page = await signIn();
    try {
      await go(page, '#/mcp-servers/broken/add-tool');
      await page.getByRole('tab', { name: 'Custom YAML' }).click();
      await page.locator('.cm-content').click();
      await page.keyboard.press('Control+a');
      // Line 6 opens a quoted string that never closes.
      await page.keyboard.insertText('server:\n  name: broken\ntools:\n  - name: getPet\n    description: fine\n  - name: "open\n    description: x\n');
      const syntax = page.locator('.problems li').first();
      await expect.poll(() => syntax.getAttribute('data-line')).toBe('6');
      expect(await syntax.textContent()).toMatch(/^Line 6/);
      await page.locator('.cm-gutter-lint .cm-lint-marker-error').first().waitFor();
      expect(await page.getByRole('button', { name: 'Confirm' }).isDisabled()).toBe(true);
      await saveScreen(page, 'yaml-error', 'desktop', true);

      // Well-formed YAML the gateway rejects: an unknown key on line 5.
      await page.keyboard.press('Control+a');
      await page.keyboard.insertText('server:\n  name: broken\ntools:\n  - name: getPet\n    descriptoin: misspelt\n    requestTemplate:\n      url: /pets\n      method: GET\n');
      await expect.poll(() => page.locator('.problems li').count()).toBe(0);
      await page.getByRole('button', { name: 'Confirm' }).click();
      const fromServer = page.locator('.problems li[data-line="5"]');
      await fromServer.waitFor();
      expect(await fromServer.textContent()).toMatch(/descriptoin/);

      const stored = (await (await admin(gw!, 'GET', '/mcp-servers/broken')).json()) as { tools?: string };
      expect(stored.tools).toBe(original);
    } finally {
      await page.close();
    }
  });

  it.skipIf(!caps.adminApi)('shows API validation errors next to the fields they name, and creates nothing', async () => {
    const page = await signIn();
    try {
      await go(page, '#/services');
      await page.getByRole('button', { name: 'Add service' }).click();
      await page.getByLabel('Name', { exact: true }).fill('Not A Valid Name');
      await page.getByLabel('Endpoints').fill('no-port-here');
      await page.getByRole('button', { name: 'Save' }).click();
      const nameField = page.locator('.field', { has: page.getByLabel('Name', { exact: true }) });
      const endpointsField = page.locator('.field', { has: page.getByLabel('Endpoints') });
      await nameField.locator('.field-error').first().waitFor();
      await endpointsField.locator('.field-error').first().waitFor();
      await saveScreen(page, 'field-errors', 'desktop', true);
      const services = JSON.stringify(await (await admin(gw!, 'GET', '/services')).json());
      expect(services).not.toContain('Not A Valid Name');

      await go(page, '#/consumers');
      await page.getByRole('button', { name: 'Add consumer' }).click();
      await page.getByLabel('Name', { exact: true }).fill('bob');
      await page.getByLabel('API key').uncheck();
      await page.getByLabel('JWT').check();
      await page.getByLabel('JWKS URL').fill('http://127.0.0.1:9/jwks.json');
      await page.getByRole('button', { name: 'Save' }).click();
      // No issuer given: the API's error for credentials.0.issuer lands under the Issuer field.
      await page.locator('.field', { has: page.getByLabel('Issuer') }).locator('.field-error').first().waitFor();
      expect((await admin(gw!, 'GET', '/consumers/bob')).status).toBe(404);
    } finally {
      await page.close();
    }
  });

  it.skipIf(!caps.create)('registry and service forms store the shapes of the contract', async () => {
    const page = await signIn();
    const get = async (kind: string, name: string) => (await (await admin(gw!, 'GET', `/${kind}/${name}`)).json()) as Record<string, unknown>;
    try {
      await go(page, '#/registries');
      await page.getByRole('button', { name: 'Add registry' }).click();
      await page.getByLabel('Name', { exact: true }).fill('main');
      await page.getByLabel('Address').fill('http://127.0.0.1:9');
      await page.getByLabel('Username').fill('nacos');
      await page.getByLabel('Password').fill('registry-secret');
      await page.getByLabel('Also import the MCP servers').check();
      await page.getByRole('button', { name: 'Save' }).click();
      await page.locator('tr[data-name="main"]').waitFor();
      expect(await get('registries', 'main')).toMatchObject({ name: 'main', type: 'nacos', address: 'http://127.0.0.1:9', username: 'nacos', password: '****', namespace: 'public', pollIntervalMs: 5000, mcpRegistry: true });

      // Editing without retyping the password keeps the stored one.
      await page.locator('tr[data-name="main"]').getByRole('button', { name: 'Edit' }).click();
      await page.getByLabel('Namespace').fill('dev');
      await page.getByRole('button', { name: 'Save' }).click();
      await expect.poll(async () => (await get('registries', 'main')).namespace).toBe('dev');
      expect((await get('registries', 'main')).password).toBe('****');

      await go(page, '#/services');
      const addService = async (fill: () => Promise<void>, name: string) => {
        await page.getByRole('button', { name: 'Add service' }).click();
        await page.getByLabel('Name', { exact: true }).fill(name);
        await fill();
        await page.getByRole('button', { name: 'Save' }).click();
        await page.locator(`tr[data-name="${name}"]`).waitFor();
      };
      await addService(async () => {
        await page.getByLabel('Source').selectOption('nacos');
        await page.getByLabel('Registry').selectOption('main');
        await page.getByLabel('Service name in Nacos').fill('orders');
      }, 'orders');
      expect(await get('services', 'orders')).toMatchObject({ protocol: 'http', nacos: { registry: 'main', service: 'orders', group: 'DEFAULT_GROUP', namespace: 'public' } });
      await addService(async () => {
        await page.getByLabel('Protocol').selectOption('https');
        await page.getByLabel('Source').selectOption('dns');
        await page.getByLabel('DNS name and port').fill('localhost:8443');
      }, 'by-dns');
      expect(await get('services', 'by-dns')).toMatchObject({ protocol: 'https', dns: 'localhost:8443' });
      await addService(async () => {
        await page.getByLabel('Protocol').selectOption('stdio');
        await page.getByLabel('Command').fill('node');
        await page.getByLabel('Arguments').fill('server.js\n--verbose');
        await page.getByLabel('Environment').fill('LOG_LEVEL=debug');
      }, 'local-mcp');
      const stdio = await get('services', 'local-mcp');
      expect(stdio).toMatchObject({ protocol: 'stdio', command: 'node', args: ['server.js', '--verbose'], mode: 'per-session' });
      expect(stdio.env).toEqual({ LOG_LEVEL: '****' });
      await saveScreen(page, 'services-filled', 'desktop');
    } finally {
      await page.close();
    }
  });

  it.skipIf(!caps.create)('the list switch disables a server, Delete removes one, and the phone menu navigates', async () => {
    const tools = PET_TOOLS('switchy');
    expect((await admin(gw!, 'POST', '/mcp-servers', { name: 'switchy', type: 'http-to-mcp', description: 'Toggled from the list', tools })).status).toBe(201);
    expect((await admin(gw!, 'POST', '/mcp-servers', { name: 'doomed', type: 'http-to-mcp', description: 'Deleted from its page', tools: PET_TOOLS('doomed') })).status).toBe(201);
    const page = await signIn('phone');
    try {
      await page.getByRole('button', { name: 'Menu' }).click();
      await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'MCP servers' }).click();
      await page.getByRole('heading', { name: 'MCP servers' }).waitFor();
      expect(await page.getByRole('navigation', { name: 'Main' }).isVisible()).toBe(false);

      const card = page.locator('[data-server="switchy"]');
      await card.getByRole('switch').uncheck({ force: true });
      await expect.poll(async () => ((await (await admin(gw!, 'GET', '/mcp-servers/switchy')).json()) as { enabled?: boolean }).enabled).toBe(false);
      await expect.poll(() => card.getByRole('switch').isChecked()).toBe(false);
      const stored = (await (await admin(gw!, 'GET', '/mcp-servers/switchy')).json()) as { tools?: string; description?: string };
      // The toggle changes nothing else.
      expect(stored).toMatchObject({ tools, description: 'Toggled from the list' });

      page.once('dialog', (d) => void d.accept());
      await go(page, '#/mcp-servers/doomed/overview');
      await page.getByRole('button', { name: 'Delete' }).click();
      await page.waitForURL(/#\/mcp-servers$/);
      expect((await admin(gw!, 'GET', '/mcp-servers/doomed')).status).toBe(404);
      await expect.poll(() => page.locator('[data-server="doomed"]').count()).toBe(0);
    } finally {
      await page.close();
    }
  });

  describe('every page at both widths', () => {
    const PAGES: Array<{ name: string; hash: string; ready: string; publish?: boolean }> = [
      { name: 'overview', hash: '#/', ready: 'h1:has-text("Overview")', publish: true },
      { name: 'mcp-servers', hash: '#/mcp-servers', ready: '.card-grid', publish: true },
      { name: 'create-server-form', hash: '#/mcp-servers/new', ready: 'form' },
      { name: 'services', hash: '#/services', ready: 'table', publish: true },
      { name: 'registries', hash: '#/registries', ready: 'table' },
      { name: 'consumers', hash: '#/consumers', ready: 'table' },
    ];
    for (const viewport of Object.keys(VIEWPORTS) as ViewportName[]) {
      it.skipIf(!caps.adminApi)(`fit ${VIEWPORTS[viewport].width}px without sideways scrolling and load nothing from elsewhere`, async () => {
        const page = await signIn(viewport);
        const foreign = recordForeignRequests(page, [new URL(consoleUrl).origin, new URL(gw!.adminUrl).origin]);
        const servers = (await (await admin(gw!, 'GET', '/mcp-servers')).json()) as unknown;
        const list = (Array.isArray(servers) ? servers : (Object.values(servers as object).find(Array.isArray) ?? [])) as Array<{ name: string }>;
        const detail = list.find((s) => s.name === 'everything') ?? list.find((s) => s.name === 'petstore') ?? list[0];
        const pages = [...PAGES];
        if (detail) {
          for (const tab of ['overview', 'tools', 'add-tool', 'backend-auth', 'consumer-auth', 'try', 'settings']) {
            pages.push({ name: `server-${tab}`, hash: `#/mcp-servers/${detail.name}/${tab}`, ready: 'nav.tabs' });
          }
        }
        const wide: string[] = [];
        for (const p of pages) {
          await go(page, p.hash);
          await page.locator(p.ready).first().waitFor();
          await expect.poll(() => page.getByText('Loading…').count()).toBe(0);
          if ((await horizontalOverflow(page)) > 0) wide.push(p.name);
          await saveScreen(page, p.name, viewport, p.publish);
        }
        expect(wide).toEqual([]);
        expect(foreign).toEqual([]);
        await page.close();
      }, 120_000);
    }
  });
});
