import { Gateway } from '../gateway.js';
import type { Settings } from '../config/settings.js';
import { standardExtensions } from '../control/extensions.js';

/** `serve`: runs until SIGINT/SIGTERM, then drains and stops. */
export async function runServe(settings: Settings): Promise<void> {
  const gateway = new Gateway({ settings, extensions: standardExtensions(settings) });
  await gateway.start();
  process.stderr.write(
    `mcp-gateway listening: MCP on http://${settings.host}:${gateway.port}/mcp-servers/{name}, admin API and console on http://${settings.adminHost}:${gateway.adminPort}/\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await gateway.stop();
}
