// @ts-check
/**
 * `npm start`: the ingest server and the demo app with telemetry on, on 127.0.0.1.
 *
 * 1. starts the ingest server from dist/server (`npm run build:lib` makes it) on TELEMETRY_PORT (8787),
 *    storing JSONL under TELEMETRY_DATA_DIR (.data/telemetry), with TELEMETRY_TOKEN (default `dev-token`);
 * 2. builds the app into dist-app with telemetry enabled at build time: `VITE_TELEMETRY_ENABLED=true`,
 *    `VITE_FEATURE_TELEMETRY=ENABLED`, endpoint `/ingest`, the same token (any `VITE_*` already set wins);
 * 3. serves it with `vite preview` on APP_PORT (4173), which forwards `/ingest` to the ingest server,
 *    so the app sends same-origin and needs no CORS at all, not even at unload;
 * 4. prints the URLs: the app, the ingest endpoint and the dashboard (`<ingest>/dashboard`, built into
 *    dist/dashboard by `npm run build:dashboard`, which `npm start` runs first).
 *
 * Ctrl-C (SIGINT) or SIGTERM closes both servers.
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, preview } from 'vite';

const env = process.env;
// The project root: vite.config.ts, index.html and the data dir are found from here, whatever the cwd.
const root = fileURLToPath(new URL('..', import.meta.url));
const host = '127.0.0.1';
const token = env.TELEMETRY_TOKEN || 'dev-token';

// Loaded at run time, typed from the source, so type-checking does not need a build first.
const serverUrl = new URL('../dist/server/index.js', import.meta.url).href;
/** @type {unknown} */
const loaded = await import(serverUrl).catch((/** @type {unknown} */ error) => {
  console.error(`Cannot load ${serverUrl}: run \`npm run build:lib\` first.`);
  throw error;
});
const { startServer } = /** @type {typeof import('../src/server/index.js')} */ (loaded);

/**
 * @param {string} name
 * @param {number} fallback
 */
function intEnv(name, fallback) {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  if (!/^\d+$/.test(value)) throw new Error(`${name} must be a non-negative integer, got "${value}"`);
  return Number(value);
}

const ingest = await startServer({
  port: intEnv('TELEMETRY_PORT', 8787),
  host: env.TELEMETRY_HOST || host,
  dataDir: resolve(env.TELEMETRY_DATA_DIR || join(root, '.data/telemetry')),
  token,
  retentionDays: intEnv('TELEMETRY_RETENTION_DAYS', 30),
  ...(env.TELEMETRY_CORS_ORIGIN ? { corsOrigin: env.TELEMETRY_CORS_ORIGIN } : {}),
});

/** @type {import('vite').PreviewServer | undefined} */
let app;
try {
  // Vite reads VITE_* from process.env at build time; values the user set take precedence.
  /** @type {Record<string, string>} */
  const appEnv = {
    VITE_TELEMETRY_ENABLED: 'true',
    VITE_FEATURE_TELEMETRY: 'ENABLED',
    VITE_TELEMETRY_ENDPOINT: '/ingest',
    VITE_TELEMETRY_TOKEN: token,
  };
  for (const [key, value] of Object.entries(appEnv)) env[key] ||= value;
  // vite.config.ts then forwards /ingest to this server rather than mounting its own (the Vite plugin).
  env.TELEMETRY_PROXY_TARGET = ingest.url;
  await build({ root, logLevel: 'warn' });

  app = await preview({
    root,
    preview: {
      host,
      port: intEnv('APP_PORT', 4173),
      strictPort: true,
      proxy: { '/ingest': { target: ingest.url, changeOrigin: true } },
    },
  });
} catch (error) {
  await ingest.close();
  throw error;
}

const appUrl = app.resolvedUrls?.local[0] ?? `http://${host}:${intEnv('APP_PORT', 4173)}/`;
console.log(`
  App        ${appUrl}   (telemetry on; its /ingest is forwarded to the ingest server)
  Ingest     ${ingest.url}/ingest   (${env.TELEMETRY_TOKEN ? 'token from TELEMETRY_TOKEN' : `token "${token}"`})
  Dashboard  ${ingest.url}/dashboard   (log in with the token)
  Data       ${ingest.store.dataDir}/{logs,traces,metrics}/<YYYY-MM-DD>.jsonl

  Press Ctrl-C to stop.
`);

let stopping = false;
/** @param {NodeJS.Signals} signal */
async function stop(signal) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  const results = await Promise.allSettled([app?.close(), ingest.close()]);
  for (const r of results) if (r.status === 'rejected') console.error(r.reason);
  process.exit(results.some((r) => r.status === 'rejected') ? 1 : 0);
}
process.once('SIGINT', (s) => void stop(s));
process.once('SIGTERM', (s) => void stop(s));
