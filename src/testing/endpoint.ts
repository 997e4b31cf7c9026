/** Which requests a capture treats as telemetry. */

/** A path or URL prefix, a RegExp on the full URL, or a predicate on the URL. */
export type EndpointMatcher = string | RegExp | ((url: URL) => boolean);

/** Paths the three wire formats post to: native `/ingest`, OTLP `/v1/<signal>`, PostHog `/batch/`. */
export const DEFAULT_ENDPOINT = /(?:^|\/)(?:ingest|v1\/(?:logs|traces|metrics)|batch)\/?$/;

/**
 * The matcher as a predicate on the request URL. A string starting with `/` matches that path and the
 * paths under it (`/ingest` matches `/ingest` and `/ingest/x`, not `/ingestion`); any other string is a
 * URL prefix; a RegExp is tested against the full URL; the default is tested against the path.
 */
export function endpointPredicate(endpoint: EndpointMatcher = DEFAULT_ENDPOINT): (url: URL) => boolean {
  if (typeof endpoint === 'function') return endpoint;
  if (endpoint === DEFAULT_ENDPOINT) return (url) => DEFAULT_ENDPOINT.test(url.pathname);
  if (endpoint instanceof RegExp) return (url) => endpoint.test(url.href);
  if (endpoint.startsWith('/')) {
    const under = endpoint.endsWith('/') ? endpoint : `${endpoint}/`;
    return (url) => url.pathname === endpoint || url.pathname.startsWith(under);
  }
  return (url) => url.href.startsWith(endpoint);
}
