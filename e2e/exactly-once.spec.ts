/**
 * Exactly once in a real browser, against the real ingest server: the races that unit fakes cannot
 * show (a hide while IndexedDB is writing, two pages and the service worker on one outbox, opt-out
 * across tabs, more than the keepalive budget pending when a drain is already in flight).
 * Every test reads the JSONL lines the server wrote and counts each message.
 */
import {
  expect,
  hideAndReturn,
  openQuietApp,
  serviceWorkerReady,
  test,
  type Ingest,
  type StoredLine,
} from './fixtures.js';

function countByMessage(lines: StoredLine[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const l of lines) counts[String(l.message)] = (counts[String(l.message)] ?? 0) + 1;
  return counts;
}

const expected = (names: string[]) => Object.fromEntries(names.map((n) => [n, 1]));

/** Logs with a prefix, as the server stored them. */
async function stored(ingest: Ingest, prefix: string): Promise<StoredLine[]> {
  return (await ingest.lines('logs')).filter((l) => String(l.message).startsWith(prefix));
}

test('a hide while the outbox is being written stores every event once', async ({ page, app, ingest }) => {
  await openQuietApp(page, app, ingest);
  const names: string[] = [];
  for (let round = 0; round < 12; round++) {
    const batch = Array.from({ length: 5 }, (_, i) => `mid-persist ${round}.${i}`);
    names.push(...batch);
    // The persist timer (persistDelayMs, 1 s) fires first; the hide runs in the next task, while its
    // IndexedDB transaction is still open.
    await page.evaluate(
      (messages) =>
        new Promise<void>((resolve) => {
          for (const m of messages) window.__telemetry.log('info', m);
          setTimeout(() => {
            const set = (state: string) =>
              Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
            set('hidden');
            document.dispatchEvent(new Event('visibilitychange'));
            window.dispatchEvent(new Event('pagehide'));
            set('visible');
            resolve();
          }, 1_000);
        }),
      batch,
    );
  }
  await page.evaluate(() => window.__telemetry.flush());
  await expect.poll(async () => (await stored(ingest, 'mid-persist')).length).toBe(names.length);
  await page.evaluate(() => window.__telemetry.flush());
  await page.waitForTimeout(500);
  expect(countByMessage(await stored(ingest, 'mid-persist'))).toEqual(expected(names));
  await expect.poll(() => page.evaluate(() => window.__telemetry.status())).toMatchObject({ queued: 0 });
});

test('two pages and the service worker draining one outbox store each event once', async ({
  context,
  app,
  ingest,
}) => {
  const a = await context.newPage();
  const b = await context.newPage();
  await openQuietApp(a, app, ingest);
  await openQuietApp(b, app, ingest);
  await serviceWorkerReady(a);
  // While the server is unreachable both pages fill the shared outbox.
  app.setDown(true);
  const names: string[] = [];
  for (const [page, tab] of [
    [a, 'A'],
    [b, 'B'],
  ] as const) {
    const batch = Array.from({ length: 60 }, (_, i) => `shared ${tab}${i}`);
    names.push(...batch);
    await page.evaluate(async (messages) => {
      for (const m of messages) window.__telemetry.log('info', m, { pad: 'x'.repeat(300) });
      await window.__telemetry.flush();
    }, batch);
  }
  await expect.poll(() => a.evaluate(() => window.__telemetry.status().queued)).toBeGreaterThanOrEqual(120);
  // Back up: both pages and the worker's sync drain at once.
  app.setDown(false);
  await Promise.all([
    a.evaluate(() => window.__telemetry.flush()),
    b.evaluate(() => window.__telemetry.flush()),
    a.evaluate(async () => {
      const registration = await navigator.serviceWorker.ready;
      await (
        registration as ServiceWorkerRegistration & { sync: { register(tag: string): Promise<void> } }
      ).sync.register('pwa-telemetry-drain');
    }),
    a.evaluate(() => window.__telemetry.flush()),
    b.evaluate(() => window.__telemetry.flush()),
  ]);
  await expect
    .poll(async () => (await stored(ingest, 'shared ')).length, { timeout: 20_000 })
    .toBe(names.length);
  await a.waitForTimeout(1_000);
  expect(countByMessage(await stored(ingest, 'shared '))).toEqual(expected(names));
  // No batch went out twice either: the dedupe had nothing to do.
  const ids = app.requests.filter((r) => r.status === 200).map((r) => r.body?.batchId);
  expect(new Set(ids).size).toBe(ids.length);
});

