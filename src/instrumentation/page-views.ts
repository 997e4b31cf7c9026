import type { Telemetry } from '../telemetry/client.js';

/**
 * Page views: the initial load and every SPA navigation (History API `pushState` / `replaceState`,
 * `popstate`, and the Navigation API's `navigatesuccess` where the browser has it), as a log
 * `page_view` with the path only: no query, no fragment values, no origin (the URL of every log already
 * carries it). The same path twice in a row (a `replaceState` that only changes the query, a
 * Navigation API event after a `pushState`) is one view.
 */

/** Options of `trackPageViews`. */
export interface PageViewOptions {
  /**
   * Count hash changes (`#/route`) as views too, for apps that route on the fragment: the route goes
   * in `route` (`/route`), never what follows a `?` in it.
   * @default false
   */
  hashRoutes?: boolean;
}

type HistoryMethod = 'pushState' | 'replaceState';

interface NavigationLike extends EventTarget {
  readonly currentEntry?: { url?: string | null } | null;
}

/** Records page views; returns a function that removes exactly what it installed. */
export function trackPageViews(telemetry: Telemetry, options: PageViewOptions = {}): () => void {
  try {
    if (!telemetry.isConfigured() || typeof window === 'undefined' || typeof location === 'undefined') {
      return () => {};
    }
    let last: string | undefined;
    let views = 0;
    const view = (from: string): void => {
      try {
        const path = location.pathname;
        // The fragment's route without its `#` (a fragment reads as data to the privacy step).
        const route = options.hashRoutes ? location.hash.slice(1).split('?')[0]! : undefined;
        const key = `${path}#${route ?? ''}`;
        if (key === last) return;
        last = key;
        views++;
        telemetry.log('info', 'page_view', {
          path,
          ...(route === undefined ? {} : { route }),
          navigation: from,
          views,
        });
      } catch {
        // a view that cannot be read is not worth an error
      }
    };

    // History API: wrapped, and restored only if nobody wrapped it after us.
    const originals = new Map<HistoryMethod, History[HistoryMethod]>();
    const wrappers = new Map<HistoryMethod, History[HistoryMethod]>();
    for (const method of ['pushState', 'replaceState'] as const) {
      // Called with `history` as `this`, as the page would call it.
      // eslint-disable-next-line @typescript-eslint/unbound-method
      const original = history[method];
      const wrapper = function (this: History, ...args: Parameters<History[HistoryMethod]>) {
        const result = original.apply(this, args);
        view(method === 'pushState' ? 'push' : 'replace');
        return result;
      };
      originals.set(method, original);
      wrappers.set(method, wrapper);
      history[method] = wrapper;
    }
    const onPop = (): void => view('back_forward');
    const onHash = (): void => view('hash');
    window.addEventListener('popstate', onPop);
    if (options.hashRoutes) window.addEventListener('hashchange', onHash);
    const navigation = (globalThis as { navigation?: NavigationLike }).navigation;
    const onNavigate = (): void => view('navigation');
    navigation?.addEventListener('navigatesuccess', onNavigate);

    view('load');
    return () => {
      for (const [method, original] of originals) {
        if (history[method] === wrappers.get(method)) history[method] = original;
      }
      window.removeEventListener('popstate', onPop);
      window.removeEventListener('hashchange', onHash);
      navigation?.removeEventListener('navigatesuccess', onNavigate);
    };
  } catch {
    return () => {};
  }
}
