// Reads the request bodies of every library the peers bench compares and lists what they carry, so
// the collector counts events honestly per library: each log, metric data point, span and event
// found in the body, by name; a bench log also by its `question` number (each burst numbers its
// logs 0…n−1), so a log that arrives twice is counted once and seen as a duplicate.
//   Faro        POST …/collect                 JSON { logs[], measurements[], events[], exceptions[], traces{} }
//   OTLP/HTTP   POST …/v1/{logs,metrics,traces} JSON (OpenTelemetry JS; PostHog's …/i/v1/logs and /i/v1/metrics)
//   Sentry      POST …/api/1/envelope/         envelope: header line, then item header + payload pairs
//   PostHog     POST …/e/, /i/v0/e/, /batch/   JSON event or array, `data=<base64>`, or gzip (`compression=gzip-js`)
//   ours        POST …/ingest                  native JSON { logs[], metrics[], traces[] }
// gzip bodies are recognised by their magic bytes whatever the headers say.
import { gunzipSync } from 'node:zlib';

/**
 * @typedef {'log' | 'metric' | 'span' | 'event'} Kind
 * @typedef {{ kind: Kind, name: string, question?: number }} Item
 * @typedef {'faro' | 'otlp-logs' | 'otlp-metrics' | 'otlp-traces' | 'sentry' | 'posthog-events' | 'native'} Format
 */

