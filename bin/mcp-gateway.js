#!/usr/bin/env node
// Entry point: runs the compiled CLI (npm ci builds it through the prepare script).
import('../dist/cli/main.js').catch((err) => {
  console.error(err && err.code === 'ERR_MODULE_NOT_FOUND' ? 'mcp-gateway is not built: run "npm run build"' : err);
  process.exit(1);
});
