import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join, relative, resolve, sep } from 'node:path';
import {
  build,
  defineConfig,
  type Plugin,
  type ResolvedConfig,
  type ProxyOptions,
  type UserConfig,
} from 'vite';
import { echoBody } from './scripts/echo.js';
import { telemetry } from './src/vite/index.js';

/**
 * The demo PWA (index.html + src/app). Telemetry settings come from `VITE_*` variables at build time
 * (see .env.example); `npm start` (scripts/start.js) and the e2e global setup set them for their builds.
 *
 * The app sends to a same-origin `/ingest` (no CORS preflight, which an unload-time send may not live
 * to finish). With `TELEMETRY_PROXY_TARGET` set (`npm start` sets it), the dev and preview servers
 * forward that path to the ingest server there; otherwise the `pwa-telemetry/vite` plugin answers
 * `/ingest` itself and serves the dashboard at `/dashboard`, storing into .data/telemetry (token:
 * `TELEMETRY_TOKEN`, if set), so `vite` alone gives the whole loop.
 *
 * `vite build --mode dashboard` (`npm run build:dashboard`) builds the dashboard front-end
 * (src/dashboard) into dist/dashboard, where the ingest server and the plugin serve it from.
 *
 * A production build also emits the service worker (src/app/sw.ts) as one classic script at `/sw.js`:
 * see `serviceWorker()` below. The dev server has no service worker.
 */
const ingestTarget = process.env.TELEMETRY_PROXY_TARGET;
const proxy: Record<string, ProxyOptions> = ingestTarget
  ? { '/ingest': { target: ingestTarget, changeOrigin: true } }
  : {};

/** Service worker source, relative to the project root. */
const SW_ENTRY = 'src/app/sw.ts';
/** Where the worker is served: the site root, so its scope covers the whole app. */
const SW_FILE = 'sw.js';

async function filesUnder(dir: string): Promise<string[]> {
  try {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
  } catch {
    return [];
  }
}

/**
 * Builds src/app/sw.ts after the app, as a separate, self-contained classic script (IIFE) emitted at
 * `/sw.js`. A second entry in the app's own build would share chunks with the page, which only a module
 * service worker could import (not supported by every browser), and would get a hashed name under
 * /assets/, whose scope could not cover the app.
 *
 * The worker is built with the app's mode and env (same `VITE_*`), and gets two build-time constants:
 * `__APP_SHELL__`, the URLs to precache (every file of this build and of public/, and `/` for
 * navigations), and `__SHELL_VERSION__`, a hash of their contents that names the cache, so each deploy
 * gets a fresh cache and the old one is deleted when the new worker activates.
 */
function serviceWorker(): Plugin {
  let config: ResolvedConfig;
  return {
    name: 'pwa-telemetry:service-worker',
    apply: 'build',
    enforce: 'post',
    configResolved(resolved) {
      config = resolved;
    },
    async generateBundle(_options, bundle) {
      const base = config.base.endsWith('/') ? config.base : `${config.base}/`;
      const hash = createHash('sha256');
      const shell = new Set<string>([base]);
      for (const [fileName, output] of Object.entries(bundle).sort(([a], [b]) => a.localeCompare(b))) {
        if (fileName.endsWith('.map')) continue;
        if (fileName !== 'index.html') shell.add(base + fileName);
        hash.update(fileName).update(output.type === 'chunk' ? output.code : output.source);
      }
      if (config.publicDir && config.build.copyPublicDir) {
        for (const file of (await filesUnder(config.publicDir)).sort()) {
          const url = relative(config.publicDir, file).split(sep).join('/');
          shell.add(base + url);
          hash.update(url).update(await readFile(file));
        }
      }

      const result = await build({
        configFile: false,
        root: config.root,
        mode: config.mode,
        envDir: config.envDir,
        envPrefix: config.envPrefix,
        publicDir: false,
        logLevel: 'warn',
        define: {
          __APP_SHELL__: JSON.stringify([...shell]),
          __SHELL_VERSION__: JSON.stringify(hash.digest('hex').slice(0, 16)),
        },
        build: {
          write: false,
          copyPublicDir: false,
          emptyOutDir: false,
          minify: config.build.minify,
          target: config.build.target,
          sourcemap: false,
          modulePreload: false,
          rolldownOptions: {
            input: resolve(config.root, SW_ENTRY),
            output: { format: 'iife', entryFileNames: SW_FILE },
          },
        },
      });
      const outputs = (Array.isArray(result) ? result : [result]).flatMap((r) =>
        'output' in r ? r.output : [],
      );
      const chunk = outputs.find((o) => o.type === 'chunk' && o.fileName === SW_FILE);
      if (!chunk || chunk.type !== 'chunk') throw new Error(`${SW_ENTRY} did not build into ${SW_FILE}`);
      if (outputs.length !== 1) {
        throw new Error(
          `${SW_ENTRY} must build into one file, got ${outputs.map((o) => o.fileName).join(', ')}`,
        );
      }
      this.emitFile({ type: 'asset', fileName: SW_FILE, source: chunk.code });
    },
  };
}

/**
 * `GET /api/echo`: a tiny same-origin API for the demo's fetch button, answering with what it received
 * (including the W3C `traceparent` header the fetch instrumentation adds), shared with the e2e app
 * server (scripts/echo.js).
 */
function echoApi(): Plugin {
  const handle = (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/api/echo') return next();
    res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' });
    res.end(echoBody(req));
  };
  return {
    name: 'pwa-telemetry:echo-api',
    configureServer: (server) => void server.middlewares.use(handle),
    configurePreviewServer: (server) => void server.middlewares.use(handle),
  };
}

/** The dashboard front-end: its own page, built with relative URLs so it works under any mount path. */
const dashboardConfig: UserConfig = {
  root: 'src/dashboard',
  base: './',
  publicDir: false,
  build: {
    outDir: resolve('dist/dashboard'),
    emptyOutDir: true,
    // One CSS and one JS file: a handful of requests, even offline on a slow disk.
    modulePreload: false,
  },
};

const appConfig: UserConfig = {
  plugins: [
    serviceWorker(),
    echoApi(),
    ...(ingestTarget ? [] : [telemetry({ token: process.env.TELEMETRY_TOKEN || undefined })]),
  ],
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
};

export default defineConfig((env) => (env.mode === 'dashboard' ? dashboardConfig : appConfig));
