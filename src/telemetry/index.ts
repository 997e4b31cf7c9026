/**
 * pwa-telemetry: logs, metrics and traces from a PWA, delivered once even across reloads, closed tabs,
 * offline periods and server outages.
 */
export { createTelemetry } from './client.js';
export type { FlushOptions, Span, SpanOptions, Telemetry } from './api.js';
export type { ConsentState } from './consent.js';
export { fromViteEnv } from './config.js';
export type { TelemetryEnv, TelemetryFormat, TelemetryLevel, TelemetryOptions } from './config.js';
export { memoryOutbox } from './outbox.js';
export type { Outbox, OutboxEntry } from './outbox.js';
export { indexedDbOutbox } from './outbox-idb.js';
export { fetchTransport } from './transport.js';
export type { SendRequest, SendResult, Transport } from './transport.js';
export type { DropReason, TelemetryStatus } from './status.js';
export type {
  Attributes,
  Batch,
  ExceptionInfo,
  JsonValue,
  LogLevel,
  LogRecord,
  MetricRecord,
  NativeBody,
  Resource,
  SpanRecord,
} from './records.js';
export { telemetry } from './singleton.js';
