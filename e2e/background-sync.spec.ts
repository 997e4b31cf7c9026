/**
 * Background Sync (src/app/background-sync.ts, src/app/sw.ts): the service worker delivers the telemetry
 * outbox when connectivity returns after every tab of the app was closed, against the real ingest server.
 *
 * Playwright's `context.setOffline` reaches the worker too, and Chromium honours it for Background Sync:
 * a sync registered while the worker is offline waits, and fires when the context is back online.
 * (This file sorts first so that its one-minute test starts first and runs beside the others.)
 */
import { expect, openQuietApp, serviceWorkerReady, test } from './fixtures.js';

const SYNC_TAG = 'pwa-telemetry-drain';

test("the service worker's background sync delivers a batch queued offline after the page was closed", async ({
  page,
  context,
  app,
  ingest,
}) => {
  // A page closed while offline leaves its failed unload send claimed for the claim lease (60 s), and the
  // worker waits it out (src/app/sw.ts): this test takes a minute.
  test.slow();
  // Start from an empty outbox: a sync that fires while going offline then has nothing to fail on.
  await openQuietApp(page, app, ingest);
  await serviceWorkerReady(page);
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker'));

  // Playwright's offline emulation does not reach a keepalive request that outlives its page: take
  // /ingest down as well, so that the page's unload send cannot deliver.
  await context.setOffline(true);
  app.setDown(true);
  await page.evaluate(() => {
    window.__telemetry.log('info', 'queued offline');
    window.__telemetry.metric('queued.offline', 1);
  });
  // In IndexedDB (the client persists within a second), not only in the page's memory.
  await expect
    .poll(() => page.evaluate(() => window.__telemetry.status()))
    .toMatchObject({ buffered: 0, queued: 2 });
  // The page asked for the sync (src/app/background-sync.ts); offline, the browser holds it back.
  await expect
    .poll(() =>
      worker.evaluate(() =>
        (
          self as unknown as { registration: { sync: { getTags(): Promise<string[]> } } }
        ).registration.sync.getTags(),
      ),
    )
    .toContain(SYNC_TAG);

  await page.close();
  expect(context.pages()).toEqual([]);
  expect(await ingest.lines('logs')).toEqual([]);

  // Back online with no page of the app open: only the worker can deliver.
  app.setDown(false);
  await context.setOffline(false);
  await expect
    .poll(async () => (await ingest.lines('logs')).map((l) => l.message), { timeout: 90_000 })
    .toEqual(['queued offline']);
  await expect
    .poll(async () => (await ingest.lines('metrics')).filter((m) => m.name === 'queued.offline').length)
    .toBe(1);

  const delivered = app.requests.filter(
    (r) =>
      r.status === 200 &&
      (r.body?.logs as { message: string }[] | undefined)?.some((l) => l.message === 'queued offline'),
  );
  expect(delivered).toHaveLength(1);
  expect(delivered[0]).toMatchObject({
    // Sent by the worker: its fetches carry the worker script as referrer.
    referer: new URL('sw.js', app.url).href,
    contentType: 'application/json',
    tokenHeader: 'e2e-token',
    body: { resource: { app: 'pwa-telemetry-demo', version: '0.1.0' } },
  });
});
