import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeNative } from '../../src/telemetry/encoders/native.js';
import { gzip } from '../../src/telemetry/gzip.js';
import type { Payload } from '../../src/telemetry/outbox.js';
import { decodeBytes } from '../../src/testing/decode.js';

const T0 = Date.UTC(2026, 10, 29, 9, 26, 53, 589);
const T0_NANOS = `${T0}000000`;
const TRACE = '5b8efff798038103d269b633813fc60c';
const SPAN = 'eee19b7ec3c1b174';
const PARENT = 'eee19b7ec3c1b173';
const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const payload: Payload = {
  sessionId: 'session-42',
  resource: { app: 'quiz', version: '1.4.0' },
  logs: [
    {
      timestamp: T0,
      level: 'info',
      message: 'checkout.started',
      context: { cart: 3 },
      url: 'https://a.example/pay',
    },
    {
      timestamp: T0 + 1,
      level: 'error',
      message: 'card declined',
      context: {},
      traceId: TRACE,
      spanId: SPAN,
      exception: {
        type: 'PaymentError',
        message: 'card declined',
        stack: 'PaymentError: card declined\n    at pay',
      },
    },
  ],
  traces: [
    {
      timestamp: T0,
      traceId: TRACE,
      spanId: SPAN,
      name: 'pay',
      duration: 12.5,
      attributes: { provider: 'card' },
      status: 'error',
    },
  ],
  metrics: [{ timestamp: T0, name: 'cart.size', value: 3, labels: { currency: 'EUR' } }],
};
const native = encodeNative({ batchId: 'b1', batch: payload }, { sentAt: T0 + 5 });

describe('decodeBytes: native', () => {
  it('turns the client’s own native body into records with batch, session and resource', async () => {
    const out = await decodeBytes(bytes(native));
    expect(out.error).toBeUndefined();
    expect(out.encoding).toBeUndefined();
    expect(out.json).toEqual(JSON.parse(native));
    const d = out.decoded!;
    expect(d).toMatchObject({ format: 'native', batchId: 'b1', dedupeKey: 'native:b1' });
    const common = {
      format: 'native',
      batchId: 'b1',
      sessionId: 'session-42',
      resource: { app: 'quiz', version: '1.4.0' },
    };
    expect(d.logs).toEqual([
      {
        ...common,
        timestamp: new Date(T0).toISOString(),
        level: 'info',
        message: 'checkout.started',
        context: { cart: 3 },
        attributes: { cart: 3 },
        url: 'https://a.example/pay',
      },
      expect.objectContaining({
        level: 'error',
        traceId: TRACE,
        exception: {
          type: 'PaymentError',
          message: 'card declined',
          stack: 'PaymentError: card declined\n    at pay',
        },
      }),
    ]);
    expect(d.metrics).toEqual([
      {
        ...common,
        timestamp: new Date(T0).toISOString(),
        name: 'cart.size',
        value: 3,
        labels: { currency: 'EUR' },
        attributes: { currency: 'EUR' },
      },
    ]);
    expect(d.traces).toEqual([
      expect.objectContaining({
        ...common,
        name: 'pay',
        traceId: TRACE,
        spanId: SPAN,
        duration: 12.5,
        status: 'error',
        attributes: { provider: 'card' },
      }),
    ]);
  });

  it('gunzips a body compressed as the client does (CompressionStream), by header or by magic bytes', async () => {
    const zipped = (await gzip(native))!;
    expect(zipped[0]).toBe(0x1f);
    for (const header of ['gzip', undefined]) {
      const out = await decodeBytes(zipped, header);
      expect(out.encoding).toBe('gzip');
      expect(out.text).toBe(native);
      expect(out.decoded?.logs.map((l) => l.message)).toEqual(['checkout.started', 'card declined']);
    }
  });

  it('reports what it cannot decode instead of throwing', async () => {
    expect((await decodeBytes(bytes('not json'))).error).toMatch(/^not JSON/);
    expect((await decodeBytes(bytes('{"hello":1}'))).error).toBe('not a native, OTLP or PostHog body');
    const broken = gzipSync('x').subarray(0, 12);
    expect((await decodeBytes(broken, 'gzip')).error).toMatch(/^gunzip failed/);
  });
});

