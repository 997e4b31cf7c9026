import { defineConfig } from 'vite';

/**
 * The demo PWA (index.html + src/app). Telemetry settings come from `VITE_*` variables at build time
 * (see .env.example); `npm start` (scripts/start.js) and the e2e global setup set them for their builds.
 *
 * The app sends to a same-origin `/ingest` (no CORS preflight, which an unload-time send may not live
 * to finish); the dev and preview servers forward that path to the ingest server, at
 * `TELEMETRY_PROXY_TARGET` or else http://127.0.0.1:$TELEMETRY_PORT (default 8787).
 */
const ingestTarget =
  process.env.TELEMETRY_PROXY_TARGET || `http://127.0.0.1:${process.env.TELEMETRY_PORT || '8787'}`;
const proxy = { '/ingest': { target: ingestTarget, changeOrigin: true } };

export default defineConfig({
  build: {
    outDir: 'dist-app',
    emptyOutDir: true,
  },
  server: {
    host: '127.0.0.1',
    proxy,
  },
  preview: {
    host: '127.0.0.1',
    port: Number(process.env.APP_PORT || 4173),
    strictPort: true,
    proxy,
  },
});
