/**
 * OTLP/HTTP JSON (`ExportLogsServiceRequest`, `…TraceServiceRequest`, `…MetricsServiceRequest`) →
 * captured records. Follows the JSON Protobuf Encoding (PLATFORM.md): int64 as decimal strings or
 * numbers, enums as integers, hex ids (base64 ids, which some encoders wrongly send, are turned into
 * hex too, so a test sees the id the app meant).
 */
import type { Attributes, ExceptionInfo, JsonValue, LogLevel } from '../telemetry/records.js';
import type { CapturedLog, CapturedMetric, CapturedSpan, DecodedBody } from './records.js';

type Loose = Record<string, unknown>;

const isRecord = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Loose[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** True when `json` is an OTLP export request of any signal. */
export function isOtlpBody(json: unknown): json is Record<string, unknown> {
  return (
    isRecord(json) &&
    (Array.isArray(json.resourceLogs) ||
      Array.isArray(json.resourceSpans) ||
      Array.isArray(json.resourceMetrics))
  );
}

/** An int64 (decimal string or number) as a number; NaN when it is neither. */
function int64(v: unknown): number {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && /^-?\d+$/.test(v.trim()) ? Number(v) : NaN;
}

/** Nanoseconds (int64) → BigInt, exactly: 2^53 ns is only 104 days. */
function nanos(v: unknown): bigint | undefined {
  if (typeof v === 'number' && Number.isFinite(v)) return BigInt(Math.round(v));
  if (typeof v === 'string' && /^\d+$/.test(v.trim())) return BigInt(v.trim());
  return undefined;
}

const iso = (ns: bigint | undefined): string =>
  new Date(ns === undefined ? 0 : Number(ns / 1_000_000n)).toISOString();

/** Milliseconds between two nanosecond instants, keeping sub-millisecond precision. */
const millisBetween = (start: bigint | undefined, end: bigint | undefined): number =>
  start === undefined || end === undefined ? 0 : Number(end - start) / 1e6;

/** A trace or span id as lower-case hex: hex as it is, base64 (proto3's default for bytes) converted. */
export function hexId(v: unknown, bytes: number): string | undefined {
  if (typeof v !== 'string' || v === '') return undefined;
  if (new RegExp(`^[0-9a-f]{${bytes * 2}}$`, 'i').test(v)) return v.toLowerCase();
  try {
    const raw = atob(v);
    if (raw.length === bytes)
      return Array.from(raw, (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
  } catch {
    // neither hex nor base64: keep it as it came, so the test shows what was sent
  }
  return v;
}

/** An `AnyValue` → plain JSON. */
export function anyValue(v: unknown): JsonValue {
  if (!isRecord(v)) return null;
  if ('stringValue' in v) return str(v.stringValue) ?? null;
  if ('boolValue' in v) return v.boolValue === true;
  if ('intValue' in v) {
    const n = int64(v.intValue);
    // Past 2^53 a number is not exact: keep the decimal string.
    return Number.isSafeInteger(n) ? n : String(v.intValue);
  }
  if ('doubleValue' in v) return typeof v.doubleValue === 'number' ? v.doubleValue : Number(v.doubleValue);
  if ('arrayValue' in v) return list(isRecord(v.arrayValue) ? v.arrayValue.values : []).map(anyValue);
  if ('kvlistValue' in v) return keyValues(isRecord(v.kvlistValue) ? v.kvlistValue.values : []);
  if ('bytesValue' in v) return str(v.bytesValue) ?? null;
  return null;
}

/** A `KeyValue[]` → an object. */
export function keyValues(v: unknown): Attributes {
  const out: Attributes = {};
  for (const kv of list(v)) if (typeof kv.key === 'string') out[kv.key] = anyValue(kv.value);
  return out;
}

/** Resource attributes in native terms: `service.name` → app, `service.version` → version. */
function resourceOf(resource: unknown): { resource: Attributes; sessionId?: string } {
  const {
    'service.name': app,
    'service.version': version,
    'session.id': session,
    ...rest
  } = keyValues(isRecord(resource) ? resource.attributes : []);
  const out: Attributes = { ...rest };
  if (app !== undefined) out.app = app;
  if (version !== undefined) out.version = version;
  return { resource: out, ...(typeof session === 'string' ? { sessionId: session } : {}) };
}

/** SeverityNumber ranges of the OpenTelemetry log data model; TRACE counts as debug, FATAL as error. */
function level(record: Loose): LogLevel {
  const n = int64(record.severityNumber);
  if (n >= 17) return 'error';
  if (n >= 13) return 'warn';
  if (n >= 9) return 'info';
  if (n >= 1) return 'debug';
  const text = str(record.severityText)?.toLowerCase() ?? '';
  if (/^(error|fatal|critical)/.test(text)) return 'error';
  if (text.startsWith('warn')) return 'warn';
  return text.startsWith('debug') || text.startsWith('trace') ? 'debug' : 'info';
}

function decodeLog(
  record: Loose,
  common: Omit<CapturedLog, 'level' | 'message' | 'context' | 'attributes' | 'timestamp'>,
): CapturedLog {
  const all = keyValues(record.attributes);
  // Semantic-convention attributes go back to the native fields they came from.
  const {
    'url.full': url,
    'exception.type': exType,
    'exception.message': exMessage,
    'exception.stacktrace': exStack,
    ...context
  } = all;
  const body = anyValue(record.body);
  const log: CapturedLog = {
    ...common,
    timestamp: iso(nanos(record.timeUnixNano) ?? nanos(record.observedTimeUnixNano)),
    level: level(record),
    message: typeof body === 'string' ? body : JSON.stringify(body),
    context,
    attributes: context,
  };
  if (typeof url === 'string') log.url = url;
  const traceId = hexId(record.traceId, 16);
  const spanId = hexId(record.spanId, 8);
  if (traceId) log.traceId = traceId;
  if (spanId) log.spanId = spanId;
  if (exType !== undefined || exMessage !== undefined) {
    const exception: ExceptionInfo = {
      type: typeof exType === 'string' ? exType : 'Error',
      message:
        typeof exMessage === 'string' ? exMessage : exMessage === undefined ? '' : JSON.stringify(exMessage),
    };
    if (typeof exStack === 'string') exception.stack = exStack;
    log.exception = exception;
  }
  return log;
}

function decodeSpan(
  span: Loose,
  common: Pick<CapturedSpan, 'format' | 'resource' | 'sessionId'>,
): CapturedSpan {
  const start = nanos(span.startTimeUnixNano);
  const attributes = keyValues(span.attributes);
  const out: CapturedSpan = {
    ...common,
    timestamp: iso(start),
    traceId: hexId(span.traceId, 16) ?? '',
    spanId: hexId(span.spanId, 8) ?? '',
    name: str(span.name) ?? '',
    duration: millisBetween(start, nanos(span.endTimeUnixNano)),
    attributes,
  };
  const parent = hexId(span.parentSpanId, 8);
  if (parent) out.parentSpanId = parent;
  // StatusCode: UNSET 0, OK 1, ERROR 2.
  const code = isRecord(span.status) ? int64(span.status.code) : NaN;
  if (code === 1) out.status = 'ok';
  if (code === 2) out.status = 'error';
  return out;
}

/** Gauge and sum points as they are; a histogram or summary point as its sum. */
function decodeMetric(
  metric: Loose,
  common: Pick<CapturedMetric, 'format' | 'resource' | 'sessionId'>,
): CapturedMetric[] {
  const name = str(metric.name) ?? '';
  const data = [metric.gauge, metric.sum, metric.histogram, metric.exponentialHistogram, metric.summary].find(
    isRecord,
  );
  return list(data?.dataPoints).map((point) => {
    const labels = keyValues(point.attributes);
    const raw = point.asDouble ?? point.asInt ?? point.sum;
    return {
      ...common,
      timestamp: iso(nanos(point.timeUnixNano)),
      name,
      value: typeof raw === 'number' ? raw : int64(raw),
      labels,
      attributes: labels,
    };
  });
}

export function decodeOtlp(json: Loose, text: string): DecodedBody {
  const out: DecodedBody = { format: 'otlp', dedupeKey: `otlp:${text}`, logs: [], metrics: [], traces: [] };
  for (const group of list(json.resourceLogs)) {
    const common = { format: 'otlp' as const, ...resourceOf(group.resource) };
    for (const scope of list(group.scopeLogs))
      for (const record of list(scope.logRecords)) out.logs.push(decodeLog(record, common));
  }
  for (const group of list(json.resourceSpans)) {
    const common = { format: 'otlp' as const, ...resourceOf(group.resource) };
    for (const scope of list(group.scopeSpans))
      for (const span of list(scope.spans)) out.traces.push(decodeSpan(span, common));
  }
  for (const group of list(json.resourceMetrics)) {
    const common = { format: 'otlp' as const, ...resourceOf(group.resource) };
    for (const scope of list(group.scopeMetrics))
      for (const metric of list(scope.metrics)) out.metrics.push(...decodeMetric(metric, common));
  }
  return out;
}