const resource = {
  attributes: [
    { key: 'service.name', value: { stringValue: 'quiz' } },
    { key: 'service.version', value: { stringValue: '1.4.0' } },
    { key: 'session.id', value: { stringValue: 'session-42' } },
    { key: 'deployment.environment', value: { stringValue: 'test' } },
  ],
};
const scope = { name: 'pwa-telemetry', version: '0.1.0' };

describe('decodeBytes: OTLP/HTTP JSON', () => {
  it('maps resourceLogs → logs: severity, body, semantic-convention attributes, int64 strings, hex ids', async () => {
    const body = {
      resourceLogs: [
        {
          resource,
          scopeLogs: [
            {
              scope,
              logRecords: [
                {
                  timeUnixNano: T0_NANOS,
                  severityNumber: 9,
                  severityText: 'INFO',
                  body: { stringValue: 'checkout.started' },
                  attributes: [
                    { key: 'cart', value: { intValue: '3' } },
                    { key: 'big', value: { intValue: '9007199254740993' } },
                    { key: 'ratio', value: { doubleValue: 0.5 } },
                    { key: 'ok', value: { boolValue: true } },
                    {
                      key: 'tags',
                      value: { arrayValue: { values: [{ stringValue: 'a' }, { intValue: 2 }] } },
                    },
                    {
                      key: 'nested',
                      value: { kvlistValue: { values: [{ key: 'k', value: { stringValue: 'v' } }] } },
                    },
                    { key: 'url.full', value: { stringValue: 'https://a.example/pay' } },
                  ],
                },
                {
                  timeUnixNano: T0_NANOS,
                  severityNumber: 17,
                  body: { stringValue: 'card declined' },
                  traceId: TRACE.toUpperCase(),
                  // base64 of the 8 span-id bytes: a common encoder bug, decoded to the hex meant.
                  spanId: Buffer.from(SPAN, 'hex').toString('base64'),
                  attributes: [
                    { key: 'exception.type', value: { stringValue: 'PaymentError' } },
                    { key: 'exception.message', value: { stringValue: 'card declined' } },
                    { key: 'exception.stacktrace', value: { stringValue: 'PaymentError: card declined' } },
                  ],
                },
                { timeUnixNano: T0_NANOS, severityNumber: 13, body: { stringValue: 'slow' } },
                { timeUnixNano: T0_NANOS, severityNumber: 5, body: { stringValue: 'dbg' } },
              ],
            },
          ],
        },
      ],
    };
    const text = JSON.stringify(body);
    const out = await decodeBytes(bytes(text));
    const d = out.decoded!;
    expect(d.format).toBe('otlp');
    expect(d.batchId).toBeUndefined();
    expect(d.dedupeKey).toBe(`otlp:${text}`);
    const context = {
      cart: 3,
      big: '9007199254740993',
      ratio: 0.5,
      ok: true,
      tags: ['a', 2],
      nested: { k: 'v' },
    };
    expect(d.logs[0]).toEqual({
      format: 'otlp',
      sessionId: 'session-42',
      resource: { app: 'quiz', version: '1.4.0', 'deployment.environment': 'test' },
      timestamp: new Date(T0).toISOString(),
      level: 'info',
      message: 'checkout.started',
      context,
      attributes: context,
      url: 'https://a.example/pay',
    });
    expect(d.logs[1]).toMatchObject({
      level: 'error',
      traceId: TRACE,
      spanId: SPAN,
      context: {},
      exception: { type: 'PaymentError', message: 'card declined', stack: 'PaymentError: card declined' },
    });
    expect(d.logs.map((l) => l.level)).toEqual(['info', 'error', 'warn', 'debug']);
  });

  it('maps resourceSpans → traces: duration from nanosecond strings, parent, status, kind-free attributes', async () => {
    const body = {
      resourceSpans: [
        {
          resource,
          scopeSpans: [
            {
              scope,
              spans: [
                {
                  traceId: TRACE,
                  spanId: SPAN,
                  parentSpanId: PARENT,
                  name: 'HTTP GET',
                  kind: 3,
                  // 12.345678 ms later, beyond what a double of nanoseconds since 1970 can hold exactly.
                  startTimeUnixNano: T0_NANOS,
                  endTimeUnixNano: `${T0 + 12}345678`,
                  attributes: [{ key: 'http.status_code', value: { intValue: '200' } }],
                  status: { code: 2 },
                },
                {
                  traceId: TRACE,
                  spanId: PARENT,
                  name: 'root',
                  startTimeUnixNano: 1,
                  endTimeUnixNano: 1000001,
                  status: {},
                },
              ],
            },
          ],
        },
      ],
    };
    const d = (await decodeBytes(gzipSync(JSON.stringify(body)), 'gzip')).decoded!;
    expect(d.traces[0]).toEqual({
      format: 'otlp',
      sessionId: 'session-42',
      resource: { app: 'quiz', version: '1.4.0', 'deployment.environment': 'test' },
      timestamp: new Date(T0).toISOString(),
      traceId: TRACE,
      spanId: SPAN,
      parentSpanId: PARENT,
      name: 'HTTP GET',
      duration: 12.345678,
      attributes: { 'http.status_code': 200 },
      status: 'error',
    });
    expect(d.traces[1]).toMatchObject({ name: 'root', duration: 1 });
    expect(d.traces[1]).not.toHaveProperty('status');
    expect(d.traces[1]).not.toHaveProperty('parentSpanId');
  });

  it('maps resourceMetrics → one metric per data point: gauge asDouble, sum asInt string, histogram sum', async () => {
    const point = (value: object, label: string) => ({
      timeUnixNano: T0_NANOS,
      attributes: [{ key: 'rating', value: { stringValue: label } }],
      ...value,
    });
    const body = {
      resourceMetrics: [
        {
          resource,
          scopeMetrics: [
            {
              scope,
              metrics: [
                {
                  name: 'web_vital_lcp',
                  gauge: {
                    dataPoints: [point({ asDouble: 1250.5 }, 'good'), point({ asDouble: 4100 }, 'poor')],
                  },
                },
                {
                  name: 'clicks',
                  sum: {
                    aggregationTemporality: 2,
                    isMonotonic: true,
                    dataPoints: [point({ asInt: '7' }, 'x')],
                  },
                },
                {
                  name: 'latency',
                  histogram: { aggregationTemporality: 2, dataPoints: [point({ count: '2', sum: 30 }, 'y')] },
                },
              ],
            },
          ],
        },
      ],
    };
    const d = (await decodeBytes(bytes(JSON.stringify(body)))).decoded!;
    expect(d.metrics.map((m) => [m.name, m.value, m.labels])).toEqual([
      ['web_vital_lcp', 1250.5, { rating: 'good' }],
      ['web_vital_lcp', 4100, { rating: 'poor' }],
      ['clicks', 7, { rating: 'x' }],
      ['latency', 30, { rating: 'y' }],
    ]);
    expect(d.metrics[0]).toMatchObject({
      timestamp: new Date(T0).toISOString(),
      sessionId: 'session-42',
      attributes: { rating: 'good' },
    });
  });
});

