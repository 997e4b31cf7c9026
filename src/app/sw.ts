/**
 * The demo app's service worker, served at `/sw.js` (built by vite.config.ts as one classic script).
 *
 * - Offline: the app shell (every file of the build and of public/) is precached at install; built
 *   assets are served cache-first, navigations network-first with the cached page as fallback.
 *   `/ingest` (telemetry) and `/api/` are never handled or cached: they always go to the network.
 * - Telemetry: where Background Sync exists, the page registers the sync `pwa-telemetry-drain`
 *   (src/app/background-sync.ts); the browser fires it here once connectivity is back, even after every
 *   tab of the app was closed. The worker then creates a telemetry client of its own, which drains the
 *   shared IndexedDB outbox at start-up: it claims each batch in one transaction, so a batch is sent
 *   once even when a page drains at the same time.
 */
import { createTelemetry, fromViteEnv } from '../telemetry/index.js';
import { APP_NAME, APP_VERSION } from './app-info.js';
import { DRAIN_SYNC_TAG, requestDrainSync } from './background-sync.js';
import { drainUntilEmpty } from './drain-outbox.js';
import { FEATURES } from './features.js';

/** Set by vite.config.ts at build time: URLs to precache, and a hash of their contents. */
declare const __APP_SHELL__: string[];
declare const __SHELL_VERSION__: string;

// Service worker types, which TypeScript only has in its WebWorker lib (it conflicts with the DOM lib
// the rest of the app is checked with); just what this file uses.
interface ExtendableEventLike extends Event {
  waitUntil(promise: Promise<unknown>): void;
}
interface FetchEventLike extends ExtendableEventLike {
  readonly request: Request;
  respondWith(response: Response | Promise<Response>): void;
}
interface SyncEventLike extends ExtendableEventLike {
  readonly tag: string;
  readonly lastChance: boolean;
}
/** A Service Worker static routing rule (Chromium 123+): matching requests never reach the worker. */
interface RouterRule {
  condition: { urlPattern: unknown };
  source: 'network';
}
interface InstallEventLike extends ExtendableEventLike {
  addRoutes?(rules: RouterRule[]): Promise<void>;
}
interface WorkerScope {
  readonly location: Location;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  addEventListener(type: 'install', listener: (event: InstallEventLike) => void): void;
  addEventListener(type: 'activate', listener: (event: ExtendableEventLike) => void): void;
  addEventListener(type: 'fetch', listener: (event: FetchEventLike) => void): void;
  addEventListener(type: 'sync', listener: (event: SyncEventLike) => void): void;
}

const worker = self as unknown as WorkerScope;

const CACHE_PREFIX = 'pwa-telemetry-demo-shell-';
const CACHE = CACHE_PREFIX + __SHELL_VERSION__;
/** Paths the worker leaves to the network: telemetry (native and OTLP) and the API. Never cached. */
const NETWORK_ONLY = ['/ingest', '/v1/*', '/api/*'];
const NETWORK_ONLY_RE = [/^\/ingest$/, /^\/v1\//, /^\/api\//];

/**
 * Sends the network-only paths around the worker entirely, where the browser supports static routing.
 * A fetch handler that merely declines a request still sits in its way: the browser has to start the
 * worker and dispatch the event first, and a keepalive telemetry send made while its page unloads can be
 * lost when the page is gone before the event has declined it (measured in Chromium 156: the unload
 * sends of a page navigating away were lost in about half the runs).
 */
async function addNetworkRoutes(event: InstallEventLike): Promise<void> {
  const Pattern = (globalThis as { URLPattern?: new (init: { pathname: string }) => unknown }).URLPattern;
  if (typeof event.addRoutes !== 'function' || typeof Pattern !== 'function') return;
  try {
    await event.addRoutes(
      NETWORK_ONLY.map((pathname) => ({
        condition: { urlPattern: new Pattern({ pathname }) },
        source: 'network',
      })),
    );
  } catch {
    // Unsupported rule syntax in this browser: the fetch handler below declines these paths anyway.
  }
}

worker.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      await addNetworkRoutes(event);
      const cache = await caches.open(CACHE);
      // `cache: 'reload'` skips the HTTP cache: the shell must be the files of this deploy.
      await cache.addAll(__APP_SHELL__.map((url) => new Request(url, { cache: 'reload' })));
      await worker.skipWaiting();
    })(),
  );
});

worker.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) {
        if (key.startsWith(CACHE_PREFIX) && key !== CACHE) await caches.delete(key);
      }
      // Control the page that registered us at once, so it works offline from its first visit.
      await worker.clients.claim();
    })(),
  );
});

async function networkFirst(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.ok) await cache.put(request, response.clone());
    return response;
  } catch (error) {
    // Offline: this page as last seen, else the app shell (a single-page app answers every path).
    const cached = (await cache.match(request)) ?? (await cache.match('/'));
    if (cached) return cached;
    throw error;
  }
}

async function cacheFirst(request: Request): Promise<Response> {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

worker.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== worker.location.origin) return;
  if (NETWORK_ONLY_RE.some((pattern) => pattern.test(url.pathname))) return;
  event.respondWith(request.mode === 'navigate' ? networkFirst(request) : cacheFirst(request));
});

/** How long one sync event waits for batches that are due later (a backoff, an unload lease). */
const SYNC_BUDGET_MS = 90_000;
const RECHECK_MS = 5_000;

/**
 * Delivers what the pages left in the outbox. The worker records nothing of its own, so it only needs
 * the build's switch, endpoint and token: the feature flag's per-user part (BETA users, from
 * localStorage, which workers lack) and sampling were decided by the pages that queued the events; an
 * opted-out user's choice is stored beside the outbox, where the worker's client reads it before
 * every send.
 *
 * It resolves only once the outbox is empty. Batches that are due later (a retry backoff, a
 * Retry-After pause, a dead page's unload lease) are waited for within SYNC_BUDGET_MS; past that, or
 * when sends keep failing, it rejects, so the browser fires the sync again later. On the browser's
 * last try the worker registers a new sync, so the outbox is never left without one.
 */
async function drainOutbox(lastChance: boolean): Promise<void> {
  const client = createTelemetry({
    ...fromViteEnv(import.meta.env),
    app: APP_NAME,
    version: APP_VERSION,
    featureFlag: () => FEATURES.TELEMETRY !== 'DISABLED',
    sampleRate: 1,
    captureUrl: false,
  });
  if (!client.isEnabled()) return;
  try {
    await drainUntilEmpty(client, { budgetMs: SYNC_BUDGET_MS, recheckMs: RECHECK_MS });
  } catch (error) {
    if (lastChance) await renewSync();
    throw error;
  } finally {
    await client.shutdown();
  }
}

/** Registers the drain sync again from the worker (the browser gives up on a sync after a few tries). */
async function renewSync(): Promise<void> {
  try {
    const registration = (self as unknown as { registration?: ServiceWorkerRegistration }).registration;
    await requestDrainSync(registration);
  } catch {
    // nothing more the worker can do: the next page load drains
  }
}

worker.addEventListener('sync', (event) => {
  if (event.tag === DRAIN_SYNC_TAG) event.waitUntil(drainOutbox(event.lastChance));
});
