import { Command, Option } from 'commander';
import { loadSettings, SETTING_SPECS, SettingsError, type Settings } from '../config/settings.js';
import { GATEWAY_VERSION } from '../version.js';
import { runServe } from './serve.js';
import { runApply, runExport, runRotateSecretKey } from './config-commands.js';
import { runValidate } from './validate.js';
import { runOpenApiToMcp } from './openapi-to-mcp.js';

function settingsFrom(opts: Record<string, unknown>): Settings {
  const flags: Record<string, string | undefined> = {};
  for (const spec of SETTING_SPECS) {
    const camel = spec.flag.replace(/-([a-z])/g, (_m, c: string) => c.toUpperCase());
    const v = opts[camel];
    if (v !== undefined) flags[spec.flag] = String(v);
  }
  return loadSettings(process.env, flags);
}

function addSettingFlags(cmd: Command, only?: Array<keyof Settings>): Command {
  for (const spec of SETTING_SPECS) {
    if (only && !only.includes(spec.key)) continue;
    const arg = spec.kind === 'bool' ? `--${spec.flag} <true|false>` : `--${spec.flag} <value>`;
    cmd.addOption(new Option(arg, `${spec.description} [env ${spec.env}${spec.default !== undefined && spec.default !== '' ? `, default ${spec.default}` : ''}]`));
  }
  return cmd;
}

/** Runs a command, turning thrown errors into a message and exit code 1. */
function action<A extends unknown[]>(fn: (...args: A) => Promise<number | void>) {
  return async (...args: A) => {
    try {
      const code = await fn(...args);
      if (typeof code === 'number') process.exitCode = code;
    } catch (err) {
      const e = err as Error & { code?: string; details?: Array<{ line?: number; column?: number; message: string }> };
      if (err instanceof SettingsError) process.stderr.write(`error: ${e.message}\n`);
      else process.stderr.write(`error${e.code ? ` [${e.code}]` : ''}: ${e.message}\n`);
      for (const d of (e.details ?? []).slice(1, 20)) process.stderr.write(`  ${d.line ?? '?'}:${d.column ?? '?'}: ${d.message}\n`);
      process.exitCode = 1;
    }
  };
}

export function buildProgram(): Command {
  const program = new Command('mcp-gateway').description('MCP gateway: HTTP-to-MCP, direct proxy, consumer auth and an admin API').version(GATEWAY_VERSION);

  addSettingFlags(program.command('serve', { isDefault: true }).description('start the gateway (data plane and admin API)')).action(
    action(async (opts: Record<string, unknown>) => {
      await runServe(settingsFrom(opts));
    }),
  );

  const storeFlags: Array<keyof Settings> = ['dataDir', 'databaseUrl', 'secretKey', 'logLevel'];
  addSettingFlags(
    program
      .command('apply')
      .description('apply a declarative configuration file to the store (a running gateway picks it up)')
      .requiredOption('-f, --file <file>', 'YAML or JSON file with services, registries, mcpServers and consumers')
      .option('--prune', 'delete resources the file does not list'),
    storeFlags,
  ).action(action(async (opts: Record<string, unknown>) => runApply(settingsFrom(opts), String(opts.file), !!opts.prune)));

  addSettingFlags(
    program.command('export').description('print the stored configuration as declarative YAML (secrets masked)').option('--reveal-secrets', 'print secrets in clear text (for backups)'),
    storeFlags,
  ).action(action(async (opts: Record<string, unknown>) => runExport(settingsFrom(opts), !!opts.revealSecrets)));

  addSettingFlags(
    program
      .command('rotate-secret-key')
      .description('re-encrypt every stored secret with a new key (64 hex chars, base64 of 32 bytes, or a passphrase of 12+ characters)')
      .requiredOption('--new-key <key>', 'the new secret key'),
    storeFlags,
  ).action(action(async (opts: Record<string, unknown>) => runRotateSecretKey(settingsFrom(opts), String(opts.newKey))));

  program
    .command('validate')
    .description('check a tool YAML or declarative file; errors with line and column, exit 1 when invalid')
    .argument('<file>')
    .action(action(async (file: string) => runValidate(file)));

  program
    .command('openapi-to-mcp')
    .description('convert a Swagger 2.0 / OpenAPI 3.x document into tool YAML on stdout (warnings on stderr)')
    .argument('<file>')
    .option('--server-name <name>', 'server.name of the generated YAML')
    .option('--tool-prefix <prefix>', 'prefix added to every tool name')
    .action(action(async (file: string, opts: { serverName?: string; toolPrefix?: string }) => runOpenApiToMcp(file, opts)));

  return program;
}

await buildProgram().parseAsync(process.argv);
