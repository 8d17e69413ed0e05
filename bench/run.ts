/**
 * `npm run bench [scenario…]`: runs the named scenarios (all when none is named). Each scenario
 * prints ratios against a reference measured in the same run.
 */
const SCENARIOS: Record<string, string> = {
  rest: './rest.js',
  template: './template.js',
  openapi: './openapi.js',
  balancing: './balancing.js',
  proxy: './proxy.js',
  sessions: './sessions.js',
  observability: './observability.js',
  stdio: './stdio.js',
  cluster: './cluster.js',
};

const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : Object.keys(SCENARIOS);
for (const name of names) {
  const file = SCENARIOS[name];
  if (!file) {
    process.stderr.write(`unknown scenario "${name}"; known: ${Object.keys(SCENARIOS).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`\n=== scenario ${name} ===\n`);
  const mod = (await import(file)) as { run: () => Promise<void> };
  await mod.run();
}
