import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Gateway } from '../../src/gateway.js';
import { loadSettings, type Settings } from '../../src/config/settings.js';
import { createLogger, type Logger } from '../../src/observe/logger.js';
import { standardExtensions } from '../../src/control/extensions.js';

export interface TestGateway {
  gateway: Gateway;
  adminUrl: string;
  dataUrl: string;
  adminToken: string;
  dataDir: string;
  /** Calls the admin API with the admin token; returns status and parsed JSON (or text). */
  admin(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any; headers: Headers }>;
  /** Waits until the data plane serves every change made so far. */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the real gateway in-process on ephemeral loopback ports with a fresh data dir. */
export async function startGateway(overrides: Partial<Settings> & { env?: Record<string, string>; log?: Logger } = {}): Promise<TestGateway> {
  const { env, log, ...rest } = overrides;
  const dataDir = rest.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-test-'));
  const settings: Settings = {
    ...loadSettings({ ...(env ?? {}) }, {}),
    port: 0,
    adminPort: 0,
    host: '127.0.0.1',
    adminHost: '127.0.0.1',
    dataDir,
    adminToken: 'test-admin-token',
    logLevel: 'silent',
    ...rest,
  };
  const gateway = new Gateway({ settings, log: log ?? createLogger(settings.logLevel), announce: () => undefined, extensions: standardExtensions(settings), env: { ...process.env, ...env } });
  await gateway.start();
  const adminUrl = `http://127.0.0.1:${gateway.adminPort}`;
  const dataUrl = `http://127.0.0.1:${gateway.port}`;
  return {
    gateway,
    adminUrl,
    dataUrl,
    adminToken: gateway.adminToken,
    dataDir,
    async admin(method, p, body, headers = {}) {
      const res = await fetch(`${adminUrl}${p}`, {
        method,
        headers: { authorization: `Bearer ${gateway.adminToken}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
        body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async settled() {
      // A write's watcher fires synchronously for in-process writes; the rebuild is queued behind it.
      await new Promise((r) => setTimeout(r, 10));
      await gateway.settled();
    },
    async stop() {
      await gateway.stop();
      if (!rest.dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
