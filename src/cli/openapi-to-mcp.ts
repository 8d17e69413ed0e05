import { convertOpenApi } from '../openapi/index.js';
import { readInput } from './input.js';

/** `openapi-to-mcp FILE`: tool YAML on stdout, warnings on stderr. */
export async function runOpenApiToMcp(file: string, opts: { serverName?: string; toolPrefix?: string }): Promise<number> {
  const result = await convertOpenApi(readInput(file), { serverName: opts.serverName, toolPrefix: opts.toolPrefix });
  for (const w of result.warnings) process.stderr.write(`warning ${w.code}${w.operation ? ` (${w.operation})` : ''}: ${w.message}\n`);
  process.stdout.write(result.yaml);
  return 0;
}
