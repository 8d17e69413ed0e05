import dns from 'node:dns';
import net from 'node:net';

/** Address classes a tool's absolute URL may not reach unless the server allows private networks. */
export function isPrivateAddress(address: string): boolean {
  if (net.isIPv4(address)) {
    const [a, b] = address.split('.').map(Number);
    return (
      a === 0 || a === 10 || a === 127 ||
      (a === 100 && b >= 64 && b <= 127) ||
      (a === 169 && b === 254) ||
      (a === 172 && b >= 16 && b <= 31) ||
      (a === 192 && b === 168) ||
      (a === 192 && b === 0) ||
      (a === 198 && (b === 18 || b === 19)) ||
      a >= 224
    );
  }
  if (net.isIPv6(address)) {
    const lower = address.toLowerCase();
    const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
    if (mapped) return isPrivateAddress(mapped[1]);
    return (
      lower === '::' || lower === '::1' ||
      lower.startsWith('fc') || lower.startsWith('fd') ||
      /^fe[89ab]/.test(lower) || lower.startsWith('ff')
    );
  }
  return true;
}

/** Always refused, even where private networks are allowed: cloud metadata endpoints. */
export function isMetadataAddress(address: string): boolean {
  const lower = address.toLowerCase();
  return lower === '169.254.169.254' || lower === 'fd00:ec2::254' || lower === '::ffff:169.254.169.254' || lower === '100.100.100.200';
}

export class BlockedAddressError extends Error {
  readonly code = 'UPSTREAM_ADDRESS_BLOCKED';
}

type LookupCallback = (err: NodeJS.ErrnoException | null, address: string | dns.LookupAddress[], family?: number) => void;

/**
 * A `lookup` for sockets that checks every resolved address before connecting; the socket then
 * connects to exactly the address checked, so DNS rebinding between check and connect is impossible.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: dns.LookupOptions, callback: LookupCallback): void => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      for (const a of list) {
        if (isMetadataAddress(a.address) || (!allowPrivate && isPrivateAddress(a.address))) {
          return callback(new BlockedAddressError(`${hostname} resolves to ${a.address}, a private or metadata address; set allowPrivateNetworks on the MCP server to allow it`), '', 0);
        }
      }
      if (options.all) return callback(null, list);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error(`no address for ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/** Checks a literal IP host (no DNS involved) against the same policy. */
export function literalHostProblem(host: string, allowPrivate: boolean): string | undefined {
  const bare = host.startsWith('[') ? host.slice(1, -1) : host;
  if (!net.isIP(bare)) {
    if (!allowPrivate && (bare === 'localhost' || bare.endsWith('.localhost'))) return `${host} is a loopback name`;
    return undefined;
  }
  if (isMetadataAddress(bare)) return `${host} is a cloud metadata address`;
  if (!allowPrivate && isPrivateAddress(bare)) return `${host} is a private, loopback or link-local address`;
  return undefined;
}
