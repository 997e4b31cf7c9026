/**
 * OTLP/HTTP JSON in (`/v1/logs`, `/v1/traces`, `/v1/metrics`): an export request becomes the items
 * of a native batch, so one store, one dedupe and one dashboard serve both. Each item keeps its
 * resource and scope; ids stay hex; int64 fields are accepted as strings or numbers.
 */
import type { Kind, LogLevel } from '../telemetry/records.js';
import { storedMetricName } from './dropped.js';
import {
  ANONYMOUS_ID,
  ANONYMOUS_ID_RULE,
  MAX_ITEMS,
  type LogItem,
  type MetricItem,
  type TraceItem,
  type ValidBody,
} from './validate.js';

export const OTLP_PATHS: Readonly<Record<string, Kind>> = {
  '/v1/logs': 'logs',
  '/v1/traces': 'traces',
  '/v1/metrics': 'metrics',
};

type Json = Record<string, unknown>;
export type OtlpResult = { ok: true; body: ValidBody } | { ok: false; reason: string };

class OtlpError extends Error {}

/** Items of one OTLP export request, as a batch with the given id. */
export function fromOtlp(kind: Kind, input: unknown, batchId: string): OtlpResult {
  const body: ValidBody = { batchId, logs: [], traces: [], metrics: [] };
  try {
    const top = object(input, 'body');
    const [resourceKey, scopeKey, itemsKey] = KEYS[kind];
    list(top[resourceKey], resourceKey).forEach((r, ri) => {
      const at = `${resourceKey}[${ri}]`;
      const resourceObject = r.resource === undefined ? {} : object(r.resource, `${at}.resource`);
      const resource = attributes(resourceObject.attributes, `${at}.resource.attributes`);
      // The client's OTLP encoder sends its anonymous id here, next to session.id; the store puts it
      // on every line as anonymous_id (lines.ts), so it is held to the native envelope's rule.
      const anonymous = resource['anonymous.id'];
      if (anonymous !== undefined && anonymous !== null) {
        if (typeof anonymous !== 'string' || !ANONYMOUS_ID.test(anonymous)) {
          throw new OtlpError(`${at}.resource attribute anonymous.id ${ANONYMOUS_ID_RULE}`);
        }
      }
      list(r[scopeKey], `${at}.${scopeKey}`).forEach((s, si) => {
        const sat = `${at}.${scopeKey}[${si}]`;
        const scope = s.scope === undefined ? undefined : scopeOf(object(s.scope, `${sat}.scope`));
        const context = { resource, ...(scope ? { scope } : {}) };
        list(s[itemsKey], `${sat}.${itemsKey}`).forEach((item, ii) => {
          const iat = `${sat}.${itemsKey}[${ii}]`;
          if (kind === 'logs') body.logs.push({ ...logOf(item, iat), ...context });
          else if (kind === 'traces') body.traces.push({ ...spanOf(item, iat), ...context });
          else for (const point of pointsOf(item, iat)) body.metrics.push({ ...point, ...context });
          const count = body.logs.length + body.traces.length + body.metrics.length;
          if (count > MAX_ITEMS) throw new OtlpError(`request has over ${MAX_ITEMS} items`);
        });
      });
    });
  } catch (error) {
    if (error instanceof OtlpError) return { ok: false, reason: error.message };
    throw error;
  }
  return { ok: true, body };
}

const KEYS: Record<Kind, [string, string, string]> = {
  logs: ['resourceLogs', 'scopeLogs', 'logRecords'],
  traces: ['resourceSpans', 'scopeSpans', 'spans'],
  metrics: ['resourceMetrics', 'scopeMetrics', 'metrics'],
};

/** severityNumber ranges of the OTLP log data model: 1–8 TRACE/DEBUG, 9–12 INFO, 13–16 WARN, 17–24 ERROR/FATAL. */
function levelOf(severityNumber: number | undefined, severityText: unknown): LogLevel {
  if (severityNumber !== undefined && severityNumber >= 1) {
    if (severityNumber <= 8) return 'debug';
    if (severityNumber <= 12) return 'info';
    return severityNumber <= 16 ? 'warn' : 'error';
  }
  const text = typeof severityText === 'string' ? severityText.toLowerCase() : '';
  if (text.startsWith('debug') || text.startsWith('trace')) return 'debug';
  if (text.startsWith('warn')) return 'warn';
  return text.startsWith('err') || text.startsWith('fatal') ? 'error' : 'info';
}

