/**
 * Page lifecycle signals that should trigger a flush. `visibilitychange` to hidden is the last event
 * mobile browsers reliably fire; Safari may skip it on link navigation, so `pagehide` too.
 * `unload`/`beforeunload` are not used: unreliable, and they break the back/forward cache.
 *
 * `onLeave`: the page is hidden or going away, send now with keepalive. `onReturn`: the page is
 * visible again, or connectivity came back. Returns a function that removes exactly these listeners;
 * a no-op outside a browser page.
 */
export function watchLifecycle(onLeave: () => void, onReturn: () => void): () => void {
  if (typeof window === 'undefined' || typeof document === 'undefined') return () => {};
  const listeners: [EventTarget, string, () => void][] = [
    [document, 'visibilitychange', () => (document.visibilityState === 'hidden' ? onLeave : onReturn)()],
    [window, 'pagehide', onLeave],
    [window, 'online', onReturn],
  ];
  for (const [target, type, listener] of listeners) target.addEventListener(type, listener);
  return () => {
    for (const [target, type, listener] of listeners) target.removeEventListener(type, listener);
  };
}
