/**
 * The client address a request counts against (rate limits): the socket's peer, or, when that peer
 * is a proxy the operator trusts (`--trust-proxy`), the address the proxy says it saw in `Forwarded`
 * or `X-Forwarded-For`. Untrusted peers' headers are ignored: any client can send them.
 */
import type { IncomingMessage } from 'node:http';
import { isIP } from 'node:net';

/** Decides whether a socket address is a trusted proxy. */
export type TrustProxy = (address: string) => boolean;

export const TRUST_NONE: TrustProxy = () => false;

/**
 * Parses `--trust-proxy`: a comma-separated list of IP addresses and the word `loopback`
 * (127.0.0.0/8 and ::1). Returns undefined for anything else, so the caller can name the flag.
 */
export function parseTrustProxy(value: string): TrustProxy | undefined {
  const entries = value.split(',').map((entry) => entry.trim().toLowerCase());
  if (entries.some((entry) => entry !== 'loopback' && isIP(entry) === 0)) return undefined;
  const exact = new Set(entries.filter((entry) => entry !== 'loopback').map(normalise));
  const loopback = entries.includes('loopback');
  return (address) => {
    const a = normalise(address);
    return exact.has(a) || (loopback && isLoopback(a));
  };
}

/** The address to key limits on; see the module comment. */
export function clientAddress(req: IncomingMessage, trusted: TrustProxy): string {
  const peer = normalise(req.socket.remoteAddress ?? 'unknown');
  if (!trusted(peer)) return peer;
  const forwarded = req.headers.forwarded;
  const hops =
    forwarded !== undefined ? forwardedFor(forwarded) : xForwardedFor(req.headers['x-forwarded-for']);
  // Rightmost first: each proxy appends the address it saw, so entries left of the first hop that
  // is not one of our proxies were written by the client itself and prove nothing.
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i]!;
    if (!trusted(hop)) return hop;
  }
  return hops[0] ?? peer;
}

/** `for=` values of a `Forwarded` header (RFC 7239), in order; quotes, brackets and ports removed. */
function forwardedFor(header: string): string[] {
  const hops: string[] = [];
  for (const element of header.split(',')) {
    for (const pair of element.split(';')) {
      const eq = pair.indexOf('=');
      if (eq === -1 || pair.slice(0, eq).trim().toLowerCase() !== 'for') continue;
      hops.push(
        normalise(
          stripPort(
            pair
              .slice(eq + 1)
              .trim()
              .replace(/^"|"$/g, ''),
          ),
        ),
      );
    }
  }
  return hops;
}

function xForwardedFor(header: string | string[] | undefined): string[] {
  if (header === undefined) return [];
  const joined = Array.isArray(header) ? header.join(',') : header;
  return joined
    .split(',')
    .map((hop) => normalise(stripPort(hop.trim())))
    .filter((hop) => hop !== '');
}

/** `[2001:db8::1]:4711` → `2001:db8::1`, `192.0.2.1:80` → `192.0.2.1`; a bare IPv6 stays whole. */
function stripPort(value: string): string {
  if (value.startsWith('[')) {
    const end = value.indexOf(']');
    return end === -1 ? value : value.slice(1, end);
  }
  const colon = value.indexOf(':');
  return colon !== -1 && colon === value.lastIndexOf(':') ? value.slice(0, colon) : value;
}

/** IPv4-mapped IPv6 (`::ffff:127.0.0.1`, what a dual-stack socket reports) as plain IPv4. */
function normalise(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

function isLoopback(address: string): boolean {
  return address === '::1' || (isIP(address) === 4 && address.startsWith('127.'));
}
