import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createTelemetry } from '../../src/telemetry/client.js';
import type { SendRequest } from '../../src/telemetry/transport.js';
import { memoryTransport } from '../../src/testing/index.js';

const ENDPOINT = 'https://telemetry.example/ingest';

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('memoryTransport with a real client', () => {
  it('records what the client sent, decoded from its bytes', async () => {
    const transport = memoryTransport();
    const t = createTelemetry({
      sessionEvents: false,
      endpoint: ENDPOINT,
      token: 'tok',
      app: 'quiz',
      version: '2.0.0',
      transport,
    });
    t.log('info', 'checkout.started', { cart: 3 });
    t.metric('cart.size', 3, { currency: 'EUR' });
    const span = t.startSpan('pay', { provider: 'card' });
    span.end({}, 'error');
    t.exception(new TypeError('card declined'), { step: 'pay' });
    await t.flush();
    await t.shutdown();

    expect(transport.requests).toHaveLength(1);
    const [request] = transport.requests;
    expect(request).toMatchObject({
      url: ENDPOINT,
      method: 'POST',
      status: 200,
      headers: { 'content-type': 'application/json', 'x-telemetry-token': 'tok' },
    });
    expect(request!.batchId).toMatch(/^[0-9a-f]{32}$/);
    expect(transport.bodies).toEqual([JSON.parse(request!.text)]);
    expect(transport.bodies[0]!.batchId).toBe(request!.batchId);

    expect(transport.logs.map((l) => [l.level, l.message, l.context])).toEqual([
      ['info', 'checkout.started', { cart: 3 }],
      ['error', 'card declined', { step: 'pay' }],
    ]);
    expect(transport.logs[0]).toMatchObject({
      format: 'native',
      batchId: request!.batchId,
      sessionId: transport.bodies[0]!.session.id,
      resource: { app: 'quiz', version: '2.0.0' },
    });
    expect(transport.exceptions).toHaveLength(1);
    expect(transport.exceptions[0]!.exception).toMatchObject({ type: 'TypeError', message: 'card declined' });
    expect(transport.metrics).toEqual([
      expect.objectContaining({ name: 'cart.size', value: 3, labels: { currency: 'EUR' } }),
    ]);
    expect(transport.traces).toEqual([
      expect.objectContaining({
        name: 'pay',
        traceId: span.traceId,
        spanId: span.spanId,
        status: 'error',
        attributes: { provider: 'card' },
      }),
    ]);
  });

  it('gunzips the compressed bodies the client sends over 1 KiB', async () => {
    const transport = memoryTransport();
    const t = createTelemetry({ sessionEvents: false, endpoint: ENDPOINT, transport, batchSize: 1000 });
    for (let i = 0; i < 50; i++) t.log('info', `event ${i}`, { i, padding: 'x'.repeat(40) });
    await t.flush();
    await t.shutdown();

    const zipped = transport.requests.filter((r) => r.encoding === 'gzip');
    expect(zipped.length).toBeGreaterThan(0);
    for (const r of zipped) {
      expect([r.bytes[0], r.bytes[1]]).toEqual([0x1f, 0x8b]);
      expect(r.headers['content-encoding']).toBe('gzip');
      expect(r.bytes.length).toBeLessThan(r.text.length);
    }
    expect(transport.logs.map((l) => l.message)).toEqual(Array.from({ length: 50 }, (_, i) => `event ${i}`));
  });

  it('a 503 is retried, and the batch counts once in logs while requests keep both sends', async () => {
    const transport = memoryTransport({ respond: (_request, index) => (index === 0 ? 503 : undefined) });
    const t = createTelemetry({
      sessionEvents: false,
      endpoint: ENDPOINT,
      transport,
      retryBaseMs: 1,
      retryMaxMs: 5,
    });
    t.log('info', 'retried');
    await t.flush();
    const log = await transport.waitFor('logs', (l) => l.message === 'retried');
    await t.shutdown();

    expect(transport.requests.map((r) => r.status)).toEqual([503, 200]);
    expect(transport.requests[1]!.batchId).toBe(transport.requests[0]!.batchId);
    expect(log.batchId).toBe(transport.requests[0]!.batchId);
    expect(transport.logs.map((l) => l.message)).toEqual(['retried']);
    expect(t.status()).toMatchObject({ sent: 1, queued: 0 });
  });

  it('honours Retry-After from a 429 and drops a batch answered 400, as the real transport classifies them', async () => {
    const throttled = memoryTransport({
      respond: (_r, i) => (i === 0 ? { status: 429, headers: { 'Retry-After': '0' } } : 200),
    });
    const t1 = createTelemetry({
      sessionEvents: false,
      endpoint: ENDPOINT,
      transport: throttled,
      retryBaseMs: 60_000,
    });
    t1.log('info', 'throttled');
    await t1.flush();
    // With a 60 s backoff, only Retry-After: 0 can bring the retry this soon.
    await throttled.waitFor('logs', (l) => l.message === 'throttled', { timeout: 2_000 });
    await t1.shutdown();
    expect(throttled.requests.map((r) => r.status)).toEqual([429, 200]);

    const refused = memoryTransport({ respond: 400 });
    const t2 = createTelemetry({ sessionEvents: false, endpoint: ENDPOINT, transport: refused });
    t2.log('info', 'refused');
    await t2.flush();
    await t2.shutdown();
    expect(refused.requests.map((r) => r.status)).toEqual([400]);
    expect(refused.requests[0]!.decoded?.logs.map((l) => l.message)).toEqual(['refused']);
    expect(refused.logs).toEqual([]);
    expect(t2.status()).toMatchObject({ sent: 0, dropped: { rejected: 1 } });
  });

  it('status 0 is a network error: the batch is kept and sent again', async () => {
    const transport = memoryTransport({ respond: (_r, i) => (i < 2 ? 0 : 200) });
    const t = createTelemetry({
      sessionEvents: false,
      endpoint: ENDPOINT,
      transport,
      retryBaseMs: 1,
      retryMaxMs: 5,
      maxAttempts: 1,
    });
    t.log('info', 'offline first');
    await t.flush();
    // Network errors do not count as attempts: maxAttempts 1 does not drop it.
    await transport.waitFor('logs', (l) => l.message === 'offline first', { timeout: 3_000 });
    await t.shutdown();
    expect(transport.requests.map((r) => r.status)).toEqual([0, 0, 200]);
  });
});

