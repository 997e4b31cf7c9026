/**
 * PostHog `/batch/` bodies (`{ api_key, batch: [event…], sent_at }`) → captured records. Our PostHog
 * encoder's `log`, `metric` and `span` events map back to their records and `$exception` to an error
 * log; any other event (posthog-js's own `$pageview`, an app's `checkout.started`) becomes an `info`
 * log whose message is the event name, so a test can wait for it like any log.
 */
import type { Attributes, ExceptionInfo, JsonValue, LogLevel } from '../telemetry/records.js';
import type { CapturedBase, CapturedLog, CapturedMetric, CapturedSpan, DecodedBody } from './records.js';

type Loose = Record<string, unknown>;

const isRecord = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error'];

/** True when `json` is a PostHog batch. */
export function isPosthogBody(json: unknown): json is Record<string, unknown> {
  return isRecord(json) && Array.isArray(json.batch);
}

/** Properties PostHog or the encoder adds to every event: not the app's context. */
const COMMON = new Set(['app', 'version', 'level', 'message', 'trace_id', 'span_id', 'parent_span_id']);
function own(properties: Loose, also: readonly string[] = []): Attributes {
  const out: Attributes = {};
  for (const [key, value] of Object.entries(properties))
    if (!key.startsWith('$') && !COMMON.has(key) && !also.includes(key) && value !== undefined)
      out[key] = value as JsonValue;
  return out;
}

/** `$exception` properties: ours (`$exception_type` …) or posthog-js's `$exception_list`. */
function exceptionOf(p: Loose): ExceptionInfo {
  const first =
    Array.isArray(p.$exception_list) && isRecord(p.$exception_list[0]) ? p.$exception_list[0] : {};
  const info: ExceptionInfo = {
    type: str(p.$exception_type) ?? str(first.type) ?? 'Error',
    message: str(p.$exception_message) ?? str(first.value) ?? '',
  };
  const stack = str(p.$exception_stack_trace) ?? str(p.$exception_stack_trace_raw);
  if (stack !== undefined) info.stack = stack;
  return info;
}

export function decodePosthog(json: Loose): DecodedBody {
  const out: DecodedBody = { format: 'posthog', dedupeKey: '', logs: [], metrics: [], traces: [] };
  const uuids: string[] = [];
  for (const event of Array.isArray(json.batch) ? json.batch : []) {
    if (!isRecord(event)) continue;
    const name = str(event.event) ?? '';
    const p = isRecord(event.properties) ? event.properties : {};
    uuids.push(str(event.uuid) ?? '');
    const common: Omit<CapturedBase, 'attributes'> = {
      format: 'posthog',
      timestamp: str(event.timestamp) ?? new Date(0).toISOString(),
      resource: {
        ...(p.app !== undefined ? { app: p.app as JsonValue } : {}),
        ...(p.version !== undefined ? { version: p.version as JsonValue } : {}),
      },
    };
    const session = str(p.$session_id) ?? str(event.distinct_id);
    if (session !== undefined) common.sessionId = session;
    if (name === 'metric') {
      const labels = own(p, ['metric_name', 'metric_value']);
      out.metrics.push({
        ...common,
        name: str(p.metric_name) ?? '',
        value: Number(p.metric_value),
        labels,
        attributes: labels,
      } satisfies CapturedMetric);
    } else if (name === 'span') {
      const attributes = own(p, ['span_name', 'duration_ms', 'status']);
      const span: CapturedSpan = {
        ...common,
        traceId: str(p.trace_id) ?? '',
        spanId: str(p.span_id) ?? '',
        name: str(p.span_name) ?? '',
        duration: Number(p.duration_ms ?? 0),
        attributes,
      };
      if (typeof p.parent_span_id === 'string') span.parentSpanId = p.parent_span_id;
      if (p.status === 'ok' || p.status === 'error') span.status = p.status;
      out.traces.push(span);
    } else {
      const context = own(p);
      const exception = name === '$exception' ? exceptionOf(p) : undefined;
      const level = (LEVELS.includes(String(p.level)) ? p.level : exception ? 'error' : 'info') as LogLevel;
      const log: CapturedLog = {
        ...common,
        level,
        // Our encoder's `log` and `$exception` carry the message; other events are named by the app.
        message: str(p.message) ?? (exception ? exception.message : name),
        context,
        attributes: context,
      };
      if (name !== 'log' && !exception) log.context = log.attributes = { ...context, event: name };
      if (typeof p.$current_url === 'string') log.url = p.$current_url;
      if (typeof p.trace_id === 'string') log.traceId = p.trace_id;
      if (typeof p.span_id === 'string') log.spanId = p.span_id;
      if (exception) log.exception = exception;
      out.logs.push(log);
    }
  }
  // Event uuids are stable across resends of one batch (our encoder derives them from the batchId).
  // Without uuids nothing can tell a resend: keep every request.
  out.dedupeKey = uuids.every(Boolean) ? `posthog:${uuids.join(',')}` : `posthog:${Math.random()}`;
  return out;
}
