import { CONSENT_KEY } from './consent.js';

/**
 * Page lifecycle signals that should trigger a flush. `visibilitychange` to hidden is the last event
 * mobile browsers reliably fire; Safari may skip it on link navigation, so `pagehide` too.
 * `unload`/`beforeunload` are not used: unreliable, and they break the back/forward cache.
 *
 * `onLeave`: the page is hidden or going away, send now with keepalive. `onReturn`: the page is
 * visible again, or connectivity came back. `onOptOut`: another tab of this origin opted out (the
 * `storage` event fires in every other tab). Returns a function that removes exactly these
 * listeners; a no-op outside a browser page.
 */
export function watchLifecycle(onLeave: () => void, onReturn: () => void, onOptOut: () => void): () => void {
  if (typeof window === 'undefined' || typeof document === 'undefined') return () => {};
  const listeners: [EventTarget, string, (event: Event) => void][] = [
    [document, 'visibilitychange', () => (document.visibilityState === 'hidden' ? onLeave : onReturn)()],
    [window, 'pagehide', onLeave],
    [window, 'online', onReturn],
    [
      window,
      'storage',
      (event) => {
        const e = event as StorageEvent;
        if (e.key === CONSENT_KEY && e.newValue === 'out') onOptOut();
      },
    ],
  ];
  for (const [target, type, listener] of listeners) target.addEventListener(type, listener);
  return () => {
    for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
  };
}
