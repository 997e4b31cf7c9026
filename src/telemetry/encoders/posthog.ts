/**
 * `pwa-telemetry/posthog`: every record as a PostHog event in one `POST <host>/batch/`
 * (`{ api_key, batch[], sent_at }`). Logs, metrics and spans become `log`, `metric` and `span` events;
 * exceptions become `$exception` with the `$exception_*` properties PostHog classifies them by.
 */
import { KINDS, type JsonValue } from '../records.js';
import type { EncodableBatch, EncodeContext, EncodedRequest, Encoder } from './encoder.js';
import { eventUuid } from './uuid.js';

export type { EncodableBatch, EncodeContext, EncodedRequest, Encoder } from './encoder.js';

export interface PosthogEncoderOptions {
  /** The PostHog ingestion host, e.g. `https://eu.i.posthog.com` (`/batch/` is appended). */
  endpoint: string;
}

export interface PosthogEvent {
  event: string;
  distinct_id: string;
  properties: { [key: string]: JsonValue | undefined };
  timestamp: string;
  uuid: string;
}

const iso = (ms: number): string =>
  new Date(Number.isFinite(ms) && Math.abs(ms) <= 8.64e15 ? ms : 0).toISOString();

/** The `batch[]` events of one stored batch, in kind order (logs, traces, metrics), then its drops. */
export function posthogEvents({ batchId, batch }: EncodableBatch, sentAt: number): PosthogEvent[] {
  // The daily anonymous id where there is one: PostHog then counts a user per day, never joined across days.
  const distinctId = batch.anonymousId || batch.sessionId || 'anonymous';
  const { app, version, ...rest } = batch.resource;
  const common = {
    ...rest,
    app,
    version,
    $lib: 'pwa-telemetry',
    $session_id: batch.sessionId || distinctId,
    // The distinct id is anonymous and short-lived, not a person: don't make a person profile for each.
    $process_person_profile: false,
  };
  const events: PosthogEvent[] = [];
  const push = (
    kind: string,
    i: number,
    event: string,
    timestamp: number,
    properties: PosthogEvent['properties'],
  ) =>
    events.push({
      event,
      distinct_id: distinctId,
      properties,
      timestamp: iso(timestamp),
      // Stable per event, so a resent batch carries the same uuids and PostHog can dedupe it.
      uuid: eventUuid(`${batchId}/${kind}/${i}`),
    });

  batch.logs.forEach((log, i) => {
    const ex = log.exception;
    const own = {
      level: log.level,
      message: log.message,
      $current_url: log.url,
      trace_id: log.traceId,
      span_id: log.spanId,
    };
    if (ex) {
      // The guide's convention: user properties win over the `$exception_*` ones.
      push('logs', i, '$exception', log.timestamp, {
        ...common,
        ...own,
        $exception_message: ex.message,
        $exception_type: ex.type,
        $exception_stack_trace: ex.stack,
        $exception_person: distinctId,
        ...log.context,
      });
    } else push('logs', i, 'log', log.timestamp, { ...common, ...log.context, ...own });
  });
  batch.traces.forEach((span, i) =>
    push('traces', i, 'span', span.timestamp, {
      ...common,
      ...span.attributes,
      span_name: span.name,
      duration_ms: span.duration,
      trace_id: span.traceId,
      span_id: span.spanId,
      parent_span_id: span.parentSpanId,
      status: span.status,
    }),
  );
  batch.metrics.forEach((metric, i) =>
    push('metrics', i, 'metric', metric.timestamp, {
      ...common,
      ...metric.labels,
      metric_name: metric.name,
      metric_value: metric.value,
    }),
  );
  // What the client dropped before this batch, so the loss shows in PostHog too.
  if (batch.dropped && Object.keys(batch.dropped).length)
    push('dropped', 0, 'telemetry_dropped', sentAt, {
      ...common,
      ...batch.dropped,
    });
  return events;
}

export function posthogEncoder({ endpoint }: PosthogEncoderOptions): Encoder {
  const url = `${endpoint.replace(/\/+$/, '')}/batch/`;
  return {
    format: 'posthog',
    encode(entry: EncodableBatch, context: EncodeContext): EncodedRequest[] {
      const events = posthogEvents(entry, context.sentAt);
      const { batch } = entry;
      if (!events.length) return [];
      const body = JSON.stringify({
        api_key: context.token ?? '',
        batch: events,
        sent_at: iso(context.sentAt),
      });
      return [
        {
          url,
          body,
          headers: {},
          // The key is in the body, so an unload send needs no preflight with a safelisted type
          // (posthog-js sends text/plain too); PostHog parses the body as JSON either way.
          contentType: context.unloading ? 'text/plain;charset=UTF-8' : 'application/json',
          kinds: KINDS.filter((kind) => batch[kind].length > 0),
          count: events.length,
        },
      ];
    },
  };
}
