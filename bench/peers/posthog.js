// posthog-js as the peers bench uses it: posthog.init with api_host at the local collector and every
// other option at its default but one: `opt_out_useragent_filter`, since posthog-js drops the events
// (not the logs) of an automated browser as a bot's, and a user's browser is not one. Logs with
// captureLog (OTLP JSON to /i/v1/logs, batched every 3 s), metrics with posthog.metrics.gauge (sent
// every 60 s, or by its flush()); PostHog has no spans, so a span is an event (capture) named after it.
import { posthog } from 'posthog-js';

/** @typedef {import('./types.js').Adapter} Adapter */

/**
 * @param {string} base collector base URL of this run
 * @returns {Adapter}
 */
export function start(base) {
  posthog.init('bench-project-key', { api_host: base, opt_out_useragent_filter: true });
  return {
    log: (level, message, context) => posthog.captureLog({ body: message, level, attributes: context }),
    metric: (name, value) => posthog.metrics.gauge(name, value),
    span: (name, durationMs) => void posthog.capture(name, { $span: true, duration_ms: durationMs }),
    flush: () => posthog.metrics.flush(),
  };
}