test('opting out in one tab stops the other tab and the service worker', async ({ context, app, ingest }) => {
  const a = await context.newPage();
  const b = await context.newPage();
  await openQuietApp(a, app, ingest);
  await openQuietApp(b, app, ingest);
  await serviceWorkerReady(a);
  app.setDown(true);
  await b.evaluate(async () => {
    window.__telemetry.log('info', 'opt-out: queued before');
    await window.__telemetry.flush();
  });
  await a.evaluate(() => window.__telemetry.optOut());
  // Tab B hears it (the storage event) and stops; what it logs now is not recorded.
  await expect.poll(() => b.evaluate(() => window.__telemetry.isEnabled())).toBe(false);
  await b.evaluate(async () => {
    window.__telemetry.log('info', 'opt-out: after');
    await window.__telemetry.flush();
  });
  app.setDown(false);
  // The worker reads the choice beside the outbox: its sync sends nothing.
  await a.evaluate(async () => {
    const registration = await navigator.serviceWorker.ready;
    await (
      registration as ServiceWorkerRegistration & { sync: { register(tag: string): Promise<void> } }
    ).sync.register('pwa-telemetry-drain');
  });
  await b.evaluate(() => window.__telemetry.flush());
  await a.waitForTimeout(2_000);
  expect(await stored(ingest, 'opt-out')).toEqual([]);
  // And a reload stays opted out.
  await b.reload();
  await b.waitForFunction(() => typeof window.__telemetry === 'object');
  expect(await b.evaluate(() => window.__telemetry.isEnabled())).toBe(false);
});

test('more than 64 KiB pending at leave, with a drain in flight, arrives exactly once', async ({
  page,
  app,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  const names = Array.from({ length: 200 }, (_, i) => `leave ${i}`);
  // The first drain's requests stall (the server answers 503 after the page is gone), so a drain is in
  // flight when the page leaves with about 130 KB more than one keepalive budget.
  app.failNext(2, 503);
  await page.evaluate((messages) => {
    for (const m of messages) window.__telemetry.log('info', m, { pad: 'é'.repeat(300) });
    void window.__telemetry.flush();
  }, names);
  await page.goto('about:blank');
  // What went with keepalive at unload arrives; the rest waits in the outbox, due at once. Which
  // requests meet the two 503s is a race: when the unload sends do (the drain had not sent yet), their
  // batches stay claimed by the gone page for the 60 s unload lease, then the next page sends them.
  test.setTimeout(120_000);
  await openQuietApp(page, app, ingest);
  await expect
    .poll(async () => (await stored(ingest, 'leave ')).length, { timeout: 80_000 })
    .toBe(names.length);
  await page.evaluate(() => window.__telemetry.flush());
  expect(countByMessage(await stored(ingest, 'leave '))).toEqual(expected(names));
});

test('hiding the page sends what it holds and the page keeps working', async ({ page, app, ingest }) => {
  await openQuietApp(page, app, ingest);
  await page.evaluate(() => window.__telemetry.log('info', 'before hide'));
  await hideAndReturn(page);
  await page.evaluate(() => window.__telemetry.log('info', 'after hide'));
  await page.evaluate(() => window.__telemetry.flush());
  await expect
    .poll(async () => countByMessage(await ingest.lines('logs')))
    .toEqual({ 'before hide': 1, 'after hide': 1 });
});
