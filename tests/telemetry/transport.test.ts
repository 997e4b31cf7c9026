import { gunzipSync, gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
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

/** A fetch response that never comes, rejecting like fetch when the request is aborted. */
function hangUntilAborted(signal: AbortSignal | null | undefined): Promise<Response> {
  return new Promise((_resolve, reject) => {
    signal?.addEventListener('abort', () =>
      reject(new DOMException('The operation was aborted.', 'AbortError')),
    );
  });
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
  afterEach(() => {
    vi.useRealTimers();
  });

  it('POSTs the body without keepalive, with its headers and a timeout signal, and reports the result', async () => {
    const { fetch, calls } = fakeFetch(() => new Response('{"status":"ok"}', { status: 200 }));
    const result = await fetchTransport({ fetch, now }).send(
      request({ headers: { 'X-Telemetry-Token': 'secret' } }),
    );
    expect(result).toEqual({ outcome: 'ok', status: 200 });
    expect(calls).toHaveLength(1);
    const { url, init } = calls[0]!;
    expect(url).toBe('https://telemetry.example.com/ingest');
    expect(init.method).toBe('POST');
    expect(init.body).toBe('{"batchId":"b1","logs":[]}');
    expect(init.keepalive).toBe(false);
    expect(init.credentials).toBe('omit');
    expect(init.headers).toEqual({ 'Content-Type': 'application/json', 'X-Telemetry-Token': 'secret' });
    expect(init.signal).toBeInstanceOf(AbortSignal);
  });

  it('uses keepalive only when the page is unloading, whatever the body size', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    const transport = fetchTransport({ fetch, now });
    await transport.send(request({ unloading: false }));
    await transport.send(request({ unloading: true }));
    await transport.send(request({ unloading: false, body: 'x'.repeat(100) }));
    await transport.send(request({ unloading: true, body: 'x'.repeat(70_000) }));
    expect(calls.map((c) => c.init.keepalive)).toEqual([false, true, false, true]);
  });

  it('sends an unloading request with the given content type, no extra headers and no signal', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    const result = await fetchTransport({ fetch, now }).send(
      request({ unloading: true, contentType: 'text/plain;charset=UTF-8', headers: {} }),
    );
    expect(result).toEqual({ outcome: 'ok', status: 204 });
    const { init } = calls[0]!;
    expect(init.headers).toEqual({ 'Content-Type': 'text/plain;charset=UTF-8' });
    expect(init.keepalive).toBe(true);
    expect(init.credentials).toBe('omit');
    expect(init.signal).toBeUndefined();
  });

  it('sends a gzip body as binary with Content-Encoding: gzip', async () => {
    const text = JSON.stringify({ batchId: 'b1', logs: [{ message: 'x'.repeat(2_000) }] });
    const zipped = new Uint8Array(gzipSync(text));
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    await fetchTransport({ fetch, now }).send(request({ body: zipped, encoding: 'gzip' }));
    const { init } = calls[0]!;
    expect(init.headers).toEqual({ 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' });
    expect(init.body).toBeInstanceOf(Uint8Array);
    expect(gunzipSync(init.body as Uint8Array).toString('utf8')).toBe(text);
  });

  it('sends no Content-Encoding for a text body', async () => {
    const { fetch, calls } = fakeFetch(() => new Response(null, { status: 204 }));
    await fetchTransport({ fetch, now }).send(request());
    expect(Object.keys(calls[0]!.init.headers as Record<string, string>)).not.toContain('Content-Encoding');
  });

  it('aborts a request that hangs after timeoutMs and reports a retry with status 0 that does not count', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { fetch } = fakeFetch((call) => hangUntilAborted(call.init.signal));
    let result: SendResult | undefined;
    void fetchTransport({ fetch, now, timeoutMs: 5_000 })
      .send(request())
      .then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(4_999);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toMatchObject({ outcome: 'retry', status: 0, countsAsAttempt: false });
    expect(result!.outcome === 'retry' && result!.error).toMatch(/^AbortError/);
  });

  it('times out after 10 s by default', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { fetch } = fakeFetch((call) => hangUntilAborted(call.init.signal));
    let result: SendResult | undefined;
    void fetchTransport({ fetch, now })
      .send(request())
      .then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(9_999);
    expect(result).toBeUndefined();
    await vi.advanceTimersByTimeAsync(1);
    expect(result).toMatchObject({ outcome: 'retry', status: 0 });
  });

  it('never aborts an unloading send (it must outlive the page)', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let signal: AbortSignal | null | undefined;
    const { fetch } = fakeFetch((call) => ((signal = call.init.signal), hangUntilAborted(call.init.signal)));
    let result: SendResult | undefined;
    void fetchTransport({ fetch, now, timeoutMs: 1_000 })
      .send(request({ unloading: true }))
      .then((r) => (result = r));
    await vi.advanceTimersByTimeAsync(60_000);
    expect(result).toBeUndefined();
    expect(signal).toBeUndefined();
  });

  it('clears its timer once the server has answered', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let signal: AbortSignal | null | undefined;
    const { fetch } = fakeFetch((call) => ((signal = call.init.signal), new Response(null, { status: 204 })));
    await fetchTransport({ fetch, now, timeoutMs: 1_000 }).send(request());
    expect(vi.getTimerCount()).toBe(0);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(signal!.aborted).toBe(false);
  });

  it('passes the server’s Retry-After on, relative to the injected clock', async () => {
    const { fetch } = fakeFetch(
      () =>
        new Response(null, { status: 429, headers: { 'Retry-After': new Date(NOW + 42_000).toUTCString() } }),
    );
    expect(await fetchTransport({ fetch, now }).send(request())).toEqual({
      outcome: 'retry',
      status: 429,
      error: 'HTTP 429',
      retryAfterMs: 42_000,
      countsAsAttempt: false,
    });
  });

  it('reports a 503 with Retry-After seconds as a retry that does not count, and without as one that does', async () => {
    const answers = [
      new Response(null, { status: 503, headers: { 'Retry-After': '9' } }),
      new Response(null, { status: 503 }),
    ];
    const { fetch } = fakeFetch((_call, i) => answers[i]!);
    const transport = fetchTransport({ fetch, now });
    expect(await transport.send(request())).toEqual({
      outcome: 'retry',
      status: 503,
      error: 'HTTP 503',
      retryAfterMs: 9_000,
      countsAsAttempt: false,
    });
    expect(await transport.send(request())).toEqual({
      outcome: 'retry',
      status: 503,
      error: 'HTTP 503',
      countsAsAttempt: true,
    });
  });

  it('reports a 4xx refusal as a drop', async () => {
    const { fetch } = fakeFetch(() => new Response('{"error":"bad shape"}', { status: 400 }));
    expect(await fetchTransport({ fetch, now }).send(request())).toEqual({
      outcome: 'drop',
      status: 400,
      error: 'HTTP 400',
    });
  });

  it('turns a network error into one retry with status 0 that does not count as an attempt, with no second try', async () => {
    const { fetch, calls } = fakeFetch(() => {
      throw new TypeError('Failed to fetch');
    });
    for (const unloading of [false, true]) {
      expect(await fetchTransport({ fetch, now }).send(request({ unloading }))).toEqual({
        outcome: 'retry',
        status: 0,
        error: 'TypeError: Failed to fetch',
        countsAsAttempt: false,
      });
    }
    expect(calls).toHaveLength(2);
  });

  it('never rejects, even when fetch throws synchronously', async () => {
    const fetch = ((): never => {
      throw new Error('fetch exploded');
    }) as unknown as typeof globalThis.fetch;
    const result: SendResult = await fetchTransport({ fetch, now }).send(request());
    expect(result).toEqual({
      outcome: 'retry',
      status: 0,
      error: 'Error: fetch exploded',
      countsAsAttempt: false,
    });
  });

  it('never rejects when fetch throws a non-Error or resolves to something that is not a Response', async () => {
    const throwsString = (() => {
      // eslint-disable-next-line @typescript-eslint/only-throw-error
      throw 'offline';
    }) as unknown as typeof globalThis.fetch;
    await expect(fetchTransport({ fetch: throwsString, now }).send(request())).resolves.toEqual({
      outcome: 'retry',
      status: 0,
      error: 'offline',
      countsAsAttempt: false,
    });
    const { fetch: junk } = fakeFetch(() => undefined as unknown as Response);
    await expect(fetchTransport({ fetch: junk, now }).send(request())).resolves.toMatchObject({
      outcome: 'retry',
      status: 0,
      countsAsAttempt: false,
    });
  });

  it('uses the fetch of when it was created, not one an app installs later', async () => {
    const original = globalThis.fetch;
    try {
      globalThis.fetch = fakeFetch(() => new Response(null, { status: 201 })).fetch;
      const transport = fetchTransport({ now });
      globalThis.fetch = fakeFetch(() => new Response(null, { status: 500 })).fetch;
      expect(await transport.send(request())).toEqual({ outcome: 'ok', status: 201 });
    } finally {
      globalThis.fetch = original;
    }
  });
});
