import { startBackend, type TestBackend } from '../support/backend.js';
import type { TestGateway } from '../support/gateway.js';

/** A 1x1 PNG. */
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

/** A 1 ms, 8 kHz, 8-bit mono WAV file. */
function tinyWav(): Buffer {
  const samples = Buffer.alloc(8, 128);
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + samples.length, 4);
  h.write('WAVEfmt ', 8);
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(1, 22);
  h.writeUInt32LE(8000, 24);
  h.writeUInt32LE(8000, 28);
  h.writeUInt16LE(1, 32);
  h.writeUInt16LE(8, 34);
  h.write('data', 36);
  h.writeUInt32LE(samples.length, 40);
  return Buffer.concat([h, samples]);
}
const WAV = tinyWav();

/**
 * The tools of the conformance suite an HTTP-to-MCP server can offer: each is a REST call to a
 * loopback backend (text, an image, an error, a parameter mirrored into an Mcp-Param header).
 */
export const CONFORMANCE_TOOLS = `server:
  name: conformance-rest
tools:
  - name: test_simple_text
    description: Returns simple text
    args: []
    requestTemplate:
      url: /text
      method: GET
  - name: test_image_content
    description: Returns an image
    args: []
    requestTemplate:
      url: /image
      method: GET
  - name: test_audio_content
    description: Returns audio
    args: []
    requestTemplate:
      url: /audio
      method: GET
  - name: test_error_handling
    description: Always fails
    args: []
    requestTemplate:
      url: /error
      method: GET
  - name: test_logging_tool
    description: A REST call; the suite checks that no log messages arrive without a requested log level
    args: []
    requestTemplate:
      url: /text
      method: GET
  - name: test_streaming_elicitation
    description: A REST call; the suite checks that its response stream carries no server-to-client requests
    args: []
    requestTemplate:
      url: /text
      method: GET
  - name: test_trigger_tool_change
    description: Changes this server's configuration through the admin API, so its tool list changes
    args: []
    requestTemplate:
      url: /trigger-tool-change
      method: POST
  - name: test_region_lookup
    description: Looks a value up in a region given as an HTTP header too
    args:
      - name: region
        type: string
        required: true
        x-mcp-header: Region
      - name: query
        type: string
    requestTemplate:
      url: /echo
      method: POST
      argsToJsonBody: true
`;

const SERVER = { name: 'conformance-rest', type: 'http-to-mcp', description: 'Conformance tools over REST', service: 'conformance-backend' };

/** Starts the backend and registers the server `conformance-rest` on the gateway. */
export async function registerConformanceRest(gw: TestGateway): Promise<TestBackend> {
  const backend = await startBackend();
  backend.on('/text', (_req, res) => void res.writeHead(200, { 'content-type': 'text/plain' }).end('This is a simple text response for testing.'));
  backend.on('/audio', (_req, res) => void res.writeHead(200, { 'content-type': 'audio/wav' }).end(WAV));
  backend.on('/image', (_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG));
  let added = false;
  backend.on('/trigger-tool-change', (_req, res) => {
    added = !added;
    const tools = added ? `${CONFORMANCE_TOOLS}  - name: test_added_tool\n    description: Added by test_trigger_tool_change\n    args: []\n    requestTemplate:\n      url: /text\n      method: GET\n` : CONFORMANCE_TOOLS;
    void gw.admin('PUT', '/api/v1/mcp-servers/conformance-rest', { ...SERVER, tools }).then((r) => res.writeHead(r.status === 200 ? 200 : 500, { 'content-type': 'text/plain' }).end(`tool list changed (${r.status})`));
  });
  backend.on('/error', (_req, res) => void res.writeHead(500, { 'content-type': 'text/plain' }).end('This tool intentionally returns an error for testing'));
  const svc = await gw.admin('POST', '/api/v1/services', { name: 'conformance-backend', protocol: 'http', endpoints: [backend.address] });
  if (svc.status !== 201) throw new Error(`service: ${svc.status} ${JSON.stringify(svc.body)}`);
  const srv = await gw.admin('POST', '/api/v1/mcp-servers', { ...SERVER, tools: CONFORMANCE_TOOLS });
  if (srv.status !== 201) throw new Error(`server: ${srv.status} ${JSON.stringify(srv.body)}`);
  await gw.settled();
  return backend;
}
