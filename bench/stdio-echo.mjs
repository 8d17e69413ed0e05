// A minimal MCP server over stdio (newline-delimited JSON-RPC, no SDK): the benchmark's echo backend.
// Besides `echo`, a few tools misbehave on purpose for the gateway's failure tests.
import { createInterface } from 'node:readline';
import { setTimeout } from 'node:timers';

const TOOLS = [
  { name: 'echo', description: 'returns its message', inputSchema: { type: 'object', properties: { message: { type: 'string' } } } },
  { name: 'pid', description: 'returns the process id', inputSchema: { type: 'object' } },
  { name: 'env', description: 'returns an environment variable', inputSchema: { type: 'object', properties: { name: { type: 'string' } } } },
  { name: 'cwd', description: 'returns the working directory', inputSchema: { type: 'object' } },
  { name: 'slow', description: 'answers after ms milliseconds', inputSchema: { type: 'object', properties: { ms: { type: 'number' } } } },
  { name: 'garbage', description: 'writes a line that is not JSON', inputSchema: { type: 'object' } },
  { name: 'huge', description: 'writes one line of `bytes` bytes', inputSchema: { type: 'object', properties: { bytes: { type: 'number' } } } },
  { name: 'crash', description: 'exits at once with code 3', inputSchema: { type: 'object' } },
];

const send = (m) => process.stdout.write(`${JSON.stringify(m)}\n`);
const text = (id, t) => send({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: String(t) }] } });

function call(id, name, args) {
  switch (name) {
    case 'echo':
      return text(id, args.message ?? '');
    case 'pid':
      return text(id, process.pid);
    case 'env':
      return text(id, process.env[args.name] ?? '(unset)');
    case 'cwd':
      return text(id, process.cwd());
    case 'slow':
      return void setTimeout(() => text(id, 'done'), args.ms ?? 1000);
    case 'garbage':
      return void process.stdout.write('this is not JSON\n');
    case 'huge':
      return void process.stdout.write(`${JSON.stringify({ jsonrpc: '2.0', id, result: { content: [{ type: 'text', text: 'x'.repeat(args.bytes ?? 1024) }] } })}\n`);
    case 'crash':
      return process.exit(3);
    default:
      return send({ jsonrpc: '2.0', id, error: { code: -32602, message: `unknown tool ${name}` } });
  }
}

createInterface({ input: process.stdin }).on('line', (line) => {
  if (!line.trim()) return;
  const m = JSON.parse(line);
  if (m.id === undefined || m.method === undefined) return;
  if (m.method === 'initialize') {
    send({ jsonrpc: '2.0', id: m.id, result: { protocolVersion: m.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'stdio-echo', version: '1.0.0' } } });
  } else if (m.method === 'tools/list') send({ jsonrpc: '2.0', id: m.id, result: { tools: TOOLS } });
  else if (m.method === 'tools/call') call(m.id, m.params?.name, m.params?.arguments ?? {});
  else if (m.method === 'ping') send({ jsonrpc: '2.0', id: m.id, result: {} });
  else send({ jsonrpc: '2.0', id: m.id, error: { code: -32601, message: `Method not found: ${m.method}` } });
});
process.stdin.on('end', () => process.exit(0));
