import { describe, expect, it } from 'vitest';
import { createKeepaliveBudget } from '../../src/telemetry/keepalive-budget.js';
import {
  classifyStatus,
  fetchTransport,
  parseRetryAfter,
  type SendRequest,
  type SendResult,
} from '../../src/telemetry/transport.js';

const NOW = Date.UTC(2025, 4, 6, 12, 0, 0);
const now = (): number => NOW;

interface Call {
  url: string;
  init: RequestInit;
}

/** A fetch that records what it was asked to send and answers with `answer` (which may throw). */
function fakeFetch(answer: (call: Call, index: number) => Response | Promise<Response>): {
  fetch: typeof fetch;
  calls: Call[];
} {
  const calls: Call[] = [];
  const fetch = (async (url: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const call = {
      url: typeof url === 'string' ? url : url instanceof URL ? url.href : url.url,
      init: init ?? {},
    };
    calls.push(call);
    return answer(call, calls.length - 1);
  }) as typeof globalThis.fetch;
  return { fetch, calls };
}

/** Rejects keepalive requests the way Chromium does when they do not fit its budget. */
const chromiumOverBudget = (call: Call): Response => {
  if (call.init.keepalive) throw new TypeError('Failed to fetch');
  return new Response(null, { status: 204 });
};

function deferred<T>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

function request(overrides: Partial<SendRequest> = {}): SendRequest {
  return {
    url: 'https://telemetry.example.com/ingest',
    body: '{"batchId":"b1","logs":[]}',
    headers: {},
    contentType: 'application/json',
    unloading: false,
    ...overrides,
  };
}

describe('classifyStatus', () => {
  it.each([
    [200, { outcome: 'ok', status: 200 }],
    [204, { outcome: 'ok', status: 204 }],
  ])('delivers on %i', (status, expected) => {
    expect(classifyStatus(status, null, NOW)).toEqual(expected);
  });

  it.each([400, 401, 404, 413])('drops the batch for good on %i', (status) => {
    expect(classifyStatus(status, null, NOW)).toEqual({ outcome: 'drop', status, error: `HTTP ${status}` });
  });

  it.each([408, 500, 503])('retries on %i and counts it as a failed attempt', (status) => {
    expect(classifyStatus(status, null, NOW)).toEqual({
      outcome: 'retry',
      status,
      error: `HTTP ${status}`,
      countsAsAttempt: true,
    });
  });

  it('retries on 429 without counting it as a failed attempt', () => {
    expect(classifyStatus(429, null, NOW)).toEqual({
      outcome: 'retry',
      status: 429,
      error: 'HTTP 429',
      countsAsAttempt: false,
    });
  });

  it('passes Retry-After in seconds on as milliseconds, as throttling rather than failure', () => {
    expect(classifyStatus(429, '30', NOW)).toMatchObject({
      outcome: 'retry',
      retryAfterMs: 30_000,
      countsAsAttempt: false,
    });
    expect(classifyStatus(503, '120', NOW)).toMatchObject({
      outcome: 'retry',
      retryAfterMs: 120_000,
      countsAsAttempt: false,
    });
  });

  it('honours Retry-After given as an HTTP date', () => {
    const in90s = new Date(NOW + 90_000).toUTCString();
    expect(classifyStatus(503, in90s, NOW)).toMatchObject({ retryAfterMs: 90_000, countsAsAttempt: false });
  });

  it('ignores a bad Retry-After: the 503 then counts as an attempt', () => {
    const result = classifyStatus(503, 'soon', NOW);
    expect(result).toEqual({ outcome: 'retry', status: 503, error: 'HTTP 503', countsAsAttempt: true });
  });

  it('ignores a malformed numeric Retry-After such as "1.5" instead of retrying at once', () => {
    // "1.5" is neither delay-seconds (1*DIGIT) nor an HTTP date, but V8's Date.parse reads it as 2001-01-05.
    const result = classifyStatus(503, '1.5', NOW);
    expect(result).toEqual({ outcome: 'retry', status: 503, error: 'HTTP 503', countsAsAttempt: true });
  });

  it('does not attach Retry-After to a success or a drop', () => {
    expect(classifyStatus(200, '10', NOW)).toEqual({ outcome: 'ok', status: 200 });
    expect(classifyStatus(400, '10', NOW)).toEqual({ outcome: 'drop', status: 400, error: 'HTTP 400' });
  });
});

