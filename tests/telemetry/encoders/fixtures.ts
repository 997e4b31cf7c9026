/** Shared batches for the encoder tests: every kind, nested context, an exception, fractional times. */
import type { EncodableBatch } from '../../../src/telemetry/encoders/encoder.js';
import type { Resource } from '../../../src/telemetry/records.js';

// 2025-03-14T09:26:53.589Z; fractions below are binary-exact (.5, .25) so float rounding cannot differ.
export const T0 = Date.UTC(2025, 2, 14, 9, 26, 53, 589);
export const RESOURCE: Resource = { app: 'quiz', version: '1.2.3' };
export const SESSION = 'session-42';
export const TRACE = '0af7651916cd43dd8448eb211c80319c';
export const SPAN = 'b7ad6b7169203331';

/** A stored batch as the sender hands it to an encoder: its id and its payload. */
export function mixedBatch(): EncodableBatch {
  return { batchId: 'a1b2c3d4e5f60718293a4b5c6d7e8f90', batch: mixedPayload() };
}

export function mixedPayload(): EncodableBatch['batch'] {
  return {
    sessionId: SESSION,
    resource: { ...RESOURCE },
    logs: [
      {
        timestamp: T0,
        level: 'info',
        message: 'Quiz started',
        context: { topic: 'Math', round: 3, ratio: 0.75, ok: true, tags: ['a', 'b'], nested: { deep: 'x' } },
        url: 'https://app.example.com/quiz',
      },
      { timestamp: T0 + 0.5, level: 'debug', message: 'tick', context: {} },
      { timestamp: T0 + 2, level: 'warn', message: 'slow', context: {}, traceId: TRACE, spanId: SPAN },
      {
        timestamp: T0 + 3,
        level: 'error',
        message: 'boom',
        context: { where: 'submit' },
        traceId: TRACE,
        spanId: SPAN,
        exception: {
          type: 'TypeError',
          message: 'boom',
          stack: 'TypeError: boom\n    at submit (app.js:1:2)',
        },
      },
    ],
    traces: [
      {
        timestamp: T0 + 1,
        traceId: TRACE,
        spanId: SPAN,
        name: 'load quiz',
        duration: 250.25,
        attributes: { questions: 10 },
      },
      {
        timestamp: T0 + 4,
        traceId: TRACE,
        spanId: '00f067aa0ba902b7',
        parentSpanId: SPAN,
        name: 'HTTP GET',
        duration: 123.5,
        attributes: {
          'http.method': 'GET',
          'http.url': 'https://api.example.com/q',
          'http.status_code': 200,
        },
        status: 'ok',
      },
      {
        timestamp: T0 + 5,
        traceId: 'ffffffffffffffffffffffffffffffff',
        spanId: '1111111111111111',
        name: 'save',
        duration: 7,
        attributes: {},
        status: 'error',
      },
    ],
    metrics: [
      {
        timestamp: T0 + 6,
        name: 'LCP',
        value: 1234.5,
        labels: { rating: 'good', navigationType: 'navigate' },
      },
      { timestamp: T0 + 7, name: 'CLS', value: 0.05, labels: { rating: 'good' } },
      { timestamp: T0 + 8, name: 'LCP', value: 2900, labels: { rating: 'needs-improvement' } },
      { timestamp: T0 + 9, name: 'answers', value: 3, labels: {} },
    ],
  };
}
