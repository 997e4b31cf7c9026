/** One encoded batch to deliver. */
export interface SendRequest {
  url: string;
  /** JSON text, or its gzip bytes when `encoding` is 'gzip'. */
  body: string | Uint8Array;
  encoding?: 'gzip';
  /** Extra headers. Unload sends must carry none, or the browser needs a CORS preflight. */
  headers: Record<string, string>;
  contentType: string;
  /**
   * The page is going away: the request must survive it (keepalive; the sender has reserved its bytes
   * in the page's keepalive budget) and must not need a preflight.
   */
  unloading: boolean;
}

/** What the client does next with the batch. */
export type SendResult =
  | { outcome: 'ok'; status: number }
  /** Keep the batch and try later. `countsAsAttempt` is false for network errors and explicit throttling. */
  | { outcome: 'retry'; status: number; error: string; retryAfterMs?: number; countsAsAttempt: boolean }
  /** The server refused this batch for good (4xx other than 408/429). */
  | { outcome: 'drop'; status: number; error: string };

/** Sends one request. Must never reject: failures are results. */
export interface Transport {
  send(request: SendRequest): Promise<SendResult>;
}

/** `Retry-After` as seconds or an HTTP date (RFC 9110, 10.2.3), in ms from `now`; undefined if absent or bad. */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  // Only an HTTP date (it has a month or day name); Date.parse would read '1.5' as a date in 2001.
  const date = /[a-z]{3}/i.test(v) ? Date.parse(v) : NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Maps a response status to what happens to the batch. */
export function classifyStatus(status: number, retryAfter: string | null, now: number): SendResult {
  if (status >= 200 && status < 300) return { outcome: 'ok', status };
  const error = `HTTP ${status}`;
  if (status !== 408 && status !== 429 && status < 500) return { outcome: 'drop', status, error };
  const retryAfterMs = parseRetryAfter(retryAfter, now);
  return {
    outcome: 'retry',
    status,
    error,
    // A server that says when to come back is throttling, not failing this batch.
    countsAsAttempt: retryAfterMs === undefined && status !== 429,
    ...(retryAfterMs !== undefined && { retryAfterMs }),
  };
}

export interface FetchTransportOptions {
  fetch?: typeof fetch;
  /** Abort a request that has not answered after this long (not applied to unload sends). @default 10000 */
  timeoutMs?: number;
  now?: () => number;
}

/** A failed request: keep the batch and retry, without counting it as an attempt. */
const networkError = (error: unknown): SendResult => ({
  outcome: 'retry',
  status: 0,
  error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
  countsAsAttempt: false,
});

/**
 * fetch, with `keepalive` for sends made as the page leaves (the sender keeps those within the
 * page-wide keepalive budget). sendBeacon is not used: it cannot see 429/503 and silently loses
 * those batches (PLATFORM.md).
 */
export function fetchTransport({
  timeoutMs = 10_000,
  now = Date.now,
  // Taken once, at creation: an app's fetch instrumentation installed later must not see (and trace)
  // telemetry's own requests.
  fetch: doFetch = globalThis.fetch?.bind(globalThis),
}: FetchTransportOptions = {}): Transport {
  return {
    async send(request) {
      // A hung request must not stop this page's sending for good. AbortController and a timer rather
      // than AbortSignal.timeout, which Safari < 16 and older runtimes lack; unload sends outlive the
      // page and get none.
      const abort = request.unloading ? undefined : new AbortController();
      const timer = abort && setTimeout(() => abort.abort(), timeoutMs);
      try {
        const response = await doFetch(request.url, {
          method: 'POST',
          body: request.body as BodyInit,
          headers: {
            'Content-Type': request.contentType,
            ...(request.encoding && { 'Content-Encoding': request.encoding }),
            ...request.headers,
          },
          keepalive: request.unloading,
          credentials: 'omit',
          signal: abort?.signal,
        });
        // Drain the body so the connection can be reused; its content does not matter.
        response.body?.cancel().catch(() => {});
        return classifyStatus(response.status, response.headers.get('Retry-After'), now());
      } catch (error) {
        return networkError(error);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
