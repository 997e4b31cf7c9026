import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTelemetry } from '../../src/telemetry/client.js';
import { instrumentFetch, type FetchOptions } from '../../src/instrumentation/fetch.js';
import { ENDPOINT, cleanups, sent, wiredClient } from './helpers.js';

const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/;

const after = cleanups();
let realFetch: typeof fetch;

/** What the underlying fetch was asked to send: the request as the browser would build it. */
interface Received {
  request: Request;
  init: RequestInit | undefined;
}
let received: Received[];
let answer: (request: Request) => Promise<Response>;

/** Stands in for the browser's fetch: records the effective request and answers with `answer`. */
const underlying = (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
  const request = new Request(input, init);
  received.push({ request, init });
  return answer(request);
};

beforeEach(() => {
  realFetch = globalThis.fetch;
  globalThis.fetch = underlying;
  received = [];
  answer = () => Promise.resolve(new Response('{}', { status: 201 }));
});
afterEach(async () => {
  await after.run();
  globalThis.fetch = realFetch;
});

function setup(options: FetchOptions = {}) {
  const client = wiredClient();
  after.add(client.shutdown);
  after.add(instrumentFetch(client.telemetry, { endpoint: ENDPOINT, ...options }));
  return client;
}

const header = (i = 0) => received[i]!.request.headers.get('traceparent');