describe('parseRetryAfter', () => {
  it('reads delay-seconds', () => {
    expect(parseRetryAfter('0', NOW)).toBe(0);
    expect(parseRetryAfter('120', NOW)).toBe(120_000);
    expect(parseRetryAfter('  5 ', NOW)).toBe(5_000);
  });

  it('reads an HTTP date relative to now, and a past date as 0', () => {
    expect(parseRetryAfter(new Date(NOW + 5_000).toUTCString(), NOW)).toBe(5_000);
    expect(parseRetryAfter('Wed, 21 Oct 2015 07:28:00 GMT', NOW)).toBe(0);
  });

  it('gives undefined for an absent or blank header', () => {
    expect(parseRetryAfter(null, NOW)).toBeUndefined();
    expect(parseRetryAfter('', NOW)).toBeUndefined();
    expect(parseRetryAfter('   ', NOW)).toBeUndefined();
  });

  it('gives undefined for values that are neither delay-seconds nor an HTTP date', () => {
    const values = ['soon', '10 minutes', '1e3', '5.0', '1.5', '-5', '0.5', '2 seconds'];
    const parsed = Object.fromEntries(values.map((v) => [v, parseRetryAfter(v, NOW)]));
    expect(parsed).toEqual(Object.fromEntries(values.map((v) => [v, undefined])));
  });
});

