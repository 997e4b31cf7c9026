/**
 * How a capture answers a telemetry request: the ingest server's answer by default, or what the test
 * asks for (a status, a full response, or a function of the request) to simulate failures.
 */
import type { CapturedRequest } from './records.js';

/** A full answer. */
export interface ResponseSpec {
  status: number;
  /** e.g. `{ 'Retry-After': '2' }` with a 429 or 503. */
  headers?: Record<string, string>;
  /** Text, or a value sent as JSON. @default the format's usual answer (see `defaultResponseBody`) */
  body?: string | object;
}

/**
 * A status, a full answer, or a function of the request and its index (0 for the first telemetry
 * request) returning either; `undefined` from the function means "answer as usual". A status of 0
 * fails the request as a network error.
 */
export type Respond =
  | number
  | ResponseSpec
  | ((
      request: CapturedRequest,
      index: number,
    ) => number | ResponseSpec | undefined | Promise<number | ResponseSpec | undefined>);

/** The answer `respond` gives this request, or undefined for the usual one. */
export async function pickResponse(
  respond: Respond | undefined,
  request: CapturedRequest,
  index: number,
): Promise<ResponseSpec | undefined> {
  const picked = typeof respond === 'function' ? await respond(request, index) : respond;
  return typeof picked === 'number' ? { status: picked } : picked;
}

/**
 * What the real backends answer: the ingest server's `{ status: 'ok', received }` for native bodies,
 * `{}` for OTLP (an ExportServiceResponse with no partial success), `{ status: 1 }` for PostHog; an
 * error status gets `{ error }`.
 */
export function defaultResponseBody(request: CapturedRequest, status: number): object {
  if (status < 200 || status >= 300) return { error: `HTTP ${status} (simulated by the test)` };
  const decoded = request.decoded;
  if (decoded?.format === 'otlp') return {};
  if (decoded?.format === 'posthog') return { status: 1 };
  return {
    status: 'ok',
    received: {
      logs: decoded?.logs.length ?? 0,
      traces: decoded?.traces.length ?? 0,
      metrics: decoded?.metrics.length ?? 0,
    },
  };
}

/** A response body as text. */
export const bodyText = (body: string | object): string =>
  typeof body === 'string' ? body : JSON.stringify(body);
