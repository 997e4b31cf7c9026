/**
 * What the test helpers hand back: every wire format (native, OTLP/HTTP JSON, PostHog) decoded into
 * the native record shapes, so one assertion works whatever the app sends. Each record also carries
 * `attributes` (a log's `context`, a metric's `labels`, a span's attributes) for format-blind checks.
 */
import type { Attributes, ExceptionInfo, LogLevel } from '../telemetry/records.js';

/** The wire formats the helpers decode. */
export type WireFormat = 'native' | 'otlp' | 'posthog';

/** Fields every captured record has, whatever its kind. */
export interface CapturedBase {
  /** ISO 8601. */
  timestamp: string;
  /** The record's context (logs), labels (metrics) or attributes (spans). */
  attributes: Attributes;
  format: WireFormat;
  /** The native batch id; undefined for OTLP and PostHog, which carry none. */
  batchId?: string;
  /** The session: native `session.id`, OTLP resource `session.id`, PostHog `$session_id`. */
  sessionId?: string;
  /** The sending app: native `resource`, OTLP resource attributes (`service.name` → `app`, …). */
  resource: Attributes;
}

export interface CapturedLog extends CapturedBase {
  level: LogLevel;
  message: string;
  context: Attributes;
  url?: string;
  traceId?: string;
  spanId?: string;
  exception?: ExceptionInfo;
}

export interface CapturedMetric extends CapturedBase {
  name: string;
  value: number;
  labels: Attributes;
}

export interface CapturedSpan extends CapturedBase {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  /** Milliseconds. */
  duration: number;
  status?: 'ok' | 'error';
}

/** The records of one request body. */
export interface DecodedItems {
  logs: CapturedLog[];
  metrics: CapturedMetric[];
  traces: CapturedSpan[];
}

/** One request body, decoded. */
export interface DecodedBody extends DecodedItems {
  format: WireFormat;
  batchId?: string;
  /**
   * Identifies the batch across resends, as the server dedupes: the native batchId, the PostHog event
   * uuids, or (OTLP has no id) the body text, which a resend repeats byte for byte.
   */
  dedupeKey: string;
}

/** One telemetry request as it went over the wire. */
export interface CapturedRequest {
  url: string;
  method: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  /** The body as sent (still compressed when it was). */
  bytes: Uint8Array;
  /** 'gzip' when the body was compressed (by `Content-Encoding` or its magic bytes). */
  encoding?: 'gzip';
  /** The body text after gunzip. */
  text: string;
  /** The parsed JSON body, or undefined when it was not JSON. */
  json: unknown;
  /** The records it carried, or undefined when the body could not be decoded. */
  decoded?: DecodedBody;
  /** Why decoding failed, when it did. */
  error?: string;
  /** The native batch id, when there is one. */
  batchId?: string;
  /** The status the app got; 0 for a network error, undefined until answered. */
  status?: number;
}
