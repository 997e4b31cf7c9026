import type { Span, Telemetry } from '../telemetry/client.js';
import { isRequest, traceparent, withTraceparent } from './traceparent.js';

/**
 * fetch instrumentation: a span per request and a W3C `traceparent` header so the server's spans join
 * the browser's trace.
 */

/** A URL prefix (string) or a pattern tested against the full URL (RegExp). */
export type UrlMatcher = string | RegExp;

/** Options of `instrumentFetch`. */
export interface FetchOptions {
  /**
   * Cross-origin URLs that also get a `traceparent` header. Their servers must list `traceparent` in
   * `Access-Control-Allow-Headers`, or the CORS preflight the header triggers fails the request.
   * @default [] (same-origin requests only)
   */
  propagateTo?: UrlMatcher[];
  /**
   * URLs that get neither a span nor a header.
   * @default []
   */
  ignoreUrls?: UrlMatcher[];
  /**
   * The telemetry endpoint. Requests to any URL starting with it are not instrumented: a span per
   * telemetry send would be sent by the next send, forever. Pass the client's endpoint here.
   * @default undefined (only `ignoreUrls` are skipped)
   */
  endpoint?: string;
}

type FetchArgs = Parameters<typeof fetch>;

// Page-wide: there is one `globalThis.fetch`; a second wrapper would make two spans per request.
let installed = false;

function baseUrl(): string | undefined {
  try {
    return typeof location === 'undefined' ? undefined : location.href;
  } catch {
    return undefined;
  }
}

function matches(href: string, matchers: UrlMatcher[]): boolean {
  // `search` ignores a /g regexp's lastIndex, so a shared global pattern gives the same answer every time.
  return matchers.some((m) => (typeof m === 'string' ? href.startsWith(m) : href.search(m) !== -1));
}

/** Origin and path only: query strings and fragments carry tokens and personal data; userinfo, passwords. */
function spanUrl(url: URL): string {
  return url.protocol === 'http:' || url.protocol === 'https:' ? url.origin + url.pathname : url.protocol;
}

function describeError(error: unknown): string {
  if (error instanceof Error || (typeof error === 'object' && error !== null && 'name' in error)) {
    const e = error as { name?: unknown; message?: unknown };
    return `${String(e.name)}: ${String(e.message)}`;
  }
  return String(error);
}

/**
 * Wraps `globalThis.fetch`. Each request gets a span `HTTP <METHOD>` ending when the response headers
 * arrive, with `http.method`, `http.url` (no query or fragment) and `http.status_code`, or `error` when
 * the request fails; the original response or error is passed through unchanged.
 *
 * Returns a function that puts the original fetch back. If other code wrapped fetch after us, putting it
 * back would remove that wrapper too, so ours is then left in place as a pass-through. A second call
 * while installed does nothing and returns a no-op.
 */
export function instrumentFetch(telemetry: Telemetry, options: FetchOptions = {}): () => void {
  const original = globalThis.fetch;
  // A disabled client must cost nothing: no listeners, no patched globals (DESIGN.md section 4).
  // Call this after configure()/optIn(); it installs nothing while telemetry is off.
  if (!telemetry.isConfigured()) return () => {};
  if (installed || typeof original !== 'function') return () => {};
  installed = true;
  let active = true;
  const propagateTo = options.propagateTo ?? [];
  const ignore = [...(options.ignoreUrls ?? [])];
  if (typeof options.endpoint === 'string' && options.endpoint !== '') {
    ignore.push(options.endpoint);
    try {
      ignore.push(new URL(options.endpoint, baseUrl()).href);
    } catch {
      // An unparsable endpoint only matches as written.
    }
  }

  /** The span and the arguments to call fetch with, or undefined to call it untouched. */
  function prepare(args: FetchArgs): { span: Span; args: FetchArgs } | undefined {
    const [input, init] = args;
    const request = isRequest(input) ? input : undefined;
    // Anything but a Request is stringified, as fetch itself does (a URL gives its href).
    const raw = isRequest(input) ? input.url : input instanceof URL ? input.href : String(input);
    const url = new URL(raw, baseUrl());
    if (matches(url.href, ignore)) return undefined;
    const method = String(init?.method ?? request?.method ?? 'GET').toUpperCase();
    const span = telemetry.startSpan(`HTTP ${method}`, { 'http.method': method, 'http.url': spanUrl(url) });
    // Same-origin requests need no CORS permission for the header; cross-origin ones only when allowed.
    const sameOrigin = typeof location !== 'undefined' && url.origin === location.origin;
    const header = traceparent(span.traceId, span.spanId);
    let next: FetchArgs | undefined;
    if (header !== undefined && (sameOrigin || matches(url.href, propagateTo))) {
      try {
        next = withTraceparent(args, header);
      } catch {
        // Headers the browser would reject anyway: let fetch report them, unchanged.
      }
    }
    return { span, args: next ?? args };
  }

  const wrapped = function fetch(...args: FetchArgs): Promise<Response> {
    let plan: { span: Span; args: FetchArgs } | undefined;
    try {
      plan = active ? prepare(args) : undefined;
    } catch {
      plan = undefined;
    }
    if (!plan) return Reflect.apply(original, globalThis, args);
    const { span } = plan;
    let pending: Promise<Response>;
    try {
      pending = Reflect.apply(original, globalThis, plan.args);
    } catch (error) {
      span.end({ error: describeError(error) }, 'error');
      throw error;
    }
    return Promise.resolve(pending).then(
      (response) => {
        span.end({ 'http.status_code': response.status }, response.status >= 500 ? 'error' : undefined);
        return response;
      },
      (error: unknown) => {
        span.end({ error: describeError(error) }, 'error');
        throw error;
      },
    );
  };

  globalThis.fetch = wrapped;
  return () => {
    if (!active) return;
    active = false;
    installed = false;
    if (globalThis.fetch === wrapped) globalThis.fetch = original;
  };
}
