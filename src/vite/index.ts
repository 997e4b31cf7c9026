/**
 * `pwa-telemetry/vite`: the ingest endpoint and the dashboard on the Vite dev and preview servers, on
 * the app's own origin, so `vite` alone gives the whole loop (app → /ingest → JSONL → /dashboard).
 * It adds nothing to `vite build` output: `apply: 'serve'` keeps it out of builds, and it injects no
 * code into the app.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Connect, Plugin } from 'vite';
import { startAdmin } from '../server/admin.js';
import { createDashboard } from '../server/dashboard/handler.js';
import { createIngestHandler } from '../server/ingest.js';
import { resolveOptions, type ServerOptions } from '../server/options.js';
import { startRetention } from '../server/retention.js';
import { openStore } from '../server/store.js';

export interface TelemetryPluginOptions {
  /**
   * Root of the JSONL store, relative to the working directory unless absolute.
   * @default './.data/telemetry'
   */
  dataDir?: string;
  /**
   * When set, `/ingest` and the dashboard both require it (the dashboard through its login form).
   * @default undefined (open: the dev server binds to localhost unless told otherwise)
   */
  token?: string;
  /**
   * Path of the native ingest endpoint; point `VITE_TELEMETRY_ENDPOINT` at it.
   * @default '/ingest'
   */
  ingestPath?: string;
  /**
   * Path of the dashboard.
   * @default '/dashboard'
   */
  dashboardPath?: string;
  /**
   * Any other ingest server option (retention, body size, rate limit).
   * @default the server's defaults, with a rate limit a single developer never reaches
   */
  server?: Partial<Omit<ServerOptions, 'port' | 'host' | 'dataDir' | 'token'>>;
}

export function telemetry(options: TelemetryPluginOptions = {}): Plugin {
  const ingestPath = options.ingestPath ?? '/ingest';
  const dashboardPath = options.dashboardPath ?? '/dashboard';

  async function mount(
    middlewares: Connect.Server,
    httpServer: { once(e: 'close', f: () => void): unknown } | null,
  ): Promise<void> {
    const serverOptions = resolveOptions({
      rateLimit: { requests: 100_000, perMs: 60_000 },
      ...options.server,
      dataDir: options.dataDir ?? './.data/telemetry',
      token: options.token,
    });
    // `pwa-telemetry delete` asks this store's owner to do the work (see server/admin.ts).
    const admin = await startAdmin(serverOptions.dataDir, serverOptions.onError);
    const dashboard = createDashboard({ ...serverOptions, path: dashboardPath });
    const store = await openStore(serverOptions.dataDir, dashboard.onAppend);
    admin.serve({ store, index: dashboard.index });
    const ingest = createIngestHandler(serverOptions, store);
    dashboard.start();
    const retention = startRetention(serverOptions);
    httpServer?.once('close', () => {
      retention.stop();
      dashboard.close();
      void admin.close();
    });
    middlewares.use((req: IncomingMessage, res: ServerResponse, next: () => void) => {
      const url = req.url ?? '/';
      const path = url.split('?')[0];
      if (path === ingestPath) {
        // The handler knows its endpoint as /ingest, whatever path the app posts to here.
        req.url = `/ingest${url.slice(path.length)}`;
        return ingest(req, res);
      }
      if (!dashboard.handle(req, res)) next();
    });
  }

  return {
    name: 'pwa-telemetry',
    apply: 'serve',
    // Before Vite's own middlewares (and any proxy), so these paths are answered here.
    configureServer: (server) => mount(server.middlewares, server.httpServer),
    configurePreviewServer: (server) => mount(server.middlewares, server.httpServer),
  };
}

// Vite users expect `import telemetry from 'pwa-telemetry/vite'`; the named export is the project's style.
// eslint-disable-next-line no-restricted-syntax
export default telemetry;
