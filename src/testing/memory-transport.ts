/**
 * An in-memory `Transport` for unit tests (Vitest, Jest): give it to `createTelemetry({ transport })`
 * and assert on what the client would have sent, decoded from the very bytes it produced (gzip
 * included). Answers 200 unless told otherwise, so retries, drops and `Retry-After` can be tested too.
 */
import type { NativeBody } from '../telemetry/records.js';
import { classifyStatus, type SendRequest, type SendResult, type Transport } from '../telemetry/transport.js';
import { createCaptureStore, type CaptureView } from './capture-store.js';
import { decodeBytes } from './decode.js';
import type { CapturedRequest } from './records.js';
import { pickResponse, type Respond } from './respond.js';

export interface MemoryTransportOptions {
  /**
   * How to answer: a status, `{ status, headers }`, or `(request, index) => …` returning either (or
   * undefined for 200). Statuses are classified as the real transport does (5xx/408/429 retried,
   * `Retry-After` honoured, other 4xx dropped); status 0 is a network error.
   * @default 200
   */
  respond?: Respond;
}

export interface MemoryTransport extends Transport, CaptureView {
  /** The native bodies sent, parsed, in order (resends included). */
  readonly bodies: readonly NativeBody[];
}

const encoder = new TextEncoder();

export function memoryTransport({ respond }: MemoryTransportOptions = {}): MemoryTransport {
  const store = createCaptureStore();
  const bodies: NativeBody[] = [];
  let count = 0;

  async function send(request: SendRequest): Promise<SendResult> {
    // Numbered on arrival: the client sends a round's batches together, and their decoding may interleave.
    const index = count++;
    const bytes = typeof request.body === 'string' ? encoder.encode(request.body) : request.body;
    const body = await decodeBytes(bytes, request.encoding);
    const headers: Record<string, string> = { 'content-type': request.contentType };
    if (request.encoding) headers['content-encoding'] = request.encoding;
    for (const [name, value] of Object.entries(request.headers)) headers[name.toLowerCase()] = value;
    const captured: CapturedRequest = {
      url: request.url,
      method: 'POST',
      headers,
      bytes,
      ...body,
      ...(body.decoded?.batchId ? { batchId: body.decoded.batchId } : {}),
    };
    store.add(captured);
    if (body.decoded?.format === 'native') bodies.push(body.json as NativeBody);
    const answer = await pickResponse(respond, captured, index);
    const status = answer?.status ?? 200;
    store.answered(captured, status);
    if (status === 0)
      return { outcome: 'retry', status: 0, error: 'TypeError: Failed to fetch', countsAsAttempt: false };
    const retryAfter = Object.entries(answer?.headers ?? {}).find(([k]) => k.toLowerCase() === 'retry-after');
    return classifyStatus(status, retryAfter?.[1] ?? null, Date.now());
  }

  return {
    async send(request) {
      try {
        return await send(request);
      } catch (error) {
        // A Transport never rejects; a throwing `respond` shows up as a failed send.
        return { outcome: 'retry', status: 0, error: String(error), countsAsAttempt: false };
      }
    },
    get bodies() {
      return bodies;
    },
    get logs() {
      return store.logs;
    },
    get metrics() {
      return store.metrics;
    },
    get traces() {
      return store.traces;
    },
    get exceptions() {
      return store.exceptions;
    },
    get requests() {
      return store.requests;
    },
    waitFor: (kind, predicate, options) => store.waitFor(kind, predicate, options),
    clear() {
      store.clear();
      bodies.length = 0;
    },
  };
}
