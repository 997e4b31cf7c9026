/**
 * Access to the dashboard when the server has a token: the token in `X-Telemetry-Token` (scripts), or
 * a cookie set by the login form. The cookie holds an HMAC of the token, not the token, so it stops
 * working when the token changes and does not reveal it; it is HttpOnly (no script reads it) and
 * SameSite=Strict (no other site's page sends it). The token never goes in a URL.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { tokenMatches } from '../auth.js';

export const COOKIE = 'pwa_telemetry_dashboard';

export function sessionValue(token: string): string {
  return createHmac('sha256', token).update('pwa-telemetry dashboard session v1').digest('base64url');
}

/** True when auth is off, or the request carries the token or a valid session cookie. */
export function authorized(req: IncomingMessage, token: string | undefined): boolean {
  if (token === undefined) return true;
  const header = req.headers['x-telemetry-token'];
  if (typeof header === 'string') return tokenMatches(header, token);
  const given = readCookie(req.headers.cookie, COOKIE);
  if (given === undefined) return false;
  const expected = Buffer.from(sessionValue(token));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function sessionCookie(token: string, path: string): string {
  return `${COOKIE}=${sessionValue(token)}; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=2592000`;
}

export function clearedCookie(path: string): string {
  return `${COOKIE}=; Path=${path}; HttpOnly; SameSite=Strict; Max-Age=0`;
}

/**
 * A form post from another origin is refused: with SameSite=Strict it could not read anything, but
 * it could still log a browser in to an attacker's choice of server token.
 */
export function sameOrigin(req: IncomingMessage): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * Without a token, the dashboard answers only requests addressed to an IP literal or `localhost`:
 * a page on another site could otherwise point its own host name at 127.0.0.1 (DNS rebinding) and
 * read the API as same-origin. Serving it under a real host name needs a token.
 */
export function localHost(req: IncomingMessage): boolean {
  const host = req.headers.host;
  if (host === undefined) return true;
  let name: string;
  try {
    name = new URL(`http://${host}`).hostname;
  } catch {
    return false;
  }
  return name === 'localhost' || name.endsWith('.localhost') || name.startsWith('[') || /^[\d.]+$/.test(name);
}
