import { describe, expect, it } from 'vitest';
import {
  encodeNative,
  toNativeBody,
  type EncodableBatch,
  type EncodeContext,
} from '../../src/telemetry/encoders/native.js';
import type { Payload } from '../../src/telemetry/outbox.js';
import { validateBody } from '../../src/server/validate.js';

const T0 = Date.UTC(2025, 2, 14, 9, 26, 53, 589);

function payload(overrides: Partial<Payload> = {}): Payload {
  return {
    sessionId: 'session-42',
    resource: { app: 'quiz', version: '1.4.0' },
    logs: [
      {
        timestamp: T0,
        level: 'info',
        message: 'Quiz started',
        context: { topic: 'Math' },
        url: 'https://app.example.com/quiz',
      },
      {
        timestamp: T0 + 1,
        level: 'error',
        message: 'boom',
        context: {},
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: 'b7ad6b7169203331',
        exception: { type: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at x' },
      },
    ],
    traces: [
      {
        timestamp: T0 + 2,
        traceId: '0af7651916cd43dd8448eb211c80319c',
        spanId: '00f067aa0ba902b7',
        parentSpanId: 'b7ad6b7169203331',
        name: 'GET /api/questions',
        duration: 123.4,
        attributes: { 'http.status_code': 200 },
        status: 'ok',
      },
    ],
    metrics: [{ timestamp: T0 + 3, name: 'LCP', value: 1834.5, labels: { rating: 'good' } }],
    ...overrides,
  };
}

const BATCH_ID = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
const batch = (overrides: Partial<Payload> = {}): EncodableBatch => ({
  batchId: BATCH_ID,
  batch: payload(overrides),
});

const ctx: EncodeContext = { sentAt: T0 + 60_000 };
const parse = (text: string): Record<string, unknown> => JSON.parse(text) as Record<string, unknown>;

describe('native encoder', () => {
  it('encodes the exact native wire format with ISO timestamps', () => {
    expect(parse(encodeNative(batch(), ctx))).toEqual({
      batchId: BATCH_ID,
      sentAt: '2025-03-14T09:27:53.589Z',
      resource: { app: 'quiz', version: '1.4.0' },
      session: { id: 'session-42' },
      logs: [
        {
          timestamp: '2025-03-14T09:26:53.589Z',
          level: 'info',
          message: 'Quiz started',
          context: { topic: 'Math' },
          url: 'https://app.example.com/quiz',
        },
        {
          timestamp: '2025-03-14T09:26:53.590Z',
          level: 'error',
          message: 'boom',
          context: {},
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: 'b7ad6b7169203331',
          exception: { type: 'TypeError', message: 'boom', stack: 'TypeError: boom\n    at x' },
        },
      ],
      traces: [
        {
          timestamp: '2025-03-14T09:26:53.591Z',
          traceId: '0af7651916cd43dd8448eb211c80319c',
          spanId: '00f067aa0ba902b7',
          parentSpanId: 'b7ad6b7169203331',
          name: 'GET /api/questions',
          duration: 123.4,
          attributes: { 'http.status_code': 200 },
          status: 'ok',
        },
      ],
      metrics: [
        { timestamp: '2025-03-14T09:26:53.592Z', name: 'LCP', value: 1834.5, labels: { rating: 'good' } },
      ],
    });
  });

  it('toNativeBody gives the same body as encodeNative parses to', () => {
    expect(JSON.parse(JSON.stringify(toNativeBody(batch(), ctx)))).toEqual(parse(encodeNative(batch(), ctx)));
  });

  it('carries no token, no dropped and no internal fields (sessionId, createdAt) unless present', () => {
    const body = parse(encodeNative(batch(), ctx));
    expect(Object.keys(body).sort()).toEqual([
      'batchId',
      'logs',
      'metrics',
      'resource',
      'sentAt',
      'session',
      'traces',
    ]);
    const direct = toNativeBody(batch(), ctx);
    expect('token' in direct).toBe(false);
    expect('dropped' in direct).toBe(false);
  });

  it('includes the batch’s drop counts when it has them', () => {
    const body = parse(encodeNative(batch({ dropped: { queue_full: 12, expired: 3 } }), ctx));
    expect(body.dropped).toEqual({ queue_full: 12, expired: 3 });
  });

  it('puts the token in the body only when given (unload sends without a custom header)', () => {
    expect(parse(encodeNative(batch(), { ...ctx, token: 's3cret' })).token).toBe('s3cret');
    expect('token' in parse(encodeNative(batch(), { ...ctx, token: undefined }))).toBe(false);
  });

  it('keeps empty kinds as empty arrays', () => {
    const body = toNativeBody(batch({ logs: [], traces: [], metrics: [] }), ctx);
    expect(body).toMatchObject({ logs: [], traces: [], metrics: [] });
  });

  it('does not change the batch it encodes (a retry re-encodes the same stored batch)', () => {
    const b = batch({ dropped: { invalid: 1 } });
    const before = structuredClone(b);
    encodeNative(b, { ...ctx, token: 't' });
    expect(b).toEqual(before);
  });

  it('encodes the same batch with the same batchId each time, so the server can dedupe retries', () => {
    const first = parse(encodeNative(batch(), ctx));
    const retry = parse(encodeNative(batch(), { sentAt: T0 + 120_000 }));
    expect(retry.batchId).toBe(first.batchId);
    expect(retry.sentAt).toBe('2025-03-14T09:28:53.589Z');
    expect(retry.logs).toEqual(first.logs);
  });

  it('never throws on an out-of-range or non-finite timestamp, and still writes ISO strings', () => {
    const iso = /^-?\d{4,6}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
    for (const bad of [NaN, Infinity, -Infinity, 1e20, -1e20, 8.64e15 + 1]) {
      const b = batch({ metrics: [{ timestamp: bad, name: 'x', value: 1, labels: {} }] });
      let text = '';
      expect(() => (text = encodeNative(b, { sentAt: bad }))).not.toThrow();
      const body = parse(text) as { sentAt: string; metrics: { timestamp: string }[] };
      expect(body.sentAt).toMatch(iso);
      expect(body.metrics[0]!.timestamp).toMatch(iso);
    }
    // The largest valid time is kept as it is.
    const edge = parse(encodeNative(batch(), { sentAt: 8.64e15 }));
    expect(edge.sentAt).toBe(new Date(8.64e15).toISOString());
  });

  it('produces a body the ingest server accepts, with drop counts and token', () => {
    const result = validateBody(
      parse(encodeNative(batch({ dropped: { queue_full: 1 } }), { ...ctx, token: 't' })),
    );
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.body.logs).toHaveLength(2);
      expect(result.body.traces).toHaveLength(1);
      expect(result.body.metrics).toHaveLength(1);
    }
  });
});
