/**
 * Records → OTLP/HTTP JSON (opentelemetry-proto's JSON Protobuf Encoding; PLATFORM.md): hex ids,
 * integer enums, int64 as decimal strings, lowerCamelCase keys. Pure and shared: the client's OTLP
 * encoder and the server's `export --otlp` / `serve --forward-otlp` build their bodies from it.
 */
import type { JsonValue, Kind, LogRecord, MetricRecord, Resource, SpanRecord } from '../records.js';

export type AnyValue =
  | { stringValue: string }
  | { boolValue: boolean }
  | { intValue: string }
  | { doubleValue: number }
  | { arrayValue: { values: AnyValue[] } }
  | { kvlistValue: { values: KeyValue[] } }
  // null: an AnyValue with no value set.
  | Record<string, never>;
export interface KeyValue {
  key: string;
  value: AnyValue;
}
export interface OtlpResource {
  attributes: KeyValue[];
}

/** Instrumentation scope of everything this package sends; the version follows package.json. */
export const SCOPE = { name: 'pwa-telemetry', version: '0.1.0' } as const;

/** Collector paths by kind, relative to its base URL. */
export const OTLP_PATHS: Record<Kind, string> = {
  logs: '/v1/logs',
  traces: '/v1/traces',
  metrics: '/v1/metrics',
};

// SeverityNumber of the OpenTelemetry log data model: DEBUG 5, INFO 9, WARN 13, ERROR 17.
const SEVERITY: Record<string, number> = { debug: 5, info: 9, warn: 13, error: 17 };
// SpanKind (proto numbering): INTERNAL 1, CLIENT 3; StatusCode: OK 1, ERROR 2.
const KIND_INTERNAL = 1;
const KIND_CLIENT = 3;
const TRACE_ID = /^[0-9a-f]{32}$/i;
const SPAN_ID = /^[0-9a-f]{16}$/i;

export function anyValue(value: JsonValue | undefined): AnyValue {
  if (typeof value === 'string') return { stringValue: value };
  if (typeof value === 'boolean') return { boolValue: value };
  if (typeof value === 'number') {
    // int64 travels as a decimal string; an integer past 2^53 is not exact, so it stays a double.
    if (Number.isSafeInteger(value)) return { intValue: String(value) };
    return Number.isFinite(value) ? { doubleValue: value } : { stringValue: String(value) };
  }
  if (Array.isArray(value)) return { arrayValue: { values: value.map(anyValue) } };
  if (value && typeof value === 'object') return { kvlistValue: { values: keyValues(value) } };
  return {};
}

export function keyValues(map: { [key: string]: JsonValue | undefined }): KeyValue[] {
  const out: KeyValue[] = [];
  for (const key of Object.keys(map))
    if (map[key] !== undefined) out.push({ key, value: anyValue(map[key]) });
  return out;
}

/**
 * Epoch ms → nanoseconds as a decimal string, computed as the OpenTelemetry SDK does (whole seconds,
 * then rounded nanoseconds) so both give the same digits; string arithmetic since 2^53 ns is 104 days.
 */
export function nanos(ms: number): string {
  if (!(ms >= 0 && ms < 1e13)) return '0';
  let seconds = Math.trunc(ms / 1000);
  let ns = Math.round((ms % 1000) * 1e6);
  if (ns >= 1e9) {
    seconds += 1;
    ns -= 1e9;
  }
  return seconds === 0 ? String(ns) : `${seconds}${String(ns).padStart(9, '0')}`;
}

/**
 * `service.name` = app, `service.version`, any other resource fields as they are, `session.id` and
 * the daily `anonymous.id`.
 */
export function otlpResource(
  { app, version, ...rest }: Resource,
  sessionId?: string,
  anonymousId?: string,
): OtlpResource {
  return {
    attributes: keyValues({
      'service.name': app,
      'service.version': version,
      ...rest,
      'session.id': sessionId || undefined,
      'anonymous.id': anonymousId || undefined,
    }),
  };
}

