/**
 * Where webhooks may connect (server-side request forgery): a webhook URL is chosen by an FIU
 * analyst, but the request leaves from the feed service's own network. So every address a
 * webhook host resolves to is checked, and the connection is pinned to the address checked
 * (webhookLookup(): node:https connects to exactly what it returns, and still checks the TLS
 * certificate against the host name). Refused unless the operator's allow-list names them:
 *
 * - loopback (127/8, ::1), unspecified (0/8, ::), private (10/8, 172.16/12, 192.168/16,
 *   fc00::/7), link-local (169.254/16, fe80::/10), CGNAT (100.64/10), cloud metadata
 *   (169.254.169.254, fd00:ec2::254: inside link-local and fc00::/7), multicast (224/4, ff00::/8),
 *   reserved and documentation ranges (192.0.0/24, 192.0.2/24, 198.18/15, 198.51.100/24,
 *   203.0.113/24, 240/4, 2001:db8::/32, 100::/64);
 * - the same addresses written as IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d) or
 *   NAT64 (64:ff9b::a.b.c.d) IPv6 addresses.
 *
 * The allow-list (ENLACE_FEED_WEBHOOK_ALLOW, comma-separated) holds CIDR ranges (`10.20.0.0/16`,
 * `fd12::/16`), single addresses, or host names (`localhost`, `hooks.fiu.internal`, `*.fiu.internal`
 * for every name below it). A host name allowed by name may resolve anywhere, and only
 * allow-listed hosts may be reached over plain http://.
 */
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress, LookupOptions } from 'node:dns';
import { BlockList, isIP, isIPv4 } from 'node:net';

const BLOCKED_V4: readonly [string, number][] = [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24],
  ['192.0.2.0', 24],
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4],
];
const BLOCKED_V6: readonly [string, number][] = [
  ['::', 128],
  ['::1', 128],
  ['100::', 64],
  ['2001:db8::', 32],
  ['fc00::', 7],
  ['fe80::', 10],
  ['ff00::', 8],
];

const BLOCKED = new BlockList();
for (const [net, prefix] of BLOCKED_V4) BLOCKED.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of BLOCKED_V6) BLOCKED.addSubnet(net, prefix, 'ipv6');

/** A problem with an allow-list entry. */
export class AllowListError extends Error {
  constructor(
    readonly entry: string,
    message: string,
  ) {
    super(message);
    this.name = 'AllowListError';
  }
}

/**
 * The IPv4 address an IPv6 address stands for (IPv4-mapped, IPv4-compatible, NAT64 well-known
 * prefix), or undefined. `address` must be a valid IPv6 address.
 */
export function embeddedIPv4(address: string): string | undefined {
  const groups = expandIPv6(address);
  if (groups === undefined) return undefined;
  const zero = (from: number, to: number): boolean => groups.slice(from, to).every((g) => g === 0);
  const mapped = zero(0, 5) && groups[5] === 0xffff;
  const compatible = zero(0, 6) && (groups[6] !== 0 || (groups[7] ?? 0) > 1);
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && zero(2, 6);
  if (!mapped && !compatible && !nat64) return undefined;
  const hi = groups[6] ?? 0;
  const lo = groups[7] ?? 0;
  return `${hi >> 8}.${hi & 0xff}.${lo >> 8}.${lo & 0xff}`;
}

/** The eight 16-bit groups of an IPv6 address (with an optional dotted IPv4 tail), or undefined. */
function expandIPv6(address: string): number[] | undefined {
  let text = address.toLowerCase();
  const zone = text.indexOf('%');
  if (zone >= 0) text = text.slice(0, zone);
  const lastColon = text.lastIndexOf(':');
  const last = text.slice(lastColon + 1);
  if (last.includes('.')) {
    // A dotted IPv4 tail (::ffff:10.0.0.1) becomes its two 16-bit groups.
    if (!isIPv4(last)) return undefined;
    const [a, b, c, d] = last.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const parse = (part: string): number[] => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const double = text.indexOf('::');
  let groups: number[];
  if (double >= 0) {
    const head = parse(text.slice(0, double));
    const rest = parse(text.slice(double + 2));
    const fill = 8 - head.length - rest.length;
    if (fill < 0) return undefined;
    groups = [...head, ...new Array<number>(fill).fill(0), ...rest];
  } else groups = parse(text);
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff)
    ? groups
    : undefined;
}

/** True when `address` (an IP address) lies in a range webhooks may not reach by default. */
export function isBlockedAddress(address: string): boolean {
  const family = isIP(address);
  if (family === 4) return BLOCKED.check(address, 'ipv4');
  if (family !== 6) return true;
  const v4 = embeddedIPv4(address);
  if (v4 !== undefined) return BLOCKED.check(v4, 'ipv4');
  return BLOCKED.check(address.split('%')[0]!, 'ipv6');
}

/** The operator's allow-list, parsed. */
export class AddressPolicy {
  private readonly ranges = new BlockList();
  private readonly names = new Set<string>();
  private readonly suffixes: string[] = [];
  readonly entries: readonly string[];

