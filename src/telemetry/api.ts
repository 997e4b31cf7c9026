import type { TelemetryLevel } from './config.js';
import type { ConsentState } from './consent.js';
import type { LogLevel } from './records.js';
import type { TelemetryStatus } from './status.js';

/** A span you time yourself. `end()` records it once; later calls do nothing. */
export interface Span {
  readonly traceId: string;
  readonly spanId: string;
  /** Records the span; `status` 'error' marks a failed operation (OTLP status code ERROR). */
  end(attributes?: Record<string, unknown>, status?: 'ok' | 'error'): void;
}

/** Where a span hangs in a trace: pass a parent span (or its ids) to make a child. */
export interface SpanOptions {
  parent?: { traceId: string; spanId: string };
}

/** The public client (DESIGN.md section 3). No method throws or rejects, whatever it is given. */
export interface Telemetry {
  log(level: LogLevel, message: string, context?: Record<string, unknown>): void;
  metric(name: string, value: number, labels?: Record<string, unknown>): void;
  trace(name: string, durationMs: number, attributes?: Record<string, unknown>): void;
  startSpan(name: string, attributes?: Record<string, unknown>, options?: SpanOptions): Span;
  exception(error: unknown, context?: Record<string, unknown>): void;
  /** Sends what is buffered and queued; resolves when done, or after `timeoutMs` whatever the network does. */
  flush(options?: FlushOptions): Promise<void>;
  /** The user says no: stops at once, clears the outbox, in every tab and the service worker. */
  optOut(): void;
  /** The user says yes (needed first with `consent: 'required'`). */
  optIn(): void;
  /** The stored choice: 'unknown' until `optIn()` or `optOut()`. */
  consentState(): ConsentState;
  /** Recording now: configured, in the sample, and consent allows it. */
  isEnabled(): boolean;
  /**
   * Could record: the env switch, the feature flag, an endpoint and the sample say yes; consent decides
   * the rest. Instrumentations install on this, so they work as soon as the user opts in.
   */
  isConfigured(): boolean;
  /** The tab's session id ('' when the client is off). */
  getSessionId(): string;
  /** Today's anonymous user id ('' when nothing is recorded): random, rotated daily, never joined across days. */
  getAnonymousId(): string;
  /** Changes how much is collected from now on (`'minimal'`, `'normal'`, `'verbose'`). */
  setLevel(level: TelemetryLevel): void;
  /** Every queued event as JSON: an array of native bodies the ingest server accepts ('[]' when off). */
  exportQueued(): Promise<string>;
  /** Empties the outbox and the buffer (counted as `cleared`). */
  clearQueued(): Promise<void>;
  status(): TelemetryStatus;
  /** Flushes (within `timeoutMs` if given), then removes listeners and timers. */
  shutdown(options?: FlushOptions): Promise<void>;
}

export interface FlushOptions {
  /** Resolve by then, whatever the network does (what is unsent stays in the outbox). @default no limit */
  timeoutMs?: number;
}