describe('instrumentFetch', () => {
  it('records a span with method, status code and the URL without query string or fragment', async () => {
    const client = setup();
    const response = await fetch('/api/quiz?token=secret-1#answer', { method: 'post', body: '{}' });
    expect(response.status).toBe(201);

    const { traces, json } = await sent(client);
    expect(traces).toEqual([
      expect.objectContaining({
        name: 'HTTP POST',
        attributes: {
          'http.method': 'POST',
          'http.url': 'http://localhost:3000/api/quiz',
          'http.status_code': 201,
        },
      }),
    ]);
    expect(json).not.toContain('secret-1');
  });

  it('sends a W3C traceparent on same-origin requests that names the recorded span', async () => {
    const client = setup();
    await fetch('/api/quiz');
    expect(header()).toMatch(TRACEPARENT);
    const { traces } = await sent(client);
    expect(header()).toBe(`00-${traces[0]!.traceId}-${traces[0]!.spanId}-01`);
  });

  it('sends no traceparent cross-origin unless the URL is allowlisted', async () => {
    setup({ propagateTo: ['https://api.example.com/', /^https:\/\/[a-z]+\.cdn\.test\//g] });
    await fetch('https://other.example.net/data');
    await fetch('https://api.example.com/v1/quiz');
    await fetch('https://img.cdn.test/a');
    await fetch('https://img.cdn.test/b');
    expect(received.map((_, i) => header(i) !== null)).toEqual([false, true, true, true]);
  });

  it('records a span but no header for a cross-origin request', async () => {
    const client = setup();
    await fetch('https://other.example.net/data?q=1');
    expect(header()).toBeNull();
    expect((await sent(client)).traces[0]!.attributes['http.url']).toBe('https://other.example.net/data');
  });

  it('never overrides a traceparent the caller set, in any header form', async () => {
    setup();
    const mine = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await fetch('/a', { headers: { traceparent: mine } });
    await fetch('/b', { headers: [['Traceparent', mine]] });
    await fetch('/c', { headers: new Headers({ TRACEPARENT: mine }) });
    await fetch(new Request('/d', { headers: { traceparent: mine } }));
    expect(received.map((_, i) => header(i))).toEqual([mine, mine, mine, mine]);
  });

  it('handles fetch(Request), fetch(URL) and fetch(string, init) with every header form', async () => {
    const client = setup();
    const callerHeaders = new Headers({ 'X-Quiz': 'math' });
    await fetch(
      new Request('http://localhost:3000/r?x=1', { method: 'PUT', headers: { 'X-From': 'request' } }),
    );
    await fetch(new URL('http://localhost:3000/u?y=2'));
    await fetch('/h', { headers: callerHeaders });
    await fetch('/a', { headers: [['X-Pair', '1']] });
    await fetch('/o', { headers: { 'X-Object': '1' } });

    const seen = received.map(({ request }) => [
      request.method,
      request.url,
      request.headers.get('x-from') ??
        request.headers.get('x-quiz') ??
        request.headers.get('x-pair') ??
        request.headers.get('x-object'),
      TRACEPARENT.test(request.headers.get('traceparent') ?? ''),
    ]);
    expect(seen).toEqual([
      ['PUT', 'http://localhost:3000/r?x=1', 'request', true],
      ['GET', 'http://localhost:3000/u?y=2', null, true],
      ['GET', 'http://localhost:3000/h', 'math', true],
      ['GET', 'http://localhost:3000/a', '1', true],
      ['GET', 'http://localhost:3000/o', '1', true],
    ]);
    // The caller's Headers object is copied, never changed.
    expect(callerHeaders.has('traceparent')).toBe(false);
    const { traces } = await sent(client);
    expect(traces.map((t) => [t.name, t.attributes['http.url']])).toEqual([
      ['HTTP PUT', 'http://localhost:3000/r'],
      ['HTTP GET', 'http://localhost:3000/u'],
      ['HTTP GET', 'http://localhost:3000/h'],
      ['HTTP GET', 'http://localhost:3000/a'],
      ['HTTP GET', 'http://localhost:3000/o'],
    ]);
  });

  it('lets init headers replace a Request’s own, as fetch does, and still adds traceparent', async () => {
    setup();
    await fetch(new Request('/r', { headers: { 'X-Old': '1' } }), { headers: { 'X-New': '1' } });
    const { headers } = received[0]!.request;
    expect([
      headers.get('x-old'),
      headers.get('x-new'),
      TRACEPARENT.test(headers.get('traceparent') ?? ''),
    ]).toEqual([null, '1', true]);
  });

  it('adds no traceparent to a no-cors request, whose non-safelisted headers browsers drop', async () => {
    setup();
    await fetch('/pixel', { mode: 'no-cors' });
    expect(received[0]!.init?.headers).toBeUndefined();
  });

  it('records no span for the telemetry endpoint or ignored URLs, and sends them unchanged', async () => {
    const client = setup({ ignoreUrls: ['http://localhost:3000/health', /\/sockjs\//] });
    const init = { method: 'POST', body: '{"logs":[]}' };
    await fetch(ENDPOINT, init);
    await fetch('/ingest?retry=1');
    await fetch('/health');
    await fetch('/sockjs/info');
    expect(received.map((r) => r.request.headers.get('traceparent'))).toEqual([null, null, null, null]);
    expect(received[0]!.init).toBe(init);
    expect((await sent(client)).traces).toEqual([]);
  });

  it('rethrows a network error unchanged and records it on the span', async () => {
    const client = setup();
    const failure = new TypeError('Failed to fetch');
    answer = () => Promise.reject(failure);
    await expect(fetch('/api/quiz')).rejects.toBe(failure);

    const { traces } = await sent(client);
    expect(traces[0]!.attributes).toEqual({
      'http.method': 'GET',
      'http.url': 'http://localhost:3000/api/quiz',
      error: 'TypeError: Failed to fetch',
    });
  });

  it('passes the original Response object through', async () => {
    setup();
    const response = new Response('hi', { status: 404 });
    answer = () => Promise.resolve(response);
    expect(await fetch('/missing')).toBe(response);
  });

  it('sends no traceparent when telemetry is disabled, as its span ids are all zeros', async () => {
    const disabled = createTelemetry({ sessionEvents: false });
    after.add(instrumentFetch(disabled));
    await fetch('/api/quiz');
    expect(header()).toBeNull();
  });

  it('restores the exact original fetch on uninstall', () => {
    const client = wiredClient();
    after.add(client.shutdown);
    const uninstall = instrumentFetch(client.telemetry);
    expect(globalThis.fetch).not.toBe(underlying);
    uninstall();
    expect(globalThis.fetch).toBe(underlying);
  });

  it('treats a second install as a no-op: one span per request', async () => {
    const client = setup();
    const wrapped = globalThis.fetch;
    const second = instrumentFetch(client.telemetry);
    expect(globalThis.fetch).toBe(wrapped);
    second();
    expect(globalThis.fetch).toBe(wrapped);
    await fetch('/once');
    expect((await sent(client)).traces).toHaveLength(1);
  });

  it('leaves a later wrapper in place on uninstall and stops recording', async () => {
    const client = wiredClient();
    after.add(client.shutdown);
    const uninstall = instrumentFetch(client.telemetry);
    const ours = globalThis.fetch;
    const theirs: typeof fetch = (input, init) => ours(input, init);
    globalThis.fetch = theirs;
    uninstall();
    expect(globalThis.fetch).toBe(theirs);
    await fetch('/after');
    expect(header()).toBeNull();
    expect((await sent(client)).traces).toEqual([]);
  });
});