  /** Throws AllowListError for an entry that is neither a CIDR, an address nor a host name. */
  constructor(allow: readonly string[] = []) {
    const entries: string[] = [];
    for (const raw of allow) {
      const entry = raw.trim().toLowerCase();
      if (entry === '') continue;
      entries.push(entry);
      const slash = entry.indexOf('/');
      const bare = entry.startsWith('[') && entry.endsWith(']') ? entry.slice(1, -1) : entry;
      if (slash >= 0) {
        const net = entry.slice(0, slash);
        const prefix = Number(entry.slice(slash + 1));
        const family = isIP(net);
        const max = family === 4 ? 32 : 128;
        if (family === 0 || !/^\d{1,3}$/.test(entry.slice(slash + 1)) || prefix > max)
          throw new AllowListError(raw, `${JSON.stringify(raw)} is not a CIDR range such as 10.20.0.0/16`);
        this.ranges.addSubnet(net, prefix, family === 4 ? 'ipv4' : 'ipv6');
      } else if (isIP(bare) !== 0) {
        this.ranges.addAddress(bare, isIP(bare) === 4 ? 'ipv4' : 'ipv6');
        this.names.add(bare);
      } else if (
        /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/.test(entry)
      ) {
        if (entry.startsWith('*.')) this.suffixes.push(entry.slice(1));
        else this.names.add(entry);
      } else {
        throw new AllowListError(
          raw,
          `${JSON.stringify(raw)} is neither a CIDR range, an address nor a host name`,
        );
      }
    }
    this.entries = entries;
  }

  /** Parses `ENLACE_FEED_WEBHOOK_ALLOW`-style text: entries separated by commas or white space. */
  static parse(text: string | undefined): AddressPolicy {
    return new AddressPolicy((text ?? '').split(/[\s,]+/));
  }

  /** True when the allow-list names `host` (a URL's hostname: a name, or an address in brackets). */
  allowsHost(host: string): boolean {
    const name = normalizeHost(host);
    if (this.names.has(name)) return true;
    if (this.suffixes.some((suffix) => name.endsWith(suffix))) return true;
    const family = isIP(name);
    return family !== 0 && this.inRanges(name);
  }

  /** True when a webhook to `host` may connect to `address` (one it resolved to). */
  allowsAddress(host: string, address: string): boolean {
    if (this.allowsHost(host)) return true;
    if (this.inRanges(address)) return true;
    return !isBlockedAddress(address);
  }

  private inRanges(address: string): boolean {
    const family = isIP(address);
    if (family === 4) return this.ranges.check(address, 'ipv4');
    if (family !== 6) return false;
    const v4 = embeddedIPv4(address);
    return this.ranges.check(address, 'ipv6') || (v4 !== undefined && this.ranges.check(v4, 'ipv4'));
  }
}

/** A URL hostname without brackets, in lower case and without a trailing dot. */
export function normalizeHost(host: string): string {
  let name = host.toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (name.endsWith('.')) name = name.slice(0, -1);
  return name;
}

/** The error a webhook connection fails with when its host resolves to a refused address. */
export class BlockedAddressError extends Error {
  readonly code = 'ERR_WEBHOOK_BLOCKED_ADDRESS';
  constructor(host: string) {
    // The address is not named: the status must not tell an analyst how internal names resolve.
    super(
      `the webhook host ${host} resolves to a loopback, private, link-local or otherwise reserved address; ` +
        'the operator must allow-list it (ENLACE_FEED_WEBHOOK_ALLOW)',
    );
    this.name = 'BlockedAddressError';
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * A `lookup` for node:http(s) request options: resolves `host` and hands the socket only
 * addresses the policy allows; when any address of the host is refused, the connection fails
 * with BlockedAddressError (a host that resolves partly inside is not reached at all).
 * `resolve` replaces DNS (tests).
 */
export function webhookLookup(
  policy: AddressPolicy,
  resolve: (
    host: string,
    callback: (err: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void,
  ) => void = (host, callback) => dnsLookup(host, { all: true, verbatim: true }, callback),
) {
  return (host: string, options: LookupOptions, callback: LookupCallback): void => {
    resolve(host, (err, addresses) => {
      if (err !== null) {
        callback(err, []);
        return;
      }
      const wanted = addresses.filter(
        (a) => options.family === undefined || options.family === 0 || a.family === options.family,
      );
      if (wanted.length === 0 || wanted.some((a) => !policy.allowsAddress(host, a.address))) {
        callback(wanted.length === 0 ? notFound(host) : new BlockedAddressError(host), []);
        return;
      }
      if (options.all === true) callback(null, wanted);
      else callback(null, wanted[0]!.address, wanted[0]!.family);
    });
  };
}

function notFound(host: string): NodeJS.ErrnoException {
  const error: NodeJS.ErrnoException = new Error(`${host} has no address of the family asked for`);
  error.code = 'ENOTFOUND';
  return error;
}
