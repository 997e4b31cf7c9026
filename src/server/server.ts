/** Starts the ingest server: store, handler, listening socket and retention sweeps. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAdmin } from './admin.js';
import { createDashboard } from './dashboard/handler.js';
import { withForwarding } from './forward-otlp.js';
import { createIngestHandler } from './ingest.js';
import { httpServerOptions, resolveOptions, type ServerOptions } from './options.js';
import { startRetention } from './retention.js';
import { openStore, type Store } from './store.js';

export interface RunningServer {
  /** Base URL, e.g. `http://127.0.0.1:8787`; the native endpoint is `${url}/ingest`. */
  url: string;
  /** The bound port (the real one when `port` was 0). */
  port: number;
  store: Store;
  /** Stops listening, drops open connections and waits for queued writes. */
  close(): Promise<void>;
}

/** How long close() lets requests in flight finish before it closes their connections. */
export const CLOSE_GRACE_MS = 2_000;

export async function startServer(input: Partial<ServerOptions> = {}): Promise<RunningServer> {
  const options = resolveOptions(input);
  // Before the store opens: `delete` asks this server to do its work from now on (admin.ts).
  const admin = await startAdmin(options.dataDir, options.onError);
  const dashboard = createDashboard(options);
  const store = await openStore(options.dataDir, dashboard.onAppend);
  const forwarding = await withForwarding(options);
  admin.serve({ store, index: dashboard.index, removeSpooled: forwarding.forwarder?.removeItems });
  const ingest = createIngestHandler(forwarding.options, store);
  const server = createServer(
    httpServerOptions(options),
    (req, res) => void (dashboard.handle(req, res) || ingest(req, res)),
  );
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port, options.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    // Port taken: nothing may stay announced in `.admin.json` or hold the store.
    await Promise.all([admin.close(), store.close(), forwarding.close()]);
    throw error;
  }
  dashboard.start();
  const retention = startRetention(options);
  // Awaited so a caller (or test) sees expired files gone once the server is up.
  await retention.firstSweep;

  const { port } = server.address() as AddressInfo;
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    store,
    close() {
      closing ??= new Promise<void>((resolve) => {
        retention.stop();
        dashboard.close();
        // A connection that keeps sending (a live dashboard polling more often than the keep-alive
        // timeout) is never idle, so close() would wait for it as long as the tab stays open: after a
        // grace period every connection is closed. An ingest request cut there was not acknowledged,
        // so its client resends it and dedupe stores it once.
        const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        server.close(() => {
          clearTimeout(force);
          resolve();
        });
        // Idle keep-alive connections would otherwise hold close() open for seconds.
        server.closeIdleConnections();
      }).then(() => Promise.all([store.close(), forwarding.close(), admin.close()]).then(() => undefined));
      return closing;
    },
  };
}
