import { afterEach, describe, expect, it } from 'vitest';
import { trackPageViews } from '../../src/instrumentation/page-views.js';
import { createTelemetry } from '../../src/telemetry/client.js';
import { cleanups, ENDPOINT, sent, wiredClient } from './helpers.js';

const after = cleanups();
afterEach(async () => {
  await after.run();
  history.replaceState(null, '', '/');
});

const views = async (client: Parameters<typeof sent>[0]) =>
  (await sent(client)).logs.filter((l) => l.message === 'page_view').map((l) => l.context);

describe('trackPageViews', () => {
  it('records the load and each SPA navigation with the path only, once per path', async () => {
    history.replaceState(null, '', '/start');
    const client = wiredClient(after);
    after.add(trackPageViews(client.telemetry));
    history.pushState(null, '', '/quiz/7?token=secret#answer');
    history.replaceState(null, '', '/quiz/7?page=2'); // same path: the same view
    history.pushState(null, '', '/results');
    history.replaceState(null, '', '/quiz/7');
    window.dispatchEvent(new PopStateEvent('popstate'));
    history.pushState(null, '', '/users/jane@example.com');
    expect(await views(client)).toEqual([
      { path: '/start', navigation: 'load', views: 1 },
      { path: '/quiz/7', navigation: 'push', views: 2 },
      { path: '/results', navigation: 'push', views: 3 },
      { path: '/quiz/7', navigation: 'replace', views: 4 },
      // The privacy step scrubs paths like any string.
      { path: '/users/[email]', navigation: 'push', views: 5 },
    ]);
  });

  it('counts hash routes when asked, without what follows a ? in the fragment', async () => {
    history.replaceState(null, '', '/app#/home');
    const client = wiredClient(after);
    after.add(trackPageViews(client.telemetry, { hashRoutes: true }));
    history.replaceState(null, '', '/app#/settings?tab=privacy');
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(await views(client)).toEqual([
      { path: '/app', route: '/home', navigation: 'load', views: 1 },
      { path: '/app', route: '/settings', navigation: 'replace', views: 2 },
    ]);
  });

  it('restores the History API when removed, and installs nothing for a disabled client', async () => {
    const current = (): unknown => (history as unknown as Record<string, unknown>).pushState;
    const push = current();
    const client = wiredClient(after);
    const remove = trackPageViews(client.telemetry);
    expect(current()).not.toBe(push);
    remove();
    expect(current()).toBe(push);
    trackPageViews(createTelemetry({ sessionEvents: false, endpoint: ENDPOINT, enabled: false }))();
    expect(current()).toBe(push);
    history.pushState(null, '', '/after-removal');
    expect(await views(client)).toEqual([{ path: '/', navigation: 'load', views: 1 }]);
  });
});
