// Loads the built client (dist/telemetry/index.js, from `npm run build:lib`) at run time, so type-checking
// the bench does not need a build.
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** @typedef {typeof import('../src/telemetry/index.js')} TelemetryModule */

export const DIST_ENTRY = fileURLToPath(new URL('../dist/telemetry/index.js', import.meta.url));

/**
 * @param {unknown} mod
 * @returns {mod is TelemetryModule}
 */
function isTelemetryModule(mod) {
  return (
    typeof mod === 'object' &&
    mod !== null &&
    'createTelemetry' in mod &&
    typeof mod.createTelemetry === 'function' &&
    'memoryOutbox' in mod &&
    typeof mod.memoryOutbox === 'function'
  );
}

/** @returns {Promise<TelemetryModule>} */
export async function loadDist() {
  if (!existsSync(DIST_ENTRY)) throw new Error(`${DIST_ENTRY} is missing: run npm run build:lib first`);
  /** @type {unknown} */
  const mod = await import(pathToFileURL(DIST_ENTRY).href);
  if (!isTelemetryModule(mod))
    throw new Error(`${DIST_ENTRY} does not export createTelemetry and memoryOutbox`);
  return mod;
}
