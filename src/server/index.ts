/** Public API of `pwa-telemetry/server`. */
export { runCli } from './cli.js';
export { runExport } from './export-run.js';
export { startForwarder } from './forward-otlp.js';
export { deleteSubject } from './delete-lines.js';
export { createIngestHandler } from './ingest.js';
export { defaultOptions, OptionsError, parseServeArgs, resolveOptions } from './options.js';
export { createRateLimiter } from './rate-limit.js';
export { deleteExpired, startRetention } from './retention.js';
export { startServer } from './server.js';
export { openStore } from './store.js';
export { MAX_ITEMS, validateBody } from './validate.js';

export type { CliIo } from './cli.js';
export type { DeleteOptions, DeleteReport, FileRemoval, Subject } from './delete-lines.js';
export type { ExportOptions, ExportProgress, ExportSummary } from './export-run.js';
export type { Forwarder, ForwarderOptions, ForwarderStats } from './forward-otlp.js';
export type { RequestHandler } from './ingest.js';
export type { RateLimit, ServerOptions } from './options.js';
export type { RateLimiter } from './rate-limit.js';
export type { Retention, RetentionOptions } from './retention.js';
export type { RunningServer } from './server.js';
export type { AppendResult, ReadOptions, ReadResult, Store, StoredItem } from './store.js';
export type { LogItem, MetricItem, TraceItem, ValidBody, Validation } from './validate.js';
