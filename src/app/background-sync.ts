/**
 * Background Sync for the telemetry outbox, page side. Where the browser has it (Chromium), the page
 * asks for a one-off sync with tag `pwa-telemetry-drain` when it goes offline, again every few seconds
 * while it is offline with undelivered events, and when it is hidden with undelivered events. The
 * browser then wakes the service worker (src/app/sw.ts) once connectivity is back, even if every tab
 * of the app has been closed by then, and the worker drains the outbox. Elsewhere the next page load
 * drains it (the client does that at start-up).
 *
 * Nothing here ever throws: a failed registration only means the next page load delivers instead.
 */
import type { Telemetry } from '../telemetry/index.js';

/** The sync tag the page registers and the service worker answers. */
export const DRAIN_SYNC_TAG = 'pwa-telemetry-drain';

/** While offline with undelivered events, the sync is asked for again this often. */
export const OFFLINE_RESYNC_MS = 3_000;

/** `ServiceWorkerRegistration.sync` (Background Sync), which TypeScript's DOM types do not have. */
interface SyncManagerLike {
  register(tag: string): Promise<void>;
}

function syncManager(registration: ServiceWorkerRegistration | undefined): SyncManagerLike | undefined {
  try {
    if (!registration || !('sync' in registration)) return undefined;
    const sync = (registration as ServiceWorkerRegistration & { sync?: SyncManagerLike }).sync;
    return sync && typeof sync.register === 'function' ? sync : undefined;
  } catch {
    return undefined;
  }
}

/** Asks for a drain sync now; resolves false when Background Sync is missing or refused. Never rejects. */
export async function requestDrainSync(
  registration: ServiceWorkerRegistration | undefined,
): Promise<boolean> {
  try {
    const sync = syncManager(registration);
    if (!sync) return false;
    await sync.register(DRAIN_SYNC_TAG);
    return true;
  } catch {
    // No active worker yet, permission denied, or the page is being torn down.
    return false;
  }
}

/**
 * Registers the drain sync on `offline`; every `OFFLINE_RESYNC_MS` while offline, and on
 * `visibilitychange` to hidden, when `telemetry` has events buffered, queued in the outbox or in flight.
 * `registration` is the app's service worker registration once active (`navigator.serviceWorker.ready`),
 * or undefined when there is none.
 *
 * Why again while offline: registering a tag that is already waiting changes nothing, but a sync can be
 * used up early (fired on a flaky connection, or by a network change the page saw before the worker
 * did), and the events logged after it need one of their own. A registration made while the tab is
 * being closed often never reaches the browser (measured in Chromium 156), so the page does not count
 * on its last moments.
 *
 * Does nothing while telemetry is off (nothing would be queued). Returns a function that removes the
 * listeners and the timer.
 */
export function watchDrainSync(
  telemetry: Pick<Telemetry, 'isConfigured' | 'status'>,
  registration: Promise<ServiceWorkerRegistration | undefined>,
): () => void {
  try {
    if (!telemetry.isConfigured() || typeof window === 'undefined' || typeof document === 'undefined') {
      return () => {};
    }
    // Kept once known, so a hide can register synchronously: the page may not live to await anything.
    let ready: ServiceWorkerRegistration | undefined;
    registration.then(
      (r) => (ready = r),
      () => undefined,
    );
    const request = (): void => void requestDrainSync(ready);
    const requestIfPending = (): void => {
      try {
        const s = telemetry.status();
        if (s.buffered + s.queued + s.inFlight > 0) request();
      } catch {
        // status() does not throw, but a listener must never throw either way.
      }
    };
    let timer: ReturnType<typeof setInterval> | undefined;
    const onOffline = (): void => {
      request();
      timer ??= setInterval(requestIfPending, OFFLINE_RESYNC_MS);
    };
    const onOnline = (): void => {
      clearInterval(timer);
      timer = undefined;
    };
    const onVisibility = (): void => {
      if (document.visibilityState === 'hidden') requestIfPending();
    };
    window.addEventListener('offline', onOffline);
    window.addEventListener('online', onOnline);
    document.addEventListener('visibilitychange', onVisibility);
    // Opened offline (from the worker's cache).
    if (navigator.onLine === false) onOffline();
    return () => {
      onOnline();
      window.removeEventListener('offline', onOffline);
      window.removeEventListener('online', onOnline);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  } catch {
    return () => {};
  }
}