describe('fetchTransport', () => {
  it('POSTs the body with keepalive when it fits the budget, and reports the result', async () => {
    const { fetch, calls } = fakeFetch(() => new Response('{"status":"ok"}', { status: 200 }));
    const budget = createKeepaliveBudget();
    const result = await fetchTransport({ fetch, budget, now }).send(
      request({ headers: { 'X-Telemetry-Token': 'secret' } }),
    );
    expect(result).toEqual({ outcome: 'ok', status: 200 });
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0]!;
    expect(url).toBe('https://telemetry.example.com/ingest');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"batchId":"b1","logs":[]}');
    expect(init.keepalive).toBe(true);
    expect(init.credentials).toBe('omit');
    expect(init.headers).toEqual({ 'Content-Type': 'application/json', 'X-Telemetry-Token': 'secret' });
    expect(init.signal).toBeInstanceOf(AbortSignal);
    expect(budget.inFlightBytes).toBe(0);
  });

  it('holds the body’s bytes in the budget while the request is in flight', async () => {
    const gate = deferred<Response>();
    const { fetch } = fakeFetch(() => gate.promise);
    const budget = createKeepaliveBudget();
    const sending = fetchTransport({ fetch, budget, now }).send(request({ body: 'x'.repeat(1234) }));
    expect(budget.inFlightBytes).toBe(1234);
    expect(budget.inFlightRequests).toBe(1);
    gate.resolve(new Response(null, { status: 204 }));
    await sending;
    expect(budget.inFlightBytes).toBe(0);
    expect(budget.inFlightRequests).toBe(0);
  });

  it('sends without keepalive when a concurrent in-flight request has used up the page-wide budget', async () => {
    const gate = deferred<Response>();
    const { fetch, calls } = fakeFetch((_call, i) =>
      i === 0 ? gate.promise : new Response(null, { status: 204 }),
    );
    const budget = createKeepaliveBudget();
    // Two clients in one page share the budget.
    const first = fetchTransport({ fetch, budget, now }).send(request({ body: 'a'.repeat(40_000) }));
    const second = await fetchTransport({ fetch, budget, now }).send(request({ body: 'b'.repeat(40_000) }));
    expect(second).toEqual({ outcome: 'ok', status: 204 });
    expect(calls.map((c) => c.init.keepalive)).toEqual([true, false]);
    gate.resolve(new Response(null, { status: 204 }));
    expect(await first).toEqual({ outcome: 'ok', status: 204 });
    // Once the first finished, the budget is free again.
    await fetchTransport({ fetch, budget, now }).send(request({ body: 'c'.repeat(40_000) }));
    expect(calls[2]!.init.keepalive).toBe(true);
  });

  it('measures the body in UTF-8 bytes: 30,001 "é" (60,002 bytes) goes without keepalive', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    await fetchTransport({ fetch, budget: createKeepaliveBudget(), now }).send(
      request({ body: 'é'.repeat(30_001) }),
    );
    expect(calls[0]!.init.keepalive).toBe(false);
  });

  it('retries once without keepalive when the keepalive request fails with a TypeError', async () => {
    const { fetch, calls } = fakeFetch(chromiumOverBudget);
    const budget = createKeepaliveBudget();
    const result = await fetchTransport({ fetch, budget, now }).send(request());
    expect(result).toEqual({ outcome: 'ok', status: 204 });
    expect(calls).toHaveLength(2);
    expect(calls[0]!.init.keepalive).toBe(true);
    expect(calls[1]!.init.keepalive).toBe(false);
    expect(calls[1]!.init.body).toBe(calls[0]!.init.body);
    expect(budget.inFlightBytes).toBe(0);
    expect(budget.inFlightRequests).toBe(0);
  });

  it('reports the server’s answer to the retry without keepalive', async () => {
    const { fetch } = fakeFetch((call) => {
      if (call.init.keepalive) throw new TypeError('Failed to fetch');
      return new Response(null, { status: 503, headers: { 'Retry-After': '9' } });
    });
    const result = await fetchTransport({ fetch, budget: createKeepaliveBudget(), now }).send(request());
    expect(result).toEqual({
      outcome: 'retry',
      status: 503,
      error: 'HTTP 503',
      retryAfterMs: 9_000,
      countsAsAttempt: false,
    });
  });

  it('does not retry without keepalive while the page is unloading', async () => {
    const { fetch, calls } = fakeFetch(chromiumOverBudget);
    const result = await fetchTransport({ fetch, budget: createKeepaliveBudget(), now }).send(
      request({ unloading: true }),
    );
    expect(calls).toHaveLength(1);
    expect(result).toMatchObject({ outcome: 'retry', status: 0, countsAsAttempt: false });
  });

  it('does not retry an error other than TypeError', async () => {
    const { fetch, calls } = fakeFetch(() => {
      throw new DOMException('The operation was aborted.', 'AbortError');
    });
    const result = await fetchTransport({ fetch, budget: createKeepaliveBudget(), now }).send(request());
    expect(calls).toHaveLength(1);
    expect(result).toEqual({
      outcome: 'retry',
      status: 0,
      error: 'AbortError: The operation was aborted.',
      countsAsAttempt: false,
    });
  });

  it('turns a network error into a retry with status 0 that does not count as an attempt', async () => {
    const { fetch, calls } = fakeFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    const budget = createKeepaliveBudget();
    const result = await fetchTransport({ fetch, budget, now }).send(request());
    expect(result).toEqual({
      outcome: 'retry',
      status: 0,
      error: 'TypeError: Failed to fetch',
      countsAsAttempt: false,
    });
    // One keepalive try, one plain try, nothing more.
    expect(calls.map((c) => c.init.keepalive)).toEqual([true, false]);
    expect(budget.inFlightBytes).toBe(0);
  });

  it('does not retry a network error when keepalive was not used in the first place', async () => {
    const { fetch, calls } = fakeFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    const result = await fetchTransport({ fetch, budget: createKeepaliveBudget(), now }).send(
      request({ body: 'x'.repeat(60_001) }),
    );
    expect(calls.map((c) => c.init.keepalive)).toEqual([false]);
    expect(result).toMatchObject({ outcome: 'retry', status: 0, countsAsAttempt: false });
  });

  it('sends an unloading request with the given content type, no extra headers and no timeout', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    const result = await fetchTransport({ fetch, budget: createKeepaliveBudget(), now }).send(
      request({ unloading: true, contentType: 'text/plain;charset=UTF-8', headers: {} }),
    );
    expect(result).toEqual({ outcome: 'ok', status: 204 });
    const { init } = calls[0]!;
    expect(init.headers).toEqual({ 'Content-Type': 'text/plain;charset=UTF-8' });
    expect(init.keepalive).toBe(true);
    expect(init.credentials).toBe('omit');
    expect(init.signal).toBeUndefined();
  });

  it('passes the server’s Retry-After on, relative to the injected clock', async () => {
    const { fetch } = fakeFetch(
      () =>
        new Response(null, { status: 429, headers: { 'Retry-After': new Date(NOW + 42_000).toUTCString() } }),
    );
    const result = await fetchTransport({ fetch, budget: createKeepaliveBudget(), now }).send(request());
    expect(result).toMatchObject({
      outcome: 'retry',
      status: 429,
      retryAfterMs: 42_000,
      countsAsAttempt: false,
    });
  });

  it('reports a 4xx refusal as a drop', async () => {
    const { fetch } = fakeFetch(() => new Response('{"error":"bad shape"}', { status: 400 }));
    const result = await fetchTransport({ fetch, budget: createKeepaliveBudget(), now }).send(request());
    expect(result).toEqual({ outcome: 'drop', status: 400, error: 'HTTP 400' });
  });

  it('never rejects, even when fetch throws synchronously', async () => {
    const fetch = ((): never => {
      throw new Error('fetch exploded');
    }) as unknown as typeof globalThis.fetch;
    const budget = createKeepaliveBudget();
    const result: SendResult = await fetchTransport({ fetch, budget, now }).send(request());
    expect(result).toEqual({
      outcome: 'retry',
      status: 0,
      error: 'Error: fetch exploded',
      countsAsAttempt: false,
    });
    expect(budget.inFlightBytes).toBe(0);
  });

  it('never rejects when fetch throws a non-Error or resolves to something that is not a Response', async () => {
    const throwsString = (() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw 'offline';
    }) as unknown as typeof globalThis.fetch;
    await expect(
      fetchTransport({ fetch: throwsString, budget: createKeepaliveBudget(), now }).send(request()),
    ).resolves.toEqual({ outcome: 'retry', status: 0, error: 'offline', countsAsAttempt: false });
    const { fetch: junk } = fakeFetch(() => undefined as unknown as Response);
    await expect(
      fetchTransport({ fetch: junk, budget: createKeepaliveBudget(), now }).send(request()),
    ).resolves.toMatchObject({ outcome: 'retry', status: 0, countsAsAttempt: false });
  });
});
