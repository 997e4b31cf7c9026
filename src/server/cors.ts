/**
 * CORS answers of the ingest endpoint. `--cors-origin` is `*` (any page may send and read the
 * answer) or a comma-separated list of origins: the answer then names the request's own Origin only
 * when it is in the list, and says `Vary: Origin` so a shared cache never gives one origin's answer
 * to another. CORS only decides what a page may read: a request from another origin is still
 * handled (a keepalive or beacon send cannot read its answer anyway); the token is what refuses.
 */

/** The CORS headers for a request with this `Origin` header (undefined when it has none). */
export type CorsHeaders = (origin: string | string[] | undefined) => Readonly<Record<string, string>>;

// Without this a cross-origin client cannot read Retry-After on a 429.
const EXPOSE = { 'Access-Control-Expose-Headers': 'Retry-After' };
const ORIGIN = /^[a-z][a-z0-9+.-]*:\/\/[^/?#\s,]+$/;

/**
 * The list of a `--cors-origin` value, lower-cased and without a trailing slash, or `'*'`.
 * @throws Error naming the entry that is not an origin (`scheme://host[:port]`)
 */
export function parseCorsOrigins(value: string): '*' | string[] {
  const entries = value
    .split(',')
    .map((entry) => entry.trim().replace(/\/+$/, '').toLowerCase())
    .filter((entry) => entry !== '');
  if (entries.length === 0)
    throw new Error(`expected * or a comma-separated list of origins, got "${value}"`);
  if (entries.includes('*')) {
    if (entries.length > 1) throw new Error(`"*" allows every origin and cannot be listed with others`);
    return '*';
  }
  for (const entry of entries) {
    if (!ORIGIN.test(entry)) throw new Error(`"${entry}" is not an origin like https://app.example[:port]`);
  }
  return entries;
}

export function createCors(corsOrigin: string): CorsHeaders {
  const allowed = parseCorsOrigins(corsOrigin);
  if (allowed === '*') {
    const any = { 'Access-Control-Allow-Origin': '*', ...EXPOSE };
    return () => any;
  }
  // Made once: every answer reuses one of these objects.
  const refused = { Vary: 'Origin', ...EXPOSE };
  const byOrigin = new Map(
    allowed.map((origin) => [origin, { 'Access-Control-Allow-Origin': origin, ...refused }]),
  );
  return (origin) => (typeof origin === 'string' && byOrigin.get(origin.toLowerCase())) || refused;
}
