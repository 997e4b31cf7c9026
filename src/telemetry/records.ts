/**
 * Record types (the native wire format, DESIGN.md section 3) and W3C-format ids.
 * Records hold epoch-millisecond timestamps; encoders turn them into ISO strings or nanoseconds.
 */

/** Log severity levels, lowest first. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** A JSON-safe value: what the privacy step turns any input into. */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** A flat-ish map of JSON-safe values. */
export type Attributes = { [key: string]: JsonValue };

/** The shape of a captured exception, complete enough for PostHog `$exception` and OTel `exception.*`. */
export interface ExceptionInfo {
  type: string;
  message: string;
  stack?: string;
}

export interface LogRecord {
  timestamp: number;
  level: LogLevel;
  message: string;
  context: Attributes;
  url?: string;
  traceId?: string;
  spanId?: string;
  exception?: ExceptionInfo;
  /** Unique within the session (`<page tag>.<sequence>`): for dedupe and support lookups. */
  eventId?: string;
}

export interface MetricRecord {
  timestamp: number;
  name: string;
  value: number;
  labels: Attributes;
  eventId?: string;
}

export interface SpanRecord {
  timestamp: number;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** Milliseconds. */
  duration: number;
  attributes: Attributes;
  status?: 'ok' | 'error';
  eventId?: string;
}

/** The three kinds of item a batch carries, keyed by their wire name. */
export interface BatchItems {
  logs: LogRecord[];
  traces: SpanRecord[];
  metrics: MetricRecord[];
}

export type Kind = keyof BatchItems;
export const KINDS: readonly Kind[] = ['logs', 'traces', 'metrics'];

/** Describes the app that sends; becomes OTLP `resource.attributes` and PostHog properties. */
export interface Resource {
  app: string;
  version: string;
  [key: string]: string;
}

/** One unit of delivery: created once, stored in the outbox, sent (possibly more than once) with the same id. */
export interface Batch extends BatchItems {
  batchId: string;
  /** Epoch ms when the batch was sealed. */
  createdAt: number;
  sessionId: string;
}

/** A record as it travels: the timestamp is an ISO 8601 string. */
export type Wire<T extends { timestamp: number }> = Omit<T, 'timestamp'> & { timestamp: string };

/** The native JSON body (contract). `token` is present only on sends that must avoid a CORS preflight. */
export interface NativeBody {
  logs: Wire<LogRecord>[];
  traces: Wire<SpanRecord>[];
  metrics: Wire<MetricRecord>[];
  batchId: string;
  sentAt: string;
  resource: Resource;
  session: { id: string };
  /** The daily anonymous user id (see `getAnonymousId()`), when there is one. */
  anonymousId?: string;
  /** Events the client dropped since its previous batch, by reason (like Sentry's client reports). */
  dropped?: Record<string, number>;
  token?: string;
}

export function emptyItems(): BatchItems {
  return { logs: [], traces: [], metrics: [] };
}

/** A source of randomness in [0, 1); passed in so tests are deterministic. */
export type Random = () => number;

/**
 * Lower-case hex id of `bytes` random bytes: 16 for a W3C trace id, 8 for a span id.
 * Uses crypto.getRandomValues when the caller passes no `random` (ids must not collide across tabs).
 */
export function hexId(bytes: number, random?: Random): string {
  const digits = bytes * 2;
  const values: ArrayLike<number> =
    random || !globalThis.crypto?.getRandomValues
      ? Array.from({ length: digits }, () => (random ?? Math.random)() * 16)
      : crypto.getRandomValues(new Uint8Array(digits));
  let out = '';
  // `& 15` keeps one hex digit of a random byte, or floors a random number in [0, 16).
  for (let i = 0; i < digits; i++) out += (values[i]! & 15).toString(16);
  // W3C Trace Context: an all-zero id is invalid. Not re-rolled: an injected random may be stuck at 0.
  return /^0+$/.test(out) ? `${out.slice(0, -1)}1` : out;
}
