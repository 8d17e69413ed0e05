import dns from 'node:dns';
import { isIP } from 'node:net';
import type { EndpointSpec } from '../transport/upstream/http-pool.js';

/** Re-resolution bounds: a TTL of 0 still waits a second; long TTLs are capped so moves show up. */
const MIN_TTL_MS = 1_000;
const MAX_TTL_MS = 300_000;
/** After a resolver failure the last good list stays and resolution is retried this soon. */
const RETRY_MS = 5_000;
/** /etc/hosts answers carry no TTL. */
const LOOKUP_TTL_MS = 30_000;

export interface DnsAnswer {
  endpoints: EndpointSpec[];
  /** When to resolve again, in ms. */
  ttlMs: number;
}

/** Splits `host:port` (IPv6 in brackets). */
export function splitHostPort(value: string): { host: string; port: number } {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:]+)):(\d{1,5})$/.exec(value);
  if (!m) throw new Error(`"${value}" is not host:port`);
  return { host: m[1] ?? m[2], port: Number(m[3]) };
}

function address(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}

function clampTtl(seconds: number): number {
  return Math.min(MAX_TTL_MS, Math.max(MIN_TTL_MS, Math.round(seconds * 1000)));
}

const NO_RECORD = new Set(['ENODATA', 'ENOTFOUND', 'NXDOMAIN']);

/**
 * Resolves a name's A and AAAA records with their TTLs (through the process's DNS servers, which
 * `dns.promises.setServers` changes). Names only in /etc/hosts (e.g. localhost) fall back to getaddrinfo.
 * Throws when the resolver failed; an authoritative "no such name" gives an empty list.
 */
export async function resolveService(value: string): Promise<DnsAnswer> {
  const { host, port } = splitHostPort(value);
  if (isIP(host)) return { endpoints: [{ address: address(host, port), weight: 1 }], ttlMs: MAX_TTL_MS };
  const [v4, v6] = await Promise.allSettled([dns.promises.resolve4(host, { ttl: true }), dns.promises.resolve6(host, { ttl: true })]);
  const records: dns.RecordWithTtl[] = [];
  const failures: Array<{ code?: string }> = [];
  for (const r of [v4, v6]) {
    if (r.status === 'fulfilled') records.push(...r.value);
    else failures.push(r.reason as { code?: string });
  }
  if (records.length > 0) {
    const ttl = Math.min(...records.map((r) => r.ttl));
    return { endpoints: records.map((r) => ({ address: address(r.address, port), weight: 1 })), ttlMs: clampTtl(ttl) };
  }
  if (failures.every((f) => NO_RECORD.has(f.code ?? ''))) {
    try {
      const found = await dns.promises.lookup(host, { all: true });
      if (found.length > 0) return { endpoints: found.map((f) => ({ address: address(f.address, port), weight: 1 })), ttlMs: LOOKUP_TTL_MS };
    } catch {
      // no /etc/hosts entry either
    }
    return { endpoints: [], ttlMs: RETRY_MS };
  }
  const err = new Error(`DNS resolution of "${host}" failed (${failures.map((f) => f.code ?? 'error').join(', ')})`) as Error & { code: string };
  err.code = 'DNS_RESOLVE_FAILED';
  throw err;
}

/** Keeps one DNS-named service's endpoint list current, re-resolving when the shortest TTL runs out. */
export class DnsWatch {
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private last?: string;

  constructor(
    readonly target: string,
    private readonly onList: (list: EndpointSpec[]) => void,
    private readonly onError: (err: Error) => void,
  ) {}

  start(): void {
    void this.tick();
  }

  private async tick(): Promise<void> {
    let wait = RETRY_MS;
    try {
      const answer = await resolveService(this.target);
      wait = answer.ttlMs;
      const key = JSON.stringify(answer.endpoints.map((e) => e.address).sort());
      if (!this.stopped && key !== this.last) {
        this.last = key;
        this.onList(answer.endpoints);
      }
    } catch (err) {
      // Keep the last good list: a resolver outage must not empty a service.
      if (!this.stopped) this.onError(err as Error);
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.tick(), wait);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }
}
