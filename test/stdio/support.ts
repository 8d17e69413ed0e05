import fs from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from '../support/paths.js';
import type { TestGateway } from '../support/gateway.js';

export const EVERYTHING = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-everything/dist/index.js');
export const FILESYSTEM = path.join(REPO_ROOT, 'node_modules/@modelcontextprotocol/server-filesystem/dist/index.js');
/** The benchmark's stdio echo server; its misbehaving tools drive the failure tests. */
export const ECHO = path.join(REPO_ROOT, 'bench/stdio-echo.mjs');

/** Registers a stdio service and a direct-proxy server of the same name through the admin API. */
export async function registerStdio(gw: TestGateway, name: string, service: Record<string, unknown>): Promise<void> {
  const svc = await gw.admin('PUT', `/api/v1/services/${name}`, { name, protocol: 'stdio', ...service });
  if (svc.status >= 300) throw new Error(`service: ${svc.status} ${JSON.stringify(svc.body)}`);
  const srv = await gw.admin('PUT', `/api/v1/mcp-servers/${name}`, { name, type: 'direct-proxy', description: `stdio ${name}`, service: name });
  if (srv.status >= 300) throw new Error(`server: ${srv.status} ${JSON.stringify(srv.body)}`);
  await gw.settled();
}

/** Live child processes of `parent` whose command line contains `marker` (read from /proc). */
export function childProcesses(marker: string, parent = process.pid): number[] {
  const out: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // fields after the parenthesised command: state, ppid, …
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) !== parent || fields[0] === 'Z') continue;
      if (fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(marker)) out.push(Number(entry));
    } catch {
      // the process ended while being read
    }
  }
  return out;
}

/** Polls until `check` holds or the time is up; returns the last value. */
export async function waitFor<T>(read: () => T | Promise<T>, check: (v: T) => boolean, timeoutMs = 10_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  let v = await read();
  while (!check(v) && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 50));
    v = await read();
  }
  return v;
}
