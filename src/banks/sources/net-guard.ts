import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/**
 * SSRF guard for bank downloads. A URL list is user input: without this, `http://169.254.169.254/` or
 * `http://10.0.0.5:5432/` in a list would make the importer fetch cloud credentials or probe the operator's
 * network. Every address a host resolves to is classified; any non-public one refuses the host, because
 * the connection might otherwise land on it.
 */
export type AddressClass =
  | 'public'
  | 'private'
  | 'loopback'
  | 'link-local'
  | 'cgnat'
  | 'multicast'
  | 'unspecified'
  | 'metadata'
  | 'reserved'
  | 'invalid';

type V4Rule = readonly [base: number, prefix: number, cls: AddressClass];

const v4 = (a: number, b: number, c: number, d: number): number => ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

// Ordered most specific first: metadata endpoints sit inside link-local / CGNAT and must be named as such.
const V4_RULES: readonly V4Rule[] = [
  [v4(169, 254, 169, 254), 32, 'metadata'], // AWS, GCP, Azure, OpenStack instance metadata
  [v4(100, 100, 100, 200), 32, 'metadata'], // Alibaba Cloud metadata
  [v4(168, 63, 129, 16), 32, 'metadata'], // Azure host "wire server", public-looking but host-internal
  [v4(0, 0, 0, 0), 8, 'unspecified'],
  [v4(10, 0, 0, 0), 8, 'private'],
  [v4(100, 64, 0, 0), 10, 'cgnat'],
  [v4(127, 0, 0, 0), 8, 'loopback'],
  [v4(169, 254, 0, 0), 16, 'link-local'],
  [v4(172, 16, 0, 0), 12, 'private'],
  [v4(192, 0, 0, 0), 24, 'reserved'], // IETF protocol assignments
  [v4(192, 0, 2, 0), 24, 'reserved'], // documentation
  [v4(192, 88, 99, 0), 24, 'reserved'], // deprecated 6to4 relay anycast
  [v4(192, 168, 0, 0), 16, 'private'],
  [v4(198, 18, 0, 0), 15, 'reserved'], // benchmarking
  [v4(198, 51, 100, 0), 24, 'reserved'],
  [v4(203, 0, 113, 0), 24, 'reserved'],
  [v4(224, 0, 0, 0), 4, 'multicast'],
  [v4(240, 0, 0, 0), 4, 'reserved'], // includes 255.255.255.255 broadcast
];

function parseV4(ip: string): number | undefined {
  const parts = ip.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const x = Number(p);
    if (x > 255) return undefined;
    n = n * 256 + x;
  }
  return n;
}

function classifyV4(n: number): AddressClass {
  for (const [base, prefix, cls] of V4_RULES) {
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    if (((n & mask) >>> 0) === base) return cls;
  }
  return 'public';
}

/** Eight 16-bit groups, or undefined when `ip` is not IPv6 text. Accepts an embedded dotted quad. */
function parseV6(ip: string): number[] | undefined {
  let text = ip;
  const tail: number[] = [];
  const lastColon = text.lastIndexOf(':');
  if (text.includes('.', lastColon)) {
    const quad = parseV4(text.slice(lastColon + 1));
    if (quad === undefined) return undefined;
    tail.push(quad >>> 16, quad & 0xffff);
    // Keep a trailing '::' (it still stands for zero groups); drop a lone separator colon.
    text = text.slice(0, lastColon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const parse = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    for (const g of s.split(':')) {
      if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const head = parse(halves[0] ?? '');
  const rest = halves.length === 2 ? parse(halves[1] ?? '') : [];
  if (!head || !rest) return undefined;
  const known = head.length + rest.length + tail.length;
  if (halves.length === 1 && known !== 8) return undefined;
  if (halves.length === 2 && known > 7) return undefined;
  const zeros = new Array<number>(8 - known).fill(0);
  return [...head, ...(halves.length === 2 ? zeros : []), ...rest, ...tail];
}

function classifyV6(g: number[]): AddressClass {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = g;
  const embedded = ((g6 << 16) | g7) >>> 0;
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;
  if (upperZero && g5 === 0 && g6 === 0) return g7 === 0 ? 'unspecified' : g7 === 1 ? 'loopback' : 'reserved';
  // IPv4-mapped (::ffff:a.b.c.d) and the NAT64 well-known prefix (64:ff9b::/96) reach an IPv4 host:
  // judge the host, or ::ffff:127.0.0.1 would walk past a v4-only check.
  if (upperZero && g5 === 0xffff) return classifyV4(embedded);
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return classifyV4(embedded);
  if (upperZero && g5 === 0) return 'reserved'; // deprecated IPv4-compatible ::a.b.c.d
  if (g0 === 0x2002) return classifyV4(((g1 << 16) | g2) >>> 0); // 6to4 embeds the IPv4 host
  if (g0 === 0xfd00 && g1 === 0x0ec2 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0 && g6 === 0 && g7 === 0x254) {
    return 'metadata'; // AWS IMDS over IPv6
  }
  if ((g0 & 0xfe00) === 0xfc00) return 'private'; // unique local fc00::/7
  if ((g0 & 0xffc0) === 0xfe80) return 'link-local';
  if ((g0 & 0xffc0) === 0xfec0) return 'private'; // deprecated site-local
  if ((g0 & 0xff00) === 0xff00) return 'multicast';
  if (g0 === 0x2001 && g1 === 0x0db8) return 'reserved'; // documentation
  if (g0 === 0x0100 && g1 === 0 && g2 === 0 && g3 === 0) return 'reserved'; // discard-only
  return 'public';
}

/** Classifies an IPv4 or IPv6 address literal (brackets and zone ids tolerated). */
export function classifyAddress(address: string): AddressClass {
  let ip = address.trim();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  const family = isIP(ip);
  if (family === 4) {
    const n = parseV4(ip);
    return n === undefined ? 'invalid' : classifyV4(n);
  }
  if (family === 6) {
    const groups = parseV6(ip.toLowerCase());
    return groups ? classifyV6(groups) : 'invalid';
  }
  return 'invalid';
}

export interface VettedAddress {
  address: string;
  family: 4 | 6;
}

export class AddressRefused extends Error {
  constructor(
    readonly host: string,
    readonly address: string,
    readonly addressClass: AddressClass,
  ) {
    super(`refused: ${host} resolves to ${addressClass} address ${address}`);
    this.name = 'AddressRefused';
  }
}

/**
 * Resolves `host` and returns the one address the request must connect to. Every resolved address is
 * checked (not just the first) because a DNS answer mixing a public and a private address is a
 * classic way around a first-address check.
 */
export async function vetHost(host: string, allowPrivate: boolean): Promise<VettedAddress> {
  const literal = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  const literalFamily = isIP(literal);
  const found =
    literalFamily === 4 || literalFamily === 6
      ? [{ address: literal, family: literalFamily }]
      : await dnsLookup(literal, { all: true, verbatim: true });
  if (found.length === 0) throw new Error(`${host} did not resolve`);
  for (const a of found) {
    const cls = classifyAddress(a.address);
    if (cls === 'invalid') throw new AddressRefused(host, a.address, cls);
    if (cls !== 'public' && !allowPrivate) throw new AddressRefused(host, a.address, cls);
  }
  const first = found[0];
  if (!first) throw new Error(`${host} did not resolve`);
  return { address: first.address, family: first.family === 6 ? 6 : 4 };
}