describe('decodeBytes: PostHog /batch/', () => {
  const common = {
    app: 'quiz',
    version: '1.4.0',
    $lib: 'pwa-telemetry',
    $session_id: 'session-42',
    $process_person_profile: false,
  };
  const at = new Date(T0).toISOString();
  const body = {
    api_key: 'phc_key',
    sent_at: at,
    batch: [
      {
        event: 'log',
        distinct_id: 'session-42',
        uuid: 'u1',
        timestamp: at,
        properties: {
          ...common,
          cart: 3,
          level: 'warn',
          message: 'slow checkout',
          $current_url: 'https://a.example/pay',
        },
      },
      {
        event: '$exception',
        distinct_id: 'session-42',
        uuid: 'u2',
        timestamp: at,
        properties: {
          ...common,
          level: 'error',
          message: 'card declined',
          $exception_type: 'PaymentError',
          $exception_message: 'card declined',
          $exception_stack_trace: 'PaymentError: card declined',
          trace_id: TRACE,
          span_id: SPAN,
        },
      },
      {
        event: 'span',
        distinct_id: 'session-42',
        uuid: 'u3',
        timestamp: at,
        properties: {
          ...common,
          provider: 'card',
          span_name: 'pay',
          duration_ms: 12.5,
          trace_id: TRACE,
          span_id: SPAN,
          parent_span_id: PARENT,
          status: 'ok',
        },
      },
      {
        event: 'metric',
        distinct_id: 'session-42',
        uuid: 'u4',
        timestamp: at,
        properties: { ...common, currency: 'EUR', metric_name: 'cart.size', metric_value: 3 },
      },
      // posthog-js's own shapes: a custom event and an exception with $exception_list.
      {
        event: 'checkout.started',
        distinct_id: 'user-1',
        uuid: 'u5',
        timestamp: at,
        properties: { $session_id: 's2', plan: 'pro' },
      },
      {
        event: '$exception',
        distinct_id: 'user-1',
        uuid: 'u6',
        timestamp: at,
        properties: { $exception_list: [{ type: 'TypeError', value: 'x is undefined' }] },
      },
    ],
  };

  it('maps log, $exception, span, metric and any other event back to records, gzip too', async () => {
    const d = (await decodeBytes(gzipSync(JSON.stringify(body)))).decoded!;
    expect(d.format).toBe('posthog');
    expect(d.dedupeKey).toBe('posthog:u1,u2,u3,u4,u5,u6');
    const res = { app: 'quiz', version: '1.4.0' };
    expect(d.logs[0]).toEqual({
      format: 'posthog',
      timestamp: at,
      sessionId: 'session-42',
      resource: res,
      level: 'warn',
      message: 'slow checkout',
      context: { cart: 3 },
      attributes: { cart: 3 },
      url: 'https://a.example/pay',
    });
    expect(d.logs[1]).toMatchObject({
      level: 'error',
      message: 'card declined',
      traceId: TRACE,
      spanId: SPAN,
      context: {},
      exception: { type: 'PaymentError', message: 'card declined', stack: 'PaymentError: card declined' },
    });
    expect(d.logs[2]).toMatchObject({
      level: 'info',
      message: 'checkout.started',
      sessionId: 's2',
      context: { plan: 'pro', event: 'checkout.started' },
    });
    expect(d.logs[3]).toMatchObject({
      level: 'error',
      message: 'x is undefined',
      exception: { type: 'TypeError', message: 'x is undefined' },
    });
    expect(d.traces).toEqual([
      {
        format: 'posthog',
        timestamp: at,
        sessionId: 'session-42',
        resource: res,
        traceId: TRACE,
        spanId: SPAN,
        parentSpanId: PARENT,
        name: 'pay',
        duration: 12.5,
        status: 'ok',
        attributes: { provider: 'card' },
      },
    ]);
    expect(d.metrics).toEqual([
      {
        format: 'posthog',
        timestamp: at,
        sessionId: 'session-42',
        resource: res,
        name: 'cart.size',
        value: 3,
        labels: { currency: 'EUR' },
        attributes: { currency: 'EUR' },
      },
    ]);
  });
});