export function otlpLog(log: LogRecord): Record<string, unknown> {
  const { exception } = log;
  const attributes = keyValues(log.context);
  // Semantic-convention names win over an app key of the same name (replaced in place). Built as a
  // list, not by spreading the context into a new object: that is the hot spot of `export`.
  const own: [string, JsonValue | undefined][] = [
    ['url.full', log.url],
    // Semantic conventions: "a unique identifier for the log record".
    ['log.record.uid', log.eventId],
    ['exception.type', exception?.type],
    ['exception.message', exception?.message],
    ['exception.stacktrace', exception?.stack],
  ];
  for (const [key, value] of own) {
    if (value === undefined) continue;
    const kv = { key, value: anyValue(value) };
    const at = attributes.findIndex((a) => a.key === key);
    if (at === -1) attributes.push(kv);
    else attributes[at] = kv;
  }
  const out: Record<string, unknown> = {
    timeUnixNano: nanos(log.timestamp),
    severityNumber: SEVERITY[log.level] ?? SEVERITY.info,
    severityText: String(log.level).toUpperCase(),
    body: { stringValue: log.message },
    attributes,
  };
  // A malformed id would make the collector refuse the whole request (400): leave it out instead.
  if (log.traceId && TRACE_ID.test(log.traceId)) out.traceId = log.traceId.toLowerCase();
  if (log.spanId && SPAN_ID.test(log.spanId)) out.spanId = log.spanId.toLowerCase();
  return out;
}

/** False when a span's ids are not W3C hex: it could not be sent without a 400. */
export const isSendableSpan = (span: SpanRecord): boolean =>
  TRACE_ID.test(span.traceId) && SPAN_ID.test(span.spanId);

/** A span, or undefined when it is not sendable. */
export function otlpSpan(span: SpanRecord): Record<string, unknown> | undefined {
  if (!isSendableSpan(span)) return undefined;
  const attributes = span.attributes ?? {};
  const out: Record<string, unknown> = {
    traceId: span.traceId.toLowerCase(),
    spanId: span.spanId.toLowerCase(),
    name: span.name,
    // The fetch instrumentation's spans are outgoing HTTP calls.
    kind: 'http.method' in attributes ? KIND_CLIENT : KIND_INTERNAL,
    startTimeUnixNano: nanos(span.timestamp),
    endTimeUnixNano: nanos(span.timestamp + span.duration),
    attributes: keyValues(attributes),
  };
  if (span.parentSpanId && SPAN_ID.test(span.parentSpanId))
    out.parentSpanId = span.parentSpanId.toLowerCase();
  if (span.status) out.status = { code: span.status === 'error' ? 2 : 1 };
  return out;
}

/** Points as gauges, one metric per name in first-seen order (web vitals included). */
export function otlpMetrics(points: readonly MetricRecord[]): Record<string, unknown>[] {
  const byName = new Map<string, Record<string, unknown>[]>();
  for (const point of points) {
    let list = byName.get(point.name);
    if (!list) byName.set(point.name, (list = []));
    list.push({
      attributes: keyValues(point.labels ?? {}),
      timeUnixNano: nanos(point.timestamp),
      asDouble: point.value,
    });
  }
  return [...byName].map(([name, dataPoints]) => ({ name, gauge: { dataPoints } }));
}

/** Items of one kind under one resource. */
export interface ResourceGroup<K extends Kind> {
  resource: OtlpResource;
  items: KindRecords[K];
}
interface KindRecords {
  logs: readonly LogRecord[];
  traces: readonly SpanRecord[];
  metrics: readonly MetricRecord[];
}

/**
 * The export request body for one kind (`ExportLogsServiceRequest` etc.), or undefined when there is
 * nothing to send: collectors must not get empty envelopes.
 */
export function otlpEnvelope<K extends Kind>(
  kind: K,
  groups: readonly ResourceGroup<K>[],
): object | undefined {
  const out: object[] = [];
  for (const { resource, items } of groups) {
    if (kind === 'logs') {
      const logRecords = (items as readonly LogRecord[]).map(otlpLog);
      if (logRecords.length) out.push({ resource, scopeLogs: [{ scope: SCOPE, logRecords }] });
    } else if (kind === 'traces') {
      const spans = (items as readonly SpanRecord[]).map(otlpSpan).filter((s) => s !== undefined);
      if (spans.length) out.push({ resource, scopeSpans: [{ scope: SCOPE, spans }] });
    } else {
      const metrics = otlpMetrics(items as readonly MetricRecord[]);
      if (metrics.length) out.push({ resource, scopeMetrics: [{ scope: SCOPE, metrics }] });
    }
  }
  if (!out.length) return undefined;
  const key = kind === 'logs' ? 'resourceLogs' : kind === 'traces' ? 'resourceSpans' : 'resourceMetrics';
  return { [key]: out };
}