describe('memoryTransport on its own', () => {
  const request = (body: string | Uint8Array, encoding?: 'gzip'): SendRequest => ({
    url: ENDPOINT,
    body,
    ...(encoding ? { encoding } : {}),
    headers: {},
    contentType: 'application/json',
    unloading: false,
  });
  const native = JSON.stringify({
    batchId: 'b1',
    sentAt: '2026-11-29T00:00:00.000Z',
    resource: { app: 'a', version: '1' },
    session: { id: 's' },
    logs: [{ timestamp: '2026-11-29T00:00:00.000Z', level: 'info', message: 'once', context: {} }],
    traces: [],
    metrics: [],
  });

  it('dedupes a batch acknowledged twice by batchId, as the ingest server does', async () => {
    const transport = memoryTransport();
    expect(await transport.send(request(native))).toEqual({ outcome: 'ok', status: 200 });
    expect(await transport.send(request(native))).toEqual({ outcome: 'ok', status: 200 });
    expect(transport.requests).toHaveLength(2);
    expect(transport.logs.map((l) => l.message)).toEqual(['once']);
    transport.clear();
    expect([transport.requests.length, transport.logs.length, transport.bodies.length]).toEqual([0, 0, 0]);
  });

  it('gunzips with node:zlib where DecompressionStream is missing', async () => {
    vi.stubGlobal('DecompressionStream', undefined);
    const transport = memoryTransport();
    await transport.send(request(new Uint8Array(gzipSync(native)), 'gzip'));
    expect(transport.requests[0]!.text).toBe(native);
    expect(transport.logs.map((l) => l.message)).toEqual(['once']);
  });

  it('waitFor resolves on a later item and times out with what it saw', async () => {
    const transport = memoryTransport();
    const later = transport.waitFor('logs', (l) => l.message === 'once');
    await transport.send(request(native));
    await expect(later).resolves.toMatchObject({ message: 'once', batchId: 'b1' });

    const started = Date.now();
    const error = await transport
      .waitFor('logs', (l) => l.message === 'never', { timeout: 50 })
      .catch((e: unknown) => e);
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).message).toBe(
      [
        "waitFor('logs') timed out after 50 ms: none of the 1 logs seen matched.",
        'Last 1:',
        '  info "once"',
        '1 telemetry request(s), answered: 200. Only requests answered 2xx count.',
      ].join('\n'),
    );
    // The stack points at the test, not at a timer.
    expect((error as Error).stack).toContain('memory-transport.test.ts');
  });

  it('never rejects, even when respond throws', async () => {
    const transport = memoryTransport({
      respond: () => {
        throw new Error('bad respond');
      },
    });
    expect(await transport.send(request(native))).toMatchObject({
      outcome: 'retry',
      status: 0,
      error: 'Error: bad respond',
    });
  });
});
