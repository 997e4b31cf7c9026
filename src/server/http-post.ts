/**
 * POSTing to a collector or Loki from the server and CLI: one attempt with a timeout, optional gzip,
 * and a classification of the answer (the same retry classes as the browser client: 408, 429, 5xx
 * and network errors are retried, honouring Retry-After; other 4xx are refused for good).
 */
import { gzipSync } from 'node:zlib';
import { backoffDelay } from '../telemetry/backoff.js';

export interface PostOptions {
  headers?: Record<string, string>;
  /** Send `Content-Encoding: gzip` (OTLP receivers and Loki accept it). */
  gzip?: boolean;
  /** @default 30000 */
  timeoutMs?: number;
  /** Abandons the request (the forwarder closing). */
  signal?: AbortSignal;
}

export type PostResult =
  | { outcome: 'ok'; status: number }
  | { outcome: 'retry' | 'refused'; status: number; error: string; retryAfterMs?: number };

export async function postOnce(url: string, body: string, options: PostOptions = {}): Promise<PostResult> {
  const headers: Record<string, string> = { 'Content-Type': 'application/json', ...options.headers };
  let payload: BodyInit = body;
  if (options.gzip) {
    payload = new Uint8Array(gzipSync(body));
    headers['Content-Encoding'] = 'gzip';
  }
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers,
      body: payload,
      signal: AbortSignal.any([
        AbortSignal.timeout(options.timeoutMs ?? 30_000),
        ...(options.signal ? [options.signal] : []),
      ]),
    });
    // Read the answer so the connection can be reused; keep a little of it for the error message.
    const text = await response.text().catch(() => '');
    if (response.ok) return { outcome: 'ok', status: response.status };
    const { status } = response;
    const error = `HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    const retry = status === 408 || status === 429 || status >= 500;
    const retryAfterMs = retryAfter(response.headers.get('retry-after'));
    return {
      outcome: retry ? 'retry' : 'refused',
      status,
      error,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  } catch (error) {
    return { outcome: 'retry', status: 0, error: String((error as Error).cause ?? error) };
  }
}

/** `Retry-After` in seconds or as an HTTP date, in ms from now; undefined when absent or unreadable. */
export function retryAfter(value: string | null): number | undefined {
  const v = value?.trim();
  if (!v) return undefined;
  if (/^\d+$/.test(v)) return Number(v) * 1000;
  const date = /[a-z]{3}/i.test(v) ? Date.parse(v) : NaN;
  return Number.isNaN(date) ? undefined : Math.max(0, date - Date.now());
}

export interface RetryOptions extends PostOptions {
  /** Attempts before giving up with the last retryable result. @default 8 */
  attempts?: number;
  /** @default 500 */
  baseMs?: number;
  /** @default 30000 */
  maxMs?: number;
  /** Told before each wait, e.g. to print "collector unreachable, retrying in 4 s". */
  onRetry?: (result: PostResult, delayMs: number) => void;
  /** Resolves early when the caller stops; the pending attempt's result is returned then. */
  sleep?: (ms: number) => Promise<void>;
}

export async function postWithRetry(
  url: string,
  body: string,
  options: RetryOptions = {},
): Promise<PostResult> {
  const { attempts = 8, baseMs = 500, maxMs = 30_000, onRetry } = options;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  for (let attempt = 1; ; attempt++) {
    const result = await postOnce(url, body, options);
    if (result.outcome !== 'retry' || attempt >= attempts) return result;
    const delay = Math.min(maxMs, result.retryAfterMs ?? backoffDelay(attempt, baseMs, maxMs));
    onRetry?.(result, delay);
    await sleep(delay);
  }
}
