import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { isIP } from 'node:net';

/** Host names of cloud metadata services, refused like their addresses. */
const METADATA_HOSTS = new Set(['metadata', 'metadata.google.internal', 'metadata.goog']);

/** An address or a network: `bits` leading bits of `bytes` (4 bytes for IPv4, 16 for IPv6). */
interface Network {
  bytes: Uint8Array;
  bits: number;
}

function parseIPv4(text: string): Uint8Array | undefined {
  if (isIP(text) !== 4) return undefined;
  return Uint8Array.from(text.split('.').map(Number));
}

function parseIPv6(text: string): Uint8Array | undefined {
  if (isIP(text) !== 6) return undefined;
  let rest = text.toLowerCase();
  const tail: number[] = [];
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(rest);
  if (dotted) {
    tail.push(...parseIPv4(dotted[1])!);
    rest = `${rest.slice(0, -dotted[1].length)}0:0`;
  }
  const [head, after] = rest.includes('::') ? rest.split('::') : [rest, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').filter((g) => g !== '') : []);
  const left = groups(head);
  const right = groups(after);
  const words = after === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  const bytes = new Uint8Array(16);
  words.forEach((word, i) => {
    const value = parseInt(word, 16);
    bytes[i * 2] = value >> 8;
    bytes[i * 2 + 1] = value & 0xff;
  });
  if (tail.length) bytes.set(tail, 12);
  return bytes;
}

const startsWith = (bytes: Uint8Array, prefix: number[]) => prefix.every((value, i) => bytes[i] === value);

/**
 * The IPv4 address an IPv6 address stands for, when it is one in IPv6 clothing: IPv4-mapped
 * (`::ffff:a.b.c.d`), IPv4-compatible (`::a.b.c.d`), NAT64 (`64:ff9b::/96`, RFC 6052) and 6to4
 * (`2002:AABB:CCDD::/16`). Such an address reaches that IPv4 host, so it is judged as that host.
 */
function embeddedIPv4(bytes: Uint8Array): Uint8Array | undefined {
  const zeros = (from: number, to: number) => bytes.subarray(from, to).every((b) => b === 0);
  if (zeros(0, 10) && bytes[10] === 0xff && bytes[11] === 0xff) return bytes.slice(12);
  if (zeros(0, 12) && !zeros(12, 15)) return bytes.slice(12);
  if (startsWith(bytes, [0x00, 0x64, 0xff, 0x9b]) && zeros(4, 12)) return bytes.slice(12);
  if (startsWith(bytes, [0x20, 0x02])) return bytes.slice(2, 6);
  return undefined;
}

/** An address as it is judged: IPv4 bytes, IPv6 bytes, or the IPv4 bytes an IPv6 address embeds. */
function addressBytes(ip: string): Uint8Array | undefined {
  const v4 = parseIPv4(ip);
  if (v4) return v4;
  const v6 = parseIPv6(ip);
  return v6 ? (embeddedIPv4(v6) ?? v6) : undefined;
}

function parseNetwork(text: string): Network | undefined {
  const [address, prefix] = text.split('/');
  const bytes = addressBytes(address);
  if (!bytes) return undefined;
  const max = bytes.length * 8;
  const bits = prefix === undefined ? max : Number(prefix);
  if (!Number.isInteger(bits) || bits < 0 || bits > max) return undefined;
  // An IPv6 network written around an embedded IPv4 address (`::ffff:10.0.0.0/104`) is that IPv4 network.
  const embedded = bytes.length === 4 && isIP(address) === 6;
  return { bytes, bits: embedded && prefix !== undefined ? Math.max(0, bits - 96) : bits };
}

function contains(network: Network, bytes: Uint8Array): boolean {
  if (network.bytes.length !== bytes.length) return false;
  for (let bit = 0; bit < network.bits; bit += 8) {
    const take = Math.min(8, network.bits - bit);
    const mask = (0xff << (8 - take)) & 0xff;
    if ((network.bytes[bit / 8] & mask) !== (bytes[bit / 8] & mask)) return false;
  }
  return true;
}

/** IANA's special-purpose ranges that are not globally reachable (RFC 6890 and its updates), by what they are. */
const SPECIAL: ReadonlyArray<[string, string]> = [
  ['0.0.0.0/8', 'unspecified'],
  ['10.0.0.0/8', 'private'],
  ['100.64.0.0/10', 'shared address space'],
  ['127.0.0.0/8', 'loopback'],
  ['169.254.0.0/16', 'link-local'],
  ['172.16.0.0/12', 'private'],
  ['192.0.0.0/24', 'reserved'],
  ['192.0.2.0/24', 'documentation'],
  ['192.88.99.0/24', 'reserved'],
  ['192.168.0.0/16', 'private'],
  ['198.18.0.0/15', 'benchmarking'],
  ['198.51.100.0/24', 'documentation'],
  ['203.0.113.0/24', 'documentation'],
  ['224.0.0.0/4', 'multicast'],
  ['240.0.0.0/4', 'reserved'],
  ['::/128', 'unspecified'],
  ['::1/128', 'loopback'],
  ['64:ff9b:1::/48', 'private'],
  ['100::/64', 'reserved'],
  ['2001::/23', 'reserved'],
  ['2001:db8::/32', 'documentation'],
  ['3fff::/20', 'documentation'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'link-local'],
  ['fec0::/10', 'reserved'],
  ['ff00::/8', 'multicast'],
];
const SPECIAL_NETWORKS = SPECIAL.map(([cidr, kind]) => ({ network: parseNetwork(cidr)!, kind }));

/** What kind of non-public address `ip` is (`loopback`, `private`, `link-local` …), or undefined for a public one. */
export function addressKind(ip: string): string | undefined {
  const bytes = addressBytes(ip);
  if (!bytes) return 'not an IP address';
  return SPECIAL_NETWORKS.find((entry) => contains(entry.network, bytes))?.kind;
}

/** Whether `entry` is a valid `server.webhook_allowed_hosts` item. */
export function allowedHostProblem(entry: string): string | undefined {
  if (entry === '*' || /^(\*\.)?[a-z0-9-]+(\.[a-z0-9-]+)*\.?$/i.test(entry)) return undefined;
  return parseNetwork(entry) ? undefined : 'must be *, a host name, *.domain, an IP address or a CIDR network (10.0.0.0/8, fd00::/8)';
}

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
export type Resolver = (hostname: string, options: LookupOptions & { all: true }, callback: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const refusedError = (hostname: string): NodeJS.ErrnoException =>
  Object.assign(new Error(`${hostname} resolves only to addresses webhooks may not reach`), { code: 'EADDRNOTAVAIL' });

/** `localhost` and its subdomains are loopback by definition (RFC 6761), whatever a resolver says. */
const isLocalhost = (host: string) => host === 'localhost' || host.endsWith('.localhost');

/**
 * Where webhooks may go. By default public addresses only: loopback, private, link-local (cloud
 * metadata services live there), shared, multicast, documentation and reserved addresses are refused,
 * IPv6 forms of IPv4 addresses (mapped, NAT64, 6to4) judged as the IPv4 address they reach. The checks
 * run when a webhook is created and before every delivery (IP literals), and in the delivery sockets'
 * resolver (names), so a name cannot be pointed at a refused address later.
 *
 * `server.webhook_allowed_hosts`, when set, lists the only hosts accepted and what else is trusted:
 * `*` any public host; `*.example.com` its subdomains at public addresses; `hooks.internal` that name
 * at whatever address it resolves to (a named host is trusted); `127.0.0.1`, `10.0.0.0/8`, `fd00::/8`
 * those addresses, as literals or where a name resolves.
 */
export class WebhookTargets {
  private readonly exact: ReadonlySet<string>;
  private readonly suffixes: readonly string[];
  private readonly networks: readonly Network[];
  private readonly anyPublic: boolean;

  constructor(
    allowedHosts: readonly string[] | undefined,
    private readonly resolve: Resolver = dnsLookup as unknown as Resolver,
  ) {
    const entries = (allowedHosts ?? ['*']).map((host) => host.toLowerCase().replace(/\.$/, ''));
    this.anyPublic = entries.includes('*');
    this.networks = entries.map(parseNetwork).filter((network): network is Network => network !== undefined);
    const names = entries.filter((entry) => entry !== '*' && !parseNetwork(entry));
    this.exact = new Set(names.filter((name) => !name.startsWith('*.')));
    this.suffixes = names.filter((name) => name.startsWith('*.')).map((name) => name.slice(1));
  }

  private trustedAddress(ip: string): boolean {
    const bytes = addressBytes(ip);
    return bytes !== undefined && this.networks.some((network) => contains(network, bytes));
  }

  /** Whether a delivery to `hostname` may connect to `ip`. */
  private usable(hostname: string, ip: string): boolean {
    return addressKind(ip) === undefined || this.exact.has(hostname) || this.trustedAddress(ip);
  }

  /** Why a webhook URL may not be used, or undefined when it may (judged without resolving names). */
  refusal(url: string): string | undefined {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return 'is not a URL';
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'must be an http or https URL';
    // The URL parser has already turned `2130706433`, `0x7f.1` and `[::ffff:127.0.0.1]` into canonical form.
    const host = parsed.hostname.toLowerCase().replace(/^\[|\]$/g, '').replace(/\.$/, '');
    if (isIP(host)) {
      const kind = addressKind(host);
      if (this.trustedAddress(host)) return undefined;
      if (kind !== undefined) return `address ${host} is ${kind}; only public addresses are accepted unless server.webhook_allowed_hosts lists it`;
      return this.anyPublic ? undefined : `host ${host} is not in server.webhook_allowed_hosts`;
    }
    if (this.exact.has(host)) return undefined;
    if (!this.anyPublic && !this.suffixes.some((suffix) => host.endsWith(suffix))) return `host ${host} is not in server.webhook_allowed_hosts`;
    if (METADATA_HOSTS.has(host)) return `host ${host} is a cloud metadata service`;
    if (isLocalhost(host) && !this.trustedAddress('127.0.0.1')) return `host ${host} is loopback; only public addresses are accepted unless server.webhook_allowed_hosts lists it`;
    return undefined;
  }

  /** `refusal`, and for a name, whether it resolves now only to addresses a delivery may not reach. */
  async check(url: string): Promise<string | undefined> {
    const refused = this.refusal(url);
    if (refused) return refused;
    const host = new URL(url).hostname.toLowerCase().replace(/\.$/, '');
    if (isIP(host.replace(/^\[|\]$/g, '')) || this.exact.has(host) || isLocalhost(host)) return undefined;
    const addresses = await new Promise<LookupAddress[]>((done) => this.resolve(host, { all: true }, (error, found) => done(error ? [] : found)));
    // A name that does not resolve yet is accepted: every delivery resolves it again and checks then.
    if (addresses.length > 0 && !addresses.some((entry) => this.usable(host, entry.address))) {
      return `host ${host} resolves only to addresses that are not public; only public addresses are accepted unless server.webhook_allowed_hosts lists them`;
    }
    return undefined;
  }

  /**
   * A `lookup` for the sockets of webhook deliveries: a name that resolves to a refused address cannot
   * smuggle a delivery there (the check at creation only saw what the name resolved to then).
   */
  readonly lookup = (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    this.resolve(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, []);
      const usable = addresses.filter((entry) => this.usable(host, entry.address));
      if (usable.length === 0) return callback(refusedError(hostname), []);
      if (options.all) return callback(null, usable);
      callback(null, usable[0].address, usable[0].family);
    });
  };
}
