/**
 * Page lifecycle signals that should trigger a flush. `visibilitychange` to hidden is the last event
 * mobile browsers reliably fire; Safari may skip it on link navigation, so `pagehide` too.
 * `unload`/`beforeunload` are not used: unreliable, and they break the back/forward cache.
 */
export interface LifecycleHandlers {
  /** The page is hidden or going away: send now with keepalive. */
  onLeave: () => void;
  /** The page is visible again, or connectivity came back. */
  onReturn: () => void;
}

/** Adds the listeners and returns a function that removes exactly them. No-op outside a browser page. */
export function watchLifecycle(handlers: LifecycleHandlers): () => void {
  if (typeof window === 'undefined' || typeof document === 'undefined') return () => {};
  const onVisibility = (): void => {
    if (document.visibilityState === 'hidden') handlers.onLeave();
    else handlers.onReturn();
  };
  const onPageHide = (): void => handlers.onLeave();
  const onOnline = (): void => handlers.onReturn();
  document.addEventListener('visibilitychange', onVisibility);
  window.addEventListener('pagehide', onPageHide);
  window.addEventListener('online', onOnline);
  return () => {
    document.removeEventListener('visibilitychange', onVisibility);
    window.removeEventListener('pagehide', onPageHide);
    window.removeEventListener('online', onOnline);
  };
}
