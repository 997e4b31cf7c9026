// @sentry/browser as the peers bench uses it: Sentry.init with the DSN at the local collector and
// tracesSampleRate 1 (spans need a sample rate); default integrations, transport and buffers
// (logs and metrics batched 100 at a time or every 5 s). Logs with Sentry.logger, metrics with
// Sentry.metrics.gauge, spans with Sentry.startSpan.
import * as Sentry from '@sentry/browser';

/** @typedef {import('./types.js').Adapter} Adapter */

/**
 * @param {string} base collector base URL of this run, http://127.0.0.1:PORT/r/N
 * @returns {Adapter}
 */
export function start(base) {
  const url = new URL(base);
  // A DSN's path before the project id is kept in the envelope URL: /r/N/api/1/envelope/.
  Sentry.init({ dsn: `${url.protocol}//public@${url.host}${url.pathname}/1`, tracesSampleRate: 1 });
  return {
    log: (level, message, context) => Sentry.logger[level](message, context),
    metric: (name, value) => Sentry.metrics.gauge(name, value),
    span(name, durationMs) {
      const end = Date.now() / 1000;
      Sentry.startInactiveSpan({ name, startTime: end - durationMs / 1000 }).end(end);
    },
    flush: () => Sentry.flush(5_000),
  };
}
