/** The native JSON body (DESIGN.md section 3) → captured records. */
import type { Attributes, NativeBody } from '../telemetry/records.js';
import type { CapturedLog, CapturedMetric, CapturedSpan, DecodedBody } from './records.js';

type Loose = Record<string, unknown>;

const isRecord = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): Loose[] => (Array.isArray(v) ? v.filter(isRecord) : []);
const attrs = (v: unknown): Attributes => (isRecord(v) ? (v as Attributes) : {});

/** True when `json` looks like a native body: a batchId or one of the item arrays. */
export function isNativeBody(json: unknown): json is NativeBody {
  return (
    isRecord(json) &&
    (typeof json.batchId === 'string' ||
      Array.isArray(json.logs) ||
      Array.isArray(json.traces) ||
      Array.isArray(json.metrics))
  );
}

export function decodeNative(body: NativeBody): DecodedBody {
  const json = body as unknown as Loose;
  const batchId = typeof json.batchId === 'string' ? json.batchId : undefined;
  const session = isRecord(json.session) ? json.session : {};
  const common = {
    format: 'native' as const,
    batchId,
    sessionId: typeof session.id === 'string' ? session.id : undefined,
    resource: attrs(json.resource),
  };
  // Items are passed on as they came (a test may check a field the helper does not know), plus the
  // common fields and the uniform `attributes`.
  const logs = list(json.logs).map(
    (log) => ({ ...log, ...common, attributes: attrs(log.context) }) as unknown as CapturedLog,
  );
  const metrics = list(json.metrics).map(
    (m) => ({ ...m, ...common, attributes: attrs(m.labels) }) as unknown as CapturedMetric,
  );
  const traces = list(json.traces).map(
    (s) => ({ ...s, ...common, attributes: attrs(s.attributes) }) as unknown as CapturedSpan,
  );
  return {
    format: 'native',
    batchId,
    // Without an id (not a body our client sends) nothing can tell a resend: keep every one.
    dedupeKey: batchId === undefined ? `native:${Math.random()}` : `native:${batchId}`,
    logs,
    metrics,
    traces,
  };
}
