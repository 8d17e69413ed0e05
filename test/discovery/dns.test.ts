import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import dns from 'node:dns';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { connectClient } from '../support/mcp-client.js';
import { resolveService } from '../../src/discovery/dns-source.js';

/*
 * A real resolver on loopback: Debian's dnsmasq on a high port, answering from a hosts file that the
 * test rewrites (SIGHUP makes dnsmasq re-read it) with a 1-second TTL.
 */

const DNSMASQ = ['/usr/sbin/dnsmasq', '/usr/bin/dnsmasq'].find((p) => fs.existsSync(p));

async function freeUdpPort(): Promise<number> {
  const sock = dgram.createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', r));
  const port = sock.address().port;
  await new Promise<void>((r) => sock.close(() => r()));
  return port;
}

async function waitFor(check: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A backend on one loopback address that answers with that address. */
async function backendOn(host: string, port: number): Promise<{ hits: number; close(): Promise<void> }> {
  const state = { hits: 0 };
  const server = http.createServer((_req, res) => {
    state.hits++;
    res.end(JSON.stringify({ host }));
  });
  await new Promise<void>((r, j) => server.once('error', j).listen(port, host, () => r()));
  return {
    get hits() {
      return state.hits;
    },
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

describe('DNS-named services re-resolved by TTL', () => {
  let dir: string;
  let hostsFile: string;
  let dnsPort: number;
  let dnsmasq: ChildProcess | undefined;
  let gw: TestGateway;
  let client: Client;
  let one: Awaited<ReturnType<typeof backendOn>>;
  let two: Awaited<ReturnType<typeof backendOn>>;
  let appPort: number;

  async function startDnsmasq(): Promise<void> {
    dnsmasq = spawn(DNSMASQ!, ['-k', '-C', '/dev/null', '--no-hosts', '--no-resolv', `--addn-hosts=${hostsFile}`, `--port=${dnsPort}`, '--listen-address=127.0.0.1', '--bind-interfaces', '--local-ttl=1', '--pid-file=', '--user=root', '--log-facility=-'], { stdio: 'ignore' });
    await waitFor(async () => {
      try {
        return (await dns.promises.resolve4('api.test')).length > 0;
      } catch {
        return false;
      }
    }, 5000, 'dnsmasq to answer');
  }

  function records(...ips: string[]): void {
    fs.writeFileSync(hostsFile, ips.map((ip) => `${ip} api.test\n`).join(''));
    dnsmasq?.kill('SIGHUP');
  }

  beforeAll(async () => {
    if (!DNSMASQ) throw new Error('dnsmasq is not installed (apt-get install -y dnsmasq; .ci/run installs it)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcpgw-dns-'));
    hostsFile = path.join(dir, 'hosts');
    dnsPort = await freeUdpPort();
    // The gateway runs in this process: point its resolver at dnsmasq.
    dns.setServers([`127.0.0.1:${dnsPort}`]);
    dns.promises.setServers([`127.0.0.1:${dnsPort}`]);
    records('127.0.0.1');
    await startDnsmasq();
    one = await backendOn('127.0.0.1', 0);
    // The same port on a second loopback address, so one DNS name with one port reaches either backend.
    appPort = await new Promise<number>((r) => {
      const s = http.createServer();
      s.listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => r(p));
      });
    });
    await one.close();
    one = await backendOn('127.0.0.1', appPort);
    two = await backendOn('127.0.0.2', appPort);
    gw = await startGateway();
    const tools = 'server:\n  name: named\ntools:\n  - name: where\n    description: which address answered\n    requestTemplate:\n      url: /where\n      method: GET\n';
    expect((await gw.admin('PUT', '/api/v1/services/named', { protocol: 'http', dns: `api.test:${appPort}` })).status).toBeLessThan(300);
    expect((await gw.admin('PUT', '/api/v1/mcp-servers/named', { type: 'http-to-mcp', description: 'named', service: 'named', tools })).status).toBeLessThan(300);
    await gw.settled();
    client = await connectClient(gw.dataUrl, 'named', 'streamable-http');
  }, 30_000);

  afterAll(async () => {
    await client?.close();
    await gw?.stop();
    dnsmasq?.kill('SIGTERM');
    await one?.close();
    await two?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const addresses = () => (gw.gateway.snapshot().services.get('named')?.endpoints?.describe() ?? []).map((e) => e.address).sort();
  const where = async () => {
    const r = (await client.callTool({ name: 'where', arguments: {} })) as { isError?: boolean; content: Array<{ text: string }> };
    expect(r.isError, r.content[0]?.text).toBeFalsy();
    return (JSON.parse(r.content[0].text) as { host: string }).host;
  };

  it('reads the TTL of the records', async () => {
    const answer = await resolveService(`api.test:${appPort}`);
    expect(answer.endpoints).toEqual([{ address: `127.0.0.1:${appPort}`, weight: 1 }]);
    expect(answer.ttlMs).toBe(1000);
  });

  it('follows records that change between calls, without a restart', async () => {
    await waitFor(() => addresses().length === 1, 5000, 'the first resolution');
    expect(await where()).toBe('127.0.0.1');
    records('127.0.0.2');
    await waitFor(() => addresses()[0] === `127.0.0.2:${appPort}`, 5000, 'the new record');
    expect(await where()).toBe('127.0.0.2');
    records('127.0.0.1', '127.0.0.2');
    await waitFor(() => addresses().length === 2, 5000, 'both records');
    const seen = new Set<string>();
    for (let i = 0; i < 4; i++) seen.add(await where());
    expect(seen).toEqual(new Set(['127.0.0.1', '127.0.0.2']));
  });

  it('keeps the last good list while the resolver is down', async () => {
    const before = addresses();
    expect(before.length).toBe(2);
    dnsmasq?.kill('SIGTERM');
    await new Promise((r) => dnsmasq!.once('exit', r));
    await expect(resolveService(`api.test:${appPort}`)).rejects.toMatchObject({ code: 'DNS_RESOLVE_FAILED' });
    // Several TTLs pass with the resolver gone.
    await new Promise((r) => setTimeout(r, 2500));
    expect(addresses()).toEqual(before);
    expect(['127.0.0.1', '127.0.0.2']).toContain(await where());
    // It comes back: changes are followed again.
    records('127.0.0.2');
    await startDnsmasq();
    await waitFor(() => addresses().length === 1 && addresses()[0] === `127.0.0.2:${appPort}`, 8000, 'resolution after the resolver returned');
  }, 20_000);
});
