import { describe, expect, it } from 'vitest';
import { encodeNative, toNativeBody, type EncodeContext } from '../../src/telemetry/encoders/native.js';
import type { Batch } from '../../src/telemetry/records.js';
import { validateBody } from '../../src/server/validate.js';

const T0 = Date.UTC(2025, 2, 14, 9, 26, 53, 589);

function batch(overrides: Partial<Batch> = {}): Batch {
  return {
    batchId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
    createdAt: T0,
    sessionId: 'session-42',
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

const ctx: EncodeContext = { resource: { app: 'quiz', version: '1.4.0' }, sentAt: T0 + 60_000 };

describe('native encoder', () => {
  it('encodes the exact native wire format with ISO timestamps', () => {
    expect(JSON.parse(encodeNative(batch(), ctx))).toEqual({
      batchId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90',
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

  it('carries no token and no internal fields (createdAt, sessionId) unless asked', () => {
    const body = JSON.parse(encodeNative(batch(), ctx)) as Record<string, unknown>;
    expect(Object.keys(body).sort()).toEqual([
      'batchId',
      'logs',
      'metrics',
      'resource',
      'sentAt',
      'session',
      'traces',
    ]);
    expect('token' in toNativeBody(batch(), ctx)).toBe(false);
  });

  it('puts the token in the body only when given (unload sends without a custom header)', () => {
    const body = JSON.parse(encodeNative(batch(), { ...ctx, token: 's3cret' })) as Record<string, unknown>;
    expect(body.token).toBe('s3cret');
  });

  it('keeps empty kinds as empty arrays', () => {
    const body = toNativeBody(batch({ logs: [], traces: [], metrics: [] }), ctx);
    expect(body).toMatchObject({ logs: [], traces: [], metrics: [] });
  });

  it('does not change the batch it encodes (a retry re-encodes the same stored batch)', () => {
    const b = batch();
    const before = structuredClone(b);
    encodeNative(b, ctx);
    expect(b).toEqual(before);
  });

  it('encodes the same batch with the same batchId each time, so the server can dedupe retries', () => {
    const first = JSON.parse(encodeNative(batch(), ctx)) as { batchId: string };
    const retry = JSON.parse(encodeNative(batch(), { ...ctx, sentAt: T0 + 120_000 })) as { batchId: string };
    expect(retry.batchId).toBe(first.batchId);
  });

  it('never throws on an out-of-range or non-finite timestamp', () => {
    const bad = batch({ metrics: [{ timestamp: NaN, name: 'x', value: 1, labels: {} }] });
    expect(() => encodeNative(bad, { ...ctx, sentAt: 1e20 })).not.toThrow();
    const body = JSON.parse(encodeNative(bad, { ...ctx, sentAt: 1e20 })) as {
      sentAt: string;
      metrics: { timestamp: string }[];
    };
    expect(body.sentAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(body.metrics[0]!.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  it('produces a body the ingest server accepts', () => {
    const result = validateBody(JSON.parse(encodeNative(batch(), { ...ctx, token: 't' })));
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.body.logs).toHaveLength(2);
      expect(result.body.traces).toHaveLength(1);
      expect(result.body.metrics).toHaveLength(1);
    }
  });
});
