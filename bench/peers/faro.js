// Grafana Faro web SDK as the peers bench uses it: initializeFaro with its default instrumentations
// and batching (items sent every 250 ms or 50 items), the URL at the local collector. Logs with
// pushLog, metrics with pushMeasurement; spans with pushTraces (OTLP JSON), since the web SDK alone has
// no tracer (`@grafana/faro-web-tracing` adds OpenTelemetry's web SDK, not bundled here).
import { initializeFaro, LogLevel } from '@grafana/faro-web-sdk';

/** @typedef {import('./types.js').Adapter} Adapter */

/** @param {number} bytes */
const hexId = (bytes) =>
  Array.from(crypto.getRandomValues(new Uint8Array(bytes)), (b) => b.toString(16).padStart(2, '0')).join('');

/**
 * @param {string} base collector base URL of this run
 * @returns {Adapter}
 */
export function start(base) {
  const faro = initializeFaro({ url: `${base}/collect`, app: { name: 'bench', version: '1.0.0' } });
  return {
    log(level, message, context) {
      // Faro's log context is string → string.
      /** @type {Record<string, string>} */
      const strings = {};
      for (const [k, v] of Object.entries(context)) strings[k] = String(v);
      faro.api.pushLog([message], {
        level: level === 'warn' ? LogLevel.WARN : LogLevel.INFO,
        context: strings,
      });
    },
    metric: (name, value) => faro.api.pushMeasurement({ type: name, values: { value } }),
    span(name, durationMs) {
      const end = Date.now();
      faro.api.pushTraces({
        resourceSpans: [
          {
            resource: { attributes: [], droppedAttributesCount: 0 },
            scopeSpans: [
              {
                scope: { name: 'bench' },
                spans: [
                  {
                    traceId: hexId(16),
                    spanId: hexId(8),
                    name,
                    kind: 1,
                    startTimeUnixNano: String((end - durationMs) * 1e6),
                    endTimeUnixNano: String(end * 1e6),
                    attributes: [],
                    droppedAttributesCount: 0,
                    events: [],
                    droppedEventsCount: 0,
                    links: [],
                    droppedLinksCount: 0,
                    status: { code: 0 },
                  },
                ],
              },
            ],
          },
        ],
      });
    },
  };
}
