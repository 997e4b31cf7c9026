import { describe, expect, it } from 'vitest';
import { otlpEncoder } from '../../../src/telemetry/encoders/otlp.js';
import { anyValue, nanos, otlpEnvelope } from '../../../src/telemetry/encoders/otlp-map.js';
import type { EncodableBatch } from '../../../src/telemetry/encoders/encoder.js';
import { emptyItems, type BatchItems } from '../../../src/telemetry/records.js';
import packageJson from '../../../package.json' with { type: 'json' };
import { SCOPE } from '../../../src/telemetry/encoders/otlp-map.js';
import { otlpProblems } from '../../server/otlp-check.js';
import { mixedBatch, mixedPayload, RESOURCE, SESSION, SPAN, T0, TRACE } from './fixtures.js';

const encoder = otlpEncoder({ endpoint: 'http://localhost:4318/' });
const ctx = { sentAt: T0 };

function only(items: Partial<BatchItems>): EncodableBatch {
  return { batchId: 'b1', batch: { sessionId: SESSION, resource: RESOURCE, ...emptyItems(), ...items } };
}

describe('otlpEncoder: bytes on the wire', () => {
  it('encodes one log exactly', () => {
    const [request, ...rest] = encoder.encode(
      only({
        logs: [
          { timestamp: T0, level: 'warn', message: 'slow', context: { n: 2 }, traceId: TRACE, spanId: SPAN },
        ],
      }),
      ctx,
    );
    expect(rest).toEqual([]);
    expect(request).toEqual({
      url: 'http://localhost:4318/v1/logs',
      contentType: 'application/json',
      headers: {},
      kinds: ['logs'],
      count: 1,
      body:
        '{"resourceLogs":[{"resource":{"attributes":[' +
        '{"key":"service.name","value":{"stringValue":"quiz"}},' +
        '{"key":"service.version","value":{"stringValue":"1.2.3"}},' +
        '{"key":"session.id","value":{"stringValue":"session-42"}}]},' +
        '"scopeLogs":[{"scope":{"name":"pwa-telemetry","version":"0.1.0"},"logRecords":[' +
        '{"timeUnixNano":"1741944413589000000","severityNumber":13,"severityText":"WARN",' +
        '"body":{"stringValue":"slow"},"attributes":[{"key":"n","value":{"intValue":"2"}}],' +
        `"traceId":"${TRACE}","spanId":"${SPAN}"}]}]}]}`,
    });
  });

  it('encodes one span and one gauge point exactly', () => {
    const requests = encoder.encode(
      only({
        traces: [
          { timestamp: T0, traceId: TRACE, spanId: SPAN, name: 'load', duration: 1.5, attributes: {} },
        ],
        metrics: [{ timestamp: T0, name: 'LCP', value: 1200, labels: { rating: 'good' } }],
      }),
      ctx,
    );
    const scope = '{"scope":{"name":"pwa-telemetry","version":"0.1.0"}';
    expect(requests.map((r) => r.body.replace(/^.*?"scope(Spans|Metrics)":\[/, ''))).toEqual([
      `${scope},"spans":[{"traceId":"${TRACE}","spanId":"${SPAN}","name":"load","kind":1,` +
        '"startTimeUnixNano":"1741944413589000000","endTimeUnixNano":"1741944413590500000","attributes":[]}]}]}]}',
      `${scope},"metrics":[{"name":"LCP","gauge":{"dataPoints":[{"attributes":[{"key":"rating","value":` +
        '{"stringValue":"good"}}],"timeUnixNano":"1741944413589000000","asDouble":1200}]}}]}]}]}',
    ]);
    expect(requests.map((r) => r.url)).toEqual([
      'http://localhost:4318/v1/traces',
      'http://localhost:4318/v1/metrics',
    ]);
  });

  it('sends nothing for an empty batch, and no request for a kind without items', () => {
    expect(encoder.encode(only({}), ctx)).toEqual([]);
    expect(encoder.encode(only({ metrics: mixedPayload().metrics }), ctx).map((r) => r.kinds)).toEqual([
      ['metrics'],
    ]);
  });

  it('ids are hex, never base64 (opentelemetry-js #1568); malformed ids are left out, not sent', () => {
    const body = encoder
      .encode(mixedBatch(), ctx)
      .map((r) => r.body)
      .join('');
    expect(body).not.toMatch(/"(traceId|spanId|parentSpanId)":"(?![0-9a-f]{16}")(?![0-9a-f]{32}")/);
    const bad = only({
      logs: [{ timestamp: T0, level: 'info', message: 'm', context: {}, traceId: 'not-hex', spanId: 'AAAA' }],
      traces: [
        { timestamp: T0, traceId: 'x'.repeat(32), spanId: SPAN, name: 'n', duration: 1, attributes: {} },
      ],
    });
    const requests = encoder.encode(bad, ctx);
    expect(requests.map((r) => r.kinds)).toEqual([['logs']]);
    expect(requests[0]!.body).not.toContain('traceId');
    expect(
      otlpEnvelope('traces', [{ resource: { attributes: [] }, items: bad.batch.traces }]),
    ).toBeUndefined();
  });

  it('what the client dropped before the batch travels as a gauge per reason', () => {
    const batch = only({ logs: mixedPayload().logs });
    batch.batch.dropped = { queue_full: 3 };
    const requests = encoder.encode(batch, ctx);
    expect(requests.map((r) => r.kinds)).toEqual([['logs'], ['metrics']]);
    expect(JSON.parse(requests[1]!.body)).toMatchObject({
      resourceMetrics: [
        {
          scopeMetrics: [
            {
              metrics: [
                {
                  name: 'pwa_telemetry.dropped',
                  gauge: {
                    dataPoints: [
                      {
                        attributes: [{ key: 'reason', value: { stringValue: 'queue_full' } }],
                        timeUnixNano: '1741944413589000000',
                        asDouble: 3,
                      },
                    ],
                  },
                },
              ],
            },
          ],
        },
      ],
    });
  });

  it('puts a token in Authorization, but sends no header at all while unloading', () => {
    const withHeaders = otlpEncoder({
      endpoint: 'https://c.example',
      headers: { 'X-Scope-OrgID': 'tenant' },
    });
    const batch = only({ metrics: mixedPayload().metrics });
    expect(withHeaders.encode(batch, { ...ctx, token: 't0k' })[0]!.headers).toEqual({
      'X-Scope-OrgID': 'tenant',
      Authorization: 'Bearer t0k',
    });
    expect(withHeaders.encode(batch, { ...ctx, token: 't0k', unloading: true })[0]!.headers).toEqual({});
  });

  it('exceptions become exception.* attributes; the context cannot shadow them', () => {
    const batch = only({
      logs: [
        {
          timestamp: T0,
          level: 'error',
          message: 'boom',
          context: { 'exception.type': 'spoofed', extra: 1 },
          exception: { type: 'TypeError', message: 'boom', stack: 'at x' },
        },
      ],
    });
    const body = JSON.parse(encoder.encode(batch, ctx)[0]!.body) as {
      resourceLogs: { scopeLogs: { logRecords: { severityNumber: number; attributes: unknown[] }[] }[] }[];
    };
    const record = body.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    expect(record.severityNumber).toBe(17);
    expect(record.attributes).toEqual([
      { key: 'exception.type', value: { stringValue: 'TypeError' } },
      { key: 'extra', value: { intValue: '1' } },
      { key: 'exception.message', value: { stringValue: 'boom' } },
      { key: 'exception.stacktrace', value: { stringValue: 'at x' } },
    ]);
  });
});

describe('what a receiver insists on', () => {
  it('every request of a mixed batch passes the receiver check', () => {
    const requests = encoder.encode(mixedBatch(), ctx);
    for (const r of requests) expect(otlpProblems(new URL(r.url).pathname, JSON.parse(r.body))).toEqual([]);
  });

  it('the check catches base64 ids, number timestamps, string enums and empty envelopes', () => {
    const [logs] = encoder.encode(only({ logs: mixedPayload().logs.slice(2, 3) }), ctx);
    const body = JSON.parse(logs!.body) as {
      resourceLogs: { scopeLogs: { logRecords: Record<string, unknown>[] }[] }[];
    };
    const record = body.resourceLogs[0]!.scopeLogs[0]!.logRecords[0]!;
    record.traceId = Buffer.from(TRACE, 'hex').toString('base64');
    record.timeUnixNano = 1;
    record.severityNumber = 'SEVERITY_NUMBER_WARN';
    expect(otlpProblems('/v1/logs', body)).toHaveLength(3);
    expect(otlpProblems('/v1/logs', { resourceLogs: [] })).toEqual(['empty envelope resourceLogs']);
  });
});

describe('OTLP value mapping', () => {
  it('nanos: decimal strings, exact for ms and binary fractions, 0 for nonsense', () => {
    expect(nanos(T0)).toBe('1741944413589000000');
    expect(nanos(T0 + 0.25)).toBe('1741944413589250000');
    expect(nanos(999.5)).toBe('999500000');
    expect(nanos(0)).toBe('0');
    expect(nanos(-1)).toBe('0');
    expect(nanos(NaN)).toBe('0');
    expect(nanos(Infinity)).toBe('0');
  });

  it('anyValue: int64 as strings, unsafe integers and non-finite numbers stay representable', () => {
    expect(anyValue(42)).toEqual({ intValue: '42' });
    expect(anyValue(2 ** 60)).toEqual({ doubleValue: 2 ** 60 });
    expect(anyValue(null)).toEqual({});
    expect(anyValue([1, 'a'])).toEqual({ arrayValue: { values: [{ intValue: '1' }, { stringValue: 'a' }] } });
  });

  it('scope version follows package.json', () => {
    expect(SCOPE.version).toBe(packageJson.version);
  });
});

describe('otlpEncoder: identities', () => {
  it('sends the anonymous id as resource attribute anonymous.id and an event id as log.record.uid', () => {
    const [request] = encoder.encode(
      {
        batchId: 'b1',
        batch: {
          ...emptyItems(),
          sessionId: SESSION,
          anonymousId: 'anon-1',
          resource: RESOURCE,
          logs: [{ timestamp: T0, level: 'info', message: 'm', context: {}, eventId: 'abcd1234.7' }],
        },
      },
      ctx,
    );
    const body = JSON.parse(request!.body) as {
      resourceLogs: {
        resource: { attributes: { key: string; value: unknown }[] };
        scopeLogs: { logRecords: { attributes: { key: string; value: unknown }[] }[] }[];
      }[];
    };
    const [group] = body.resourceLogs;
    expect(group!.resource.attributes).toContainEqual({
      key: 'anonymous.id',
      value: { stringValue: 'anon-1' },
    });
    expect(group!.scopeLogs[0]!.logRecords[0]!.attributes).toContainEqual({
      key: 'log.record.uid',
      value: { stringValue: 'abcd1234.7' },
    });
  });
});
