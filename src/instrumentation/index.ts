/**
 * Opt-in instrumentations. Each takes a `Telemetry` client and returns a function that removes it.
 */
export { captureConsole } from './console.js';
export type { CaptureConsoleOptions, ConsoleMethod } from './console.js';
export { captureErrors } from './errors.js';
export type { CaptureErrorsOptions } from './errors.js';
export { instrumentFetch } from './fetch.js';
export type { FetchOptions, UrlMatcher } from './fetch.js';
export { createLogger } from './logger.js';
export type { Logger, LoggerOptions, LoggerThreshold, PerfData } from './logger.js';
export { withoutTelemetry } from './reentry.js';
export { trackPageViews } from './page-views.js';
export type { PageViewOptions } from './page-views.js';
export { trackWebVitals } from './web-vitals.js';
export type { VitalMetric, WebVitalsOptions, WebVitalsSource } from './web-vitals.js';