function logOf(r: Json, at: string): LogItem {
  const severityNumber = optionalInt(r.severityNumber, `${at}.severityNumber`);
  const body = r.body === undefined ? '' : anyValue(r.body, `${at}.body`);
  const time = r.timeUnixNano ?? r.observedTimeUnixNano;
  return {
    timestamp: time === undefined ? undefined : millis(time, `${at}.timeUnixNano`),
    level: levelOf(severityNumber, r.severityText),
    message: typeof body === 'string' ? body : JSON.stringify(body),
    context: attributes(r.attributes, `${at}.attributes`),
    ...(severityNumber !== undefined ? { severityNumber } : {}),
    ...(typeof r.severityText === 'string' ? { severityText: r.severityText } : {}),
    ...ids(r, at, false),
  };
}

function spanOf(r: Json, at: string): TraceItem {
  const start = millis(r.startTimeUnixNano, `${at}.startTimeUnixNano`);
  const end = millis(r.endTimeUnixNano, `${at}.endTimeUnixNano`);
  const name = r.name;
  if (typeof name !== 'string') throw new OtlpError(`${at}.name must be a string`);
  const status = r.status === undefined ? undefined : object(r.status, `${at}.status`);
  return {
    timestamp: start,
    ...(ids(r, at, true) as { traceId: string; spanId: string }),
    name,
    duration: end - start,
    kind: optionalInt(r.kind, `${at}.kind`) ?? 0,
    attributes: attributes(r.attributes, `${at}.attributes`),
    ...(status
      ? { status: { code: optionalInt(status.code, `${at}.status.code`) ?? 0, message: status.message } }
      : {}),
    ...(r.events === undefined
      ? {}
      : {
          events: list(r.events, `${at}.events`).map((e, i) => ({
            name: e.name,
            timestamp: millis(e.timeUnixNano, `${at}.events[${i}].timeUnixNano`),
            attributes: attributes(e.attributes, `${at}.events[${i}].attributes`),
          })),
        }),
  };
}

const METRIC_TYPES = ['gauge', 'sum', 'histogram', 'exponentialHistogram', 'summary'] as const;

/** One item per data point: gauges and sums carry their value; histograms and summaries their sum. */
function pointsOf(m: Json, at: string): MetricItem[] {
  const name = m.name;
  if (typeof name !== 'string') throw new OtlpError(`${at}.name must be a string`);
  const type = METRIC_TYPES.find((t) => m[t] !== undefined);
  if (!type) throw new OtlpError(`${at} has none of ${METRIC_TYPES.join(', ')}`);
  const data = object(m[type], `${at}.${type}`);
  const temporality = optionalInt(data.aggregationTemporality, `${at}.${type}.aggregationTemporality`);
  return list(data.dataPoints, `${at}.${type}.dataPoints`).map((p, i) => {
    const pat = `${at}.${type}.dataPoints[${i}]`;
    const value =
      type === 'gauge' || type === 'sum'
        ? number(p.asDouble ?? p.asInt, `${pat}.asDouble`)
        : p.sum === undefined
          ? 0
          : number(p.sum, `${pat}.sum`);
    const extra: Json = {};
    for (const key of ['count', 'min', 'max'])
      if (p[key] !== undefined) extra[key] = number(p[key], `${pat}.${key}`);
    for (const key of [
      'bucketCounts',
      'explicitBounds',
      'quantileValues',
      'positive',
      'negative',
      'scale',
      'zeroCount',
    ])
      if (p[key] !== undefined) extra[key] = p[key];
    return {
      timestamp: millis(p.timeUnixNano, `${pat}.timeUnixNano`),
      name: storedMetricName(name),
      value,
      labels: attributes(p.attributes, `${pat}.attributes`),
      type,
      ...(typeof m.unit === 'string' && m.unit !== '' ? { unit: m.unit } : {}),
      ...(temporality !== undefined ? { temporality } : {}),
      ...(typeof data.isMonotonic === 'boolean' ? { monotonic: data.isMonotonic } : {}),
      ...(p.startTimeUnixNano !== undefined
        ? { startTimestamp: millis(p.startTimeUnixNano, `${pat}.startTimeUnixNano`) }
        : {}),
      ...extra,
    };
  });
}

