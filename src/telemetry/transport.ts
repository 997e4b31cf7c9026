import { utf8Length } from './bytes.js';
import { pageKeepaliveBudget, type KeepaliveBudget } from './keepalive-budget.js';

/** One encoded batch to deliver. */
export interface SendRequest {
  url: string;
  body: string;
  /** Extra headers. Unload sends must carry none, or the browser needs a CORS preflight. */
  headers: Record<string, string>;
  contentType: string;
  /** The page is going away: the request must survive it (keepalive) and must not need a preflight. */
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
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  };
}

export interface FetchTransportOptions {
  fetch?: typeof fetch;
  budget?: KeepaliveBudget;
  /** Abort a request that has not answered after this long (not applied to unload sends). @default 30000 */
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
 * fetch with `keepalive` whenever the body fits the page-wide budget, plain fetch otherwise.
 * sendBeacon is not used: it cannot see 429/503 and silently loses those batches (PLATFORM.md).
 */
export function fetchTransport({
  budget = pageKeepaliveBudget,
  timeoutMs = 30_000,
  now = Date.now,
  // Taken once, at creation: an app's fetch instrumentation installed later must not see (and trace)
  // telemetry's own requests.
  fetch: doFetch = globalThis.fetch?.bind(globalThis),
}: FetchTransportOptions = {}): Transport {
  async function attempt(request: SendRequest, keepalive: boolean): Promise<SendResult> {
    const response = await doFetch(request.url, {
      method: 'POST',
      body: request.body,
      headers: { 'Content-Type': request.contentType, ...request.headers },
      keepalive,
      credentials: 'omit',
      signal: request.unloading ? undefined : globalThis.AbortSignal?.timeout?.(timeoutMs),
    });
    // Drain the body so the connection can be reused; its content does not matter.
    response.body?.cancel().catch(() => {});
    return classifyStatus(response.status, response.headers.get('Retry-After'), now());
  }

  return {
    async send(request) {
      const release = budget.reserve(utf8Length(request.body));
      try {
        return await attempt(request, !!release);
      } catch (error) {
        // Chromium rejects an over-budget keepalive request with a bare TypeError; Faro retries once
        // without keepalive, which still works while the page stays alive.
        if (!release || !(error instanceof TypeError) || request.unloading) return networkError(error);
        release();
        return await attempt(request, false).catch(networkError);
      } finally {
        release?.();
      }
    },
  };
}
