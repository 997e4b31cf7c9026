import { describe, expect, it } from 'vitest';
import { posthogEncoder, posthogEvents } from '../../../src/telemetry/encoders/posthog.js';
import { eventUuid } from '../../../src/telemetry/encoders/uuid.js';
import { emptyItems } from '../../../src/telemetry/records.js';
import { mixedBatch, mixedPayload, RESOURCE, SESSION, SPAN, T0, TRACE } from './fixtures.js';

const encoder = posthogEncoder({ endpoint: 'https://eu.i.posthog.com/' });
const ctx = { sentAt: T0 + 1000, token: 'phc_test' };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('posthogEncoder: bytes on the wire', () => {
  it('one POST to /batch/ with api_key, sent_at and one event per record', () => {
    const batch = {
      ...mixedBatch(),
      batch: { ...mixedPayload(), traces: [], metrics: [], logs: mixedPayload().logs.slice(1, 2) },
    };
    const [request, ...rest] = encoder.encode(batch, ctx);
    expect(rest).toEqual([]);
    const uuid = eventUuid(`${batch.batchId}/logs/0`);
    expect(request).toEqual({
      url: 'https://eu.i.posthog.com/batch/',
      contentType: 'application/json',
      headers: {},
      kinds: ['logs'],
      count: 1,
      body:
        '{"api_key":"phc_test","batch":[{"event":"log","distinct_id":"session-42","properties":' +
        '{"app":"quiz","version":"1.2.3","$lib":"pwa-telemetry","$session_id":"session-42",' +
        '"$process_person_profile":false,"level":"debug","message":"tick"},' +
        `"timestamp":"2025-03-14T09:26:53.589Z","uuid":"${uuid}"}],"sent_at":"2025-03-14T09:26:54.589Z"}`,
    });
  });

  it('exceptions are $exception events with the guide properties; user properties win', () => {
    const events = posthogEvents(mixedBatch(), T0);
    const ex = events.find((e) => e.event === '$exception')!;
    expect(ex.properties).toMatchObject({
      $exception_message: 'boom',
      $exception_type: 'TypeError',
      $exception_stack_trace: 'TypeError: boom\n    at submit (app.js:1:2)',
      $exception_person: SESSION,
      trace_id: TRACE,
      span_id: SPAN,
      where: 'submit',
    });
    const batch = mixedBatch();
    batch.batch.logs[3]!.context = { $exception_type: 'Custom' };
    expect(posthogEvents(batch, T0).find((e) => e.event === '$exception')!.properties.$exception_type).toBe(
      'Custom',
    );
  });

  it('logs, spans and metrics become log, span and metric events in kind order', () => {
    const events = posthogEvents(mixedBatch(), T0);
    expect(events.map((e) => e.event)).toEqual([
      'log',
      'log',
      'log',
      '$exception',
      'span',
      'span',
      'span',
      'metric',
      'metric',
      'metric',
      'metric',
    ]);
    expect(events[5]!.properties).toMatchObject({
      span_name: 'HTTP GET',
      duration_ms: 123.5,
      parent_span_id: SPAN,
      status: 'ok',
      'http.status_code': 200,
    });
    expect(events[7]!.properties).toMatchObject({ metric_name: 'LCP', metric_value: 1234.5, rating: 'good' });
    expect(events[0]!.properties).toMatchObject({
      $current_url: 'https://app.example.com/quiz',
      topic: 'Math',
    });
  });

  it('event uuids are valid, distinct, and the same when the batch is sent again', () => {
    const uuids = (sentAt: number) =>
      (
        JSON.parse(encoder.encode(mixedBatch(), { ...ctx, sentAt })[0]!.body) as { batch: { uuid: string }[] }
      ).batch.map((e) => e.uuid);
    const first = uuids(ctx.sentAt);
    const again = uuids(ctx.sentAt + 60_000);
    expect(first).toEqual(again);
    expect(new Set(first).size).toBe(first.length);
    for (const uuid of first) expect(uuid).toMatch(UUID);
    const other = posthogEvents({ ...mixedBatch(), batchId: 'other' }, T0).map((e) => e.uuid);
    expect(other.filter((u) => first.includes(u))).toEqual([]);
  });

  it('unload sends use a CORS-safelisted content type (the key is in the body)', () => {
    const [request] = encoder.encode(mixedBatch(), { ...ctx, unloading: true });
    expect(request!.contentType).toBe('text/plain;charset=UTF-8');
    expect(request!.headers).toEqual({});
    expect(JSON.parse(request!.body)).toMatchObject({ api_key: 'phc_test' });
  });

  it('what the client dropped before the batch becomes a telemetry_dropped event', () => {
    const batch = mixedBatch();
    batch.batch.dropped = { queue_full: 3, rejected: 1 };
    expect(posthogEvents(batch, T0 + 5).at(-1)).toMatchObject({
      event: 'telemetry_dropped',
      timestamp: new Date(T0 + 5).toISOString(),
      properties: { queue_full: 3, rejected: 1, $session_id: SESSION },
    });
    expect(posthogEvents(mixedBatch(), T0).map((e) => e.event)).not.toContain('telemetry_dropped');
  });

  it('sends nothing for an empty batch', () => {
    expect(
      encoder.encode(
        { batchId: 'e', batch: { sessionId: SESSION, resource: RESOURCE, ...emptyItems() } },
        ctx,
      ),
    ).toEqual([]);
  });
});

describe('posthogEncoder: identities', () => {
  it('uses the daily anonymous id as distinct_id and keeps the session as $session_id', () => {
    const [request] = encoder.encode(
      {
        batchId: 'b1',
        batch: {
          ...emptyItems(),
          sessionId: 'session-42',
          anonymousId: 'anon-1',
          resource: { app: 'quiz', version: '1.2.3' },
          logs: [{ timestamp: T0, level: 'info', message: 'm', context: {} }],
        },
      },
      ctx,
    );
    const body = JSON.parse(request!.body) as {
      batch: { distinct_id: string; properties: Record<string, unknown> }[];
    };
    expect(body.batch[0]!.distinct_id).toBe('anon-1');
    expect(body.batch[0]!.properties.$session_id).toBe('session-42');
  });
});
