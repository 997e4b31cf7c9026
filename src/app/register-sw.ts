/**
 * Registers the app's service worker (`/sw.js`, built from src/app/sw.ts by vite.config.ts) in
 * production builds. The dev server has no worker: a cache-first worker there would serve stale modules.
 */

/** Where the production build puts the worker: the site root, so its scope is the whole app. */
export const SERVICE_WORKER_URL = '/sw.js';

/**
 * Registers the worker after the page has loaded (so it does not compete with the page's own requests)
 * and resolves with the registration once a worker is active, or undefined where there is none (no
 * support, dev server, registration failed). Never rejects.
 */
export function registerServiceWorker(): Promise<ServiceWorkerRegistration | undefined> {
  try {
    if (!import.meta.env.PROD || typeof navigator === 'undefined' || !('serviceWorker' in navigator)) {
      return Promise.resolve(undefined);
    }
    const container = navigator.serviceWorker;
    const loaded =
      document.readyState === 'complete'
        ? Promise.resolve()
        : new Promise<void>((resolve) => window.addEventListener('load', () => resolve(), { once: true }));
    return loaded
      .then(() => container.register(SERVICE_WORKER_URL, { scope: '/' }))
      .then(() => container.ready)
      .catch(() => undefined);
  } catch {
    return Promise.resolve(undefined);
  }
}
