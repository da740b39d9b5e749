import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

/** Host names of cloud metadata services, refused like their addresses. */
const METADATA_HOSTS = new Set(['metadata', 'metadata.google.internal', 'metadata.goog']);

/** The AWS metadata service's IPv6 address (in fd00::/8, which is otherwise a private range and allowed). */
const AWS_METADATA_V6 = 'fd00:ec2::254';

function ipv4Blocked(ip: string): boolean {
  const [a, b] = ip.split('.').map(Number);
  return (
    a === 0 || // "this network"
    (a === 169 && b === 254) || // link-local, where cloud metadata services answer
    ip === '100.100.100.200' || // Alibaba Cloud's metadata service
    a >= 224 // multicast, reserved, broadcast
  );
}

/**
 * Addresses a webhook is never sent to, whatever resolves to them: unspecified, link-local (cloud
 * metadata services live there), multicast and reserved ranges. Loopback and private networks stay
 * reachable: a self-hosted gateway usually delivers to services beside it.
 */
export function blockedAddress(ip: string): boolean {
  const family = isIP(ip);
  if (family === 4) return ipv4Blocked(ip);
  if (family !== 6) return true;
  const lower = ip.toLowerCase();
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (mapped) return ipv4Blocked(mapped[1]);
  if (lower === '::' || lower === AWS_METADATA_V6) return true;
  // fe80::/10 link-local, ff00::/8 multicast.
  return /^fe[89ab]/.test(lower) || lower.startsWith('ff');
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Resolver = (hostname: string, options: LookupOptions & { all: true }, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const refusedError = (hostname: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${hostname} resolves only to addresses webhooks may not reach`), { code: 'EADDRNOTAVAIL' });

/**
 * Where webhooks may go (`server.webhook_allowed_hosts`). Without a list, any host but the blocked
 * addresses above; with one, only the hosts it names (`example.com`, or `*.example.com` for its
 * subdomains). A host named in the list exactly is trusted, even at an otherwise blocked address.
 */
export class WebhookTargets {
  private readonly exact: ReadonlySet<string>;
  private readonly suffixes: readonly string[];
  private readonly restricted: boolean;

  constructor(
    allowedHosts: readonly string[] | undefined,
    private readonly resolve: Resolver = dnsLookup as unknown as Resolver,
  ) {
    const hosts = (allowedHosts ?? []).map((host) => host.toLowerCase());
    this.restricted = allowedHosts !== undefined;
    this.exact = new Set(hosts.filter((host) => !host.startsWith('*.')));
    this.suffixes = hosts.filter((host) => host.startsWith('*.')).map((host) => host.slice(1));
  }

  /** Why a webhook URL may not be used, or undefined when it may. */
  refusal(url: string): string | undefined {
    let host: string;
    try {
      host = new URL(url).hostname.toLowerCase();
    } catch {
      return 'is not a URL';
    }
    const bare = host.startsWith('[') ? host.slice(1, -1) : host;
    if (this.exact.has(bare)) return undefined;
    if (this.restricted && !this.suffixes.some((suffix) => bare.endsWith(suffix))) return `host ${bare} is not in server.webhook_allowed_hosts`;
    if (METADATA_HOSTS.has(bare)) return `host ${bare} is a cloud metadata service`;
    if (isIP(bare) && blockedAddress(bare)) return `address ${bare} is link-local, unspecified, multicast or reserved`;
    return undefined;
  }

  /**
   * A `lookup` for the sockets of webhook deliveries: a name that resolves to a blocked address cannot
   * smuggle a delivery there (the check at creation only sees the name).
   */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    this.resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const trusted = this.exact.has(hostname.toLowerCase());
      const usable = trusted ? addresses : addresses.filter((entry) => !blockedAddress(entry.address));
      if (usable.length === 0) return callback(refusedError(hostname), []);
      if (options.all) return callback(null, usable);
      callback(null, usable[0].address, usable[0].family);
    });
  };
}