/** @param {unknown} v @returns {Record<string, unknown>} */
const obj = (v) =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? /** @type {Record<string, unknown>} */ (v) : {};
/** @param {unknown} v @returns {unknown[]} */
const arr = (v) => (Array.isArray(v) ? v : []);
/** @param {unknown} v */
const str = (v) => (typeof v === 'string' ? v : '');
/** @param {unknown} v @returns {number | undefined} */
function num(v) {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The format of a request by its path (after the collector's /r/<run> prefix), or undefined when it
 * carries no events (PostHog's flags and config, a page asset).
 * @param {string} path
 * @returns {Format | undefined}
 */
export function formatOf(path) {
  if (path.endsWith('/collect')) return 'faro';
  if (path.endsWith('/v1/logs')) return 'otlp-logs';
  if (path.endsWith('/v1/metrics')) return 'otlp-metrics';
  if (path.endsWith('/v1/traces')) return 'otlp-traces';
  if (/\/api\/\d+\/envelope\/?$/.test(path)) return 'sentry';
  if (/\/(e|i\/v0\/e|batch|capture|track)\/?$/.test(path)) return 'posthog-events';
  if (path.endsWith('/ingest')) return 'native';
  return undefined;
}

/**
 * Undoes gzip (by magic bytes) and PostHog's `data=<base64>` form.
 * @param {Buffer} body
 * @returns {Buffer}
 */
export function unwrap(body) {
  if (body[0] === 0x1f && body[1] === 0x8b) return unwrap(gunzipSync(body));
  const head = body.subarray(0, 5).toString('latin1');
  if (head === 'data=') {
    const form = new URLSearchParams(body.toString('latin1'));
    return unwrap(Buffer.from(form.get('data') ?? '', 'base64'));
  }
  return body;
}

/** @param {unknown} value an OTLP AnyValue */
function anyValue(value) {
  const v = obj(value);
  return v.stringValue ?? v.intValue ?? v.doubleValue ?? v.boolValue;
}

/** @param {unknown} attributes OTLP KeyValue[] @param {string} key */
const otlpAttr = (attributes, key) => anyValue(obj(arr(attributes).find((a) => obj(a).key === key)).value);

/** @param {string} name @param {unknown} question @returns {Item} */
function log(name, question) {
  const q = num(question);
  return q === undefined ? { kind: 'log', name } : { kind: 'log', name, question: q };
}

/** @param {unknown} body */
function faro(body) {
  const b = obj(body);
  /** @type {Item[]} */
  const items = [];
  for (const l of arr(b.logs)) items.push(log(str(obj(l).message), obj(obj(l).context).question));
  for (const m of arr(b.measurements)) items.push({ kind: 'metric', name: str(obj(m).type) });
  for (const e of arr(b.events)) items.push({ kind: 'event', name: str(obj(e).name) });
  for (const e of arr(b.exceptions)) items.push({ kind: 'event', name: str(obj(e).type) });
  items.push(...otlpTraces(b.traces));
  return items;
}

/** @param {unknown} body */
function otlpLogs(body) {
  /** @type {Item[]} */
  const items = [];
  for (const rl of arr(obj(body).resourceLogs))
    for (const sl of arr(obj(rl).scopeLogs))
      for (const r of arr(obj(sl).logRecords)) {
        const rec = obj(r);
        items.push(log(str(anyValue(rec.body)), otlpAttr(rec.attributes, 'question')));
      }
  return items;
}

/** @param {unknown} body */
function otlpMetrics(body) {
  /** @type {Item[]} */
  const items = [];
  for (const rm of arr(obj(body).resourceMetrics))
    for (const sm of arr(obj(rm).scopeMetrics))
      for (const m of arr(obj(sm).metrics)) {
        const metric = obj(m);
        const data = obj(
          metric.gauge ?? metric.sum ?? metric.histogram ?? metric.exponentialHistogram ?? metric.summary,
        );
        const points = arr(data.dataPoints).length;
        for (let i = 0; i < points; i++) items.push({ kind: 'metric', name: str(metric.name) });
      }
  return items;
}

/** @param {unknown} body */
function otlpTraces(body) {
  /** @type {Item[]} */
  const items = [];
  for (const rs of arr(obj(body).resourceSpans))
    for (const ss of arr(obj(rs).scopeSpans))
      for (const s of arr(obj(ss).spans)) items.push({ kind: 'span', name: str(obj(s).name) });
  return items;
}

/**
 * A Sentry envelope: a header line, then per item a header line and a payload of `length` bytes
 * (or up to the next newline when the header has no length).
 * @param {Buffer} body
 */
function sentry(body) {
  /** @type {Item[]} */
  const items = [];
  let at = body.indexOf(0x0a) + 1; // after the envelope header
  while (at > 0 && at < body.length) {
    const headerEnd = body.indexOf(0x0a, at);
    if (headerEnd < 0) break;
    const header = obj(JSON.parse(body.subarray(at, headerEnd).toString('utf8')));
    const start = headerEnd + 1;
    const length = num(header.length);
    const end =
      length !== undefined ? start + length : (body.indexOf(0x0a, start) + 1 || body.length + 1) - 1;
    const payload = obj(JSON.parse(body.subarray(start, end).toString('utf8')));
    at = end + 1;
    const type = str(header.type);
    if (type === 'log') {
      for (const l of arr(payload.items))
        items.push(log(str(obj(l).body), obj(obj(obj(l).attributes).question).value));
    } else if (type === 'trace_metric' || type === 'metric') {
      for (const m of arr(payload.items)) items.push({ kind: 'metric', name: str(obj(m).name) });
    } else if (type === 'span') {
      for (const s of arr(payload.items)) items.push({ kind: 'span', name: str(obj(s).name) });
    } else if (type === 'transaction') {
      items.push({ kind: 'span', name: str(payload.transaction) });
      for (const s of arr(payload.spans)) items.push({ kind: 'span', name: str(obj(s).description) });
    } else if (type === 'event') {
      items.push({ kind: 'event', name: str(payload.message) || 'event' });
    }
  }
  return items;
}

/** @param {unknown} body a PostHog event, or an array of them, or { batch: [...] } */
function posthogEvents(body) {
  const list = Array.isArray(body) ? body : Array.isArray(obj(body).batch) ? arr(obj(body).batch) : [body];
  return list.map(
    (e) =>
      /** @type {Item} */ ({
        kind: obj(obj(e).properties).$span ? 'span' : 'event',
        name: str(obj(e).event),
      }),
  );
}

/** @param {unknown} body */
function native(body) {
  const b = obj(body);
  return [
    ...arr(b.logs).map((l) => log(str(obj(l).message), obj(obj(l).context).question)),
    ...arr(b.metrics).map((m) => /** @type {Item} */ ({ kind: 'metric', name: str(obj(m).name) })),
    ...arr(b.traces).map((t) => /** @type {Item} */ ({ kind: 'span', name: str(obj(t).name) })),
  ];
}

/**
 * What one request carries.
 * @param {Format} format
 * @param {Buffer} raw the body as received
 * @returns {Item[]}
 */
export function decode(format, raw) {
  const body = unwrap(raw);
  if (format === 'sentry') return sentry(body);
  /** @type {unknown} */
  const json = JSON.parse(body.toString('utf8'));
  switch (format) {
    case 'faro':
      return faro(json);
    case 'otlp-logs':
      return otlpLogs(json);
    case 'otlp-metrics':
      return otlpMetrics(json);
    case 'otlp-traces':
      return otlpTraces(json);
    case 'posthog-events':
      return posthogEvents(json);
    case 'native':
      return native(json);
  }
}
