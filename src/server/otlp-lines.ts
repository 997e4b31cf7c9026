/**
 * Stored JSONL lines (and accepted native batches) → OTLP/HTTP JSON bodies, through the same mapping
 * as the client's encoder (`otlpResource`: `session.id` and `anonymous.id` in the resource). A stored
 * line is a native item with ISO (or epoch-ms) `timestamp` plus `session_id`, `anonymous_id`,
 * `batch_id` and `received_at`; it has no resource unless the store kept one, so the caller gives a
 * fallback app and version.
 */
import {
  isSendableSpan,
  otlpEnvelope,
  otlpResource,
  type OtlpResource,
  type ResourceGroup,
} from '../telemetry/encoders/otlp-map.js';
import type {
  Attributes,
  ExceptionInfo,
  Kind,
  LogLevel,
  LogRecord,
  MetricRecord,
  Resource,
  SpanRecord,
} from '../telemetry/records.js';
import { otlpMetricName } from './dropped.js';

export type Line = Record<string, unknown>;
type AnyRecord = LogRecord | SpanRecord | MetricRecord;

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const num = (v: unknown, fallback = 0): number =>
  typeof v === 'number' && Number.isFinite(v) ? v : fallback;

/** Epoch ms of a line: its `timestamp` (ISO or number), else when it was received, else 0. */
export function lineTime(line: Line): number {
  for (const v of [line.timestamp, line.received_at]) {
    const ms = typeof v === 'number' ? v : typeof v === 'string' ? Date.parse(v) : NaN;
    if (Number.isFinite(ms)) return ms;
  }
  return 0;
}

/**
 * A subject id of a line: its own field (`session_id` / `anonymous_id`), else its resource's attribute
 * (`session.id` / `anonymous.id`: an OTLP item spooled by the forwarder, or a line stored before the
 * store copied them), the way lines.ts fills those fields in.
 */
export function lineSubject(line: Line, field: 'session_id' | 'anonymous_id'): string | undefined {
  const own = str(line[field]);
  if (own) return own;
  const resource = line.resource;
  return isObject(resource)
    ? str(resource[field === 'session_id' ? 'session.id' : 'anonymous.id'])
    : undefined;
}

/** The resource a line was sent with, when stored, else the fallback. */
export function lineResource(line: Line, fallback: Resource): Resource {
  const r = line.resource;
  if (!isObject(r)) return fallback;
  const out: Resource = { app: str(r.app) ?? fallback.app, version: str(r.version) ?? fallback.version };
  for (const [k, v] of Object.entries(r)) if (typeof v === 'string' && !(k in out)) out[k] = v;
  return out;
}

export function lineToRecord(kind: Kind, line: Line): AnyRecord {
  const timestamp = lineTime(line);
  if (kind === 'logs') {
    const ex = line.exception;
    return {
      timestamp,
      level: (str(line.level) ?? 'info') as LogLevel,
      message: str(line.message) ?? '',
      context: (isObject(line.context) ? line.context : {}) as Attributes,
      url: str(line.url),
      traceId: str(line.traceId),
      spanId: str(line.spanId),
      exception: isObject(ex) ? (ex as unknown as ExceptionInfo) : undefined,
    };
  }
  if (kind === 'traces') {
    return {
      timestamp,
      traceId: str(line.traceId) ?? '',
      spanId: str(line.spanId) ?? '',
      parentSpanId: str(line.parentSpanId),
      name: str(line.name) ?? '',
      duration: num(line.duration),
      attributes: (isObject(line.attributes) ? line.attributes : {}) as Attributes,
      status: line.status === 'ok' || line.status === 'error' ? line.status : undefined,
    };
  }
  return {
    timestamp,
    // The drop report's points, stored or spooled, leave under the client encoder's name.
    name: otlpMetricName(str(line.name) ?? ''),
    value: num(line.value, NaN),
    labels: (isObject(line.labels) ? line.labels : {}) as Attributes,
  };
}

/**
 * One OTLP export body for `kind` from lines of any sessions and resources (grouped, in first-seen
 * order) and how many items it carries, or undefined when nothing is sendable.
 */
export function otlpBodyFromLines(
  kind: Kind,
  lines: readonly Line[],
  fallback: Resource,
): { body: string; count: number } | undefined {
  let count = 0;
  const groups = new Map<string, { resource: OtlpResource; items: AnyRecord[] }>();
  for (const line of lines) {
    const record = lineToRecord(kind, line);
    // JSON cannot carry a non-finite gauge value: such a point is not sendable.
    if (kind === 'metrics' && !Number.isFinite((record as MetricRecord).value)) continue;
    if (kind === 'traces' && !isSendableSpan(record as SpanRecord)) continue;
    count++;
    const session = lineSubject(line, 'session_id');
    const anonymous = lineSubject(line, 'anonymous_id');
    // Stored lines rarely carry a resource: key on it only when present (this loop is export's hot path).
    const subject = `${session ?? ''}\n${anonymous ?? ''}`;
    const key = isObject(line.resource) ? `${subject}\n${JSON.stringify(line.resource)}` : subject;
    let group = groups.get(key);
    if (!group) {
      // The client's own mapping, so a collector sees the same resource whichever way a batch came.
      group = { resource: otlpResource(lineResource(line, fallback), session, anonymous), items: [] };
      groups.set(key, group);
    }
    group.items.push(record);
  }
  const body = otlpEnvelope(kind, [...groups.values()] as ResourceGroup<typeof kind>[]);
  return body && { body: JSON.stringify(body), count };
}
