/**
 * The demo app's service worker (src/app/sw.ts): installability and the offline app shell. Its
 * Background Sync drain is in e2e/background-sync.spec.ts.
 */
import { expect, openApp, serviceWorkerReady, test } from './fixtures.js';

test('the app is installable, caches its shell and works offline', async ({ page, context, app, ingest }) => {
  await openApp(page, app);
  await serviceWorkerReady(page);

  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = (await cdp.send('Page.getInstallabilityErrors')) as {
    installabilityErrors: { errorId: string }[];
  };
  // Playwright's contexts are incognito, where Chromium installs nothing; that is the only objection.
  expect(installabilityErrors.filter((e) => e.errorId !== 'in-incognito')).toEqual([]);

  // The shell: the page, the built assets, the manifest and icons; never telemetry or API requests.
  const cached = await page.evaluate(async () => {
    const urls: string[] = [];
    for (const name of await caches.keys()) {
      for (const request of await (await caches.open(name)).keys()) urls.push(new URL(request.url).pathname);
    }
    return urls;
  });
  expect(cached).toEqual(
    expect.arrayContaining(['/', '/manifest.webmanifest', '/icon-192.png', '/icon-512.png']),
  );
  expect(cached.some((u) => /^\/assets\/index-[\w-]+\.js$/.test(u))).toBe(true);
  expect(cached.filter((u) => u.startsWith('/ingest') || u.startsWith('/api/'))).toEqual([]);

  // Offline, the app still loads (from the cache) and records into its outbox.
  await context.setOffline(true);
  await page.reload();
  await page.waitForFunction(() => typeof window.__telemetry === 'object');
  await expect(page.locator('h1')).toHaveText('pwa-telemetry demo');
  await page.locator('#log-info').click();
  await expect
    .poll(() => page.evaluate(() => window.__telemetry.status()))
    .toMatchObject({ enabled: true, storage: 'indexeddb', buffered: 0 });
  await expect.poll(() => page.evaluate(() => window.__telemetry.status().queued)).toBeGreaterThan(0);

  // And it catches up once back online. A page loaded while Playwright emulates offline never hears
  // `online`: the worker's Background Sync delivers, taking the live page's open entry once it is
  // OPEN_GRACE_MS old (src/telemetry/outbox-ops.ts), on its next look 5 s later.
  await context.setOffline(false);
  await expect
    .poll(async () => (await ingest.lines('logs')).map((l) => l.message), { timeout: 30_000 })
    .toEqual(['Button clicked']);
});
