// pwa-telemetry as the peers bench uses it: the built client (npm run build:lib), defaults but the
// endpoint. The peers bench bundles this file for the browser (its size is the entry's size).
// dist/ exists only after `npm run build:lib` (npm run bench:peers and npm test build it first), so
// lint and type-check, which run before, may not find it: its types are src/'s, given just below.
// eslint-disable-next-line @typescript-eslint/ban-ts-comment -- see above
// @ts-ignore
import { createTelemetry as createBuilt } from '../../dist/telemetry/index.js';

/**
 * @param {unknown} f the built createTelemetry
 * @returns {typeof import('../../src/telemetry/index.js').createTelemetry}
 */
const typed = (f) => /** @type {typeof import('../../src/telemetry/index.js').createTelemetry} */ (f);
const createTelemetry = typed(createBuilt);

/** @typedef {import('./types.js').Adapter} Adapter */

/**
 * @param {string} base collector base URL of this run, e.g. http://127.0.0.1:PORT/r/3
 * @returns {Adapter}
 */
export function start(base) {
  const t = createTelemetry({ endpoint: `${base}/ingest`, app: 'bench', version: '1.0.0' });
  return {
    log: (level, message, context) => t.log(level, message, context),
    metric: (name, value) => t.metric(name, value),
    span: (name, durationMs) => t.trace(name, durationMs),
    flush: () => t.flush(),
    status: () => t.status(),
  };
}