const HEX = { traceId: /^[0-9a-f]{32}$/i, spanId: /^[0-9a-f]{16}$/i, parentSpanId: /^[0-9a-f]{16}$/i };

/** traceId, spanId, parentSpanId as lower-case hex; empty or absent ones left out unless required. */
function ids(r: Json, at: string, required: boolean): Json {
  const out: Json = {};
  for (const key of ['traceId', 'spanId', 'parentSpanId'] as const) {
    const value = r[key];
    if (value === undefined || value === '') {
      if (required && key !== 'parentSpanId') throw new OtlpError(`${at}.${key} is required`);
      continue;
    }
    if (typeof value !== 'string' || !HEX[key].test(value)) {
      throw new OtlpError(`${at}.${key} must be hex (OTLP/JSON encodes ids as hex, not base64)`);
    }
    out[key] = value.toLowerCase();
  }
  return out;
}

function scopeOf(s: Json): Json {
  return { name: s.name, ...(s.version !== undefined && s.version !== '' ? { version: s.version } : {}) };
}

/** `[{ key, value: AnyValue }]` as a plain object. */
function attributes(input: unknown, at: string): Json {
  const out: Json = {};
  if (input === undefined) return out;
  list(input, at).forEach((kv, i) => {
    if (typeof kv.key !== 'string') throw new OtlpError(`${at}[${i}].key must be a string`);
    out[kv.key] = kv.value === undefined ? null : anyValue(kv.value, `${at}[${i}].value`);
  });
  return out;
}

function anyValue(input: unknown, at: string): unknown {
  const v = object(input, at);
  if ('stringValue' in v) return v.stringValue;
  if ('boolValue' in v) return v.boolValue;
  if ('intValue' in v) return int64(v.intValue, at);
  if ('doubleValue' in v) return number(v.doubleValue, at);
  if ('bytesValue' in v) return v.bytesValue;
  if ('arrayValue' in v) {
    const values = object(v.arrayValue, at).values;
    return values === undefined ? [] : (values as unknown[]).map((x, i) => anyValue(x, `${at}.values[${i}]`));
  }
  if ('kvlistValue' in v) return attributes(object(v.kvlistValue, at).values, `${at}.values`);
  return null;
}

/** An int64 from a decimal string or a number: a number when exact, else the string. */
function int64(input: unknown, at: string): number | string {
  if (typeof input === 'number' && Number.isInteger(input)) return input;
  if (typeof input === 'string' && /^-?\d+$/.test(input)) {
    const n = Number(input);
    return Number.isSafeInteger(n) ? n : input;
  }
  throw new OtlpError(`${at} must be an integer or a decimal string`);
}

/** Epoch nanoseconds (string or number) as epoch milliseconds, exact to the microsecond. */
function millis(input: unknown, at: string): number {
  if (typeof input === 'string' && /^\d+$/.test(input)) return Number(BigInt(input) / 1000n) / 1000;
  if (typeof input === 'number' && Number.isFinite(input) && input >= 0) return input / 1e6;
  throw new OtlpError(`${at} must be nanoseconds as a decimal string or a number`);
}

function number(input: unknown, at: string): number {
  const n = typeof input === 'string' ? Number(input) : input;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new OtlpError(`${at} must be a finite number`);
  return n;
}

function optionalInt(input: unknown, at: string): number | undefined {
  if (input === undefined) return undefined;
  const n = int64(input, at);
  if (typeof n !== 'number') throw new OtlpError(`${at} is out of range`);
  return n;
}

function object(input: unknown, at: string): Json {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new OtlpError(`${at} must be an object`);
  }
  return input as Json;
}

function list(input: unknown, at: string): Json[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) throw new OtlpError(`${at} must be an array`);
  return input.map((item, i) => object(item, `${at}[${i}]`));
}
