/**
 * The fault matrix, page side (README "Fault matrix"): offline periods, reloads, closed tabs,
 * navigations with more than the keepalive budget pending, two tabs at once, and IndexedDB missing or
 * full, against the real ingest server behind the fault proxy (e2e/fault-fixtures.ts).
 *
 * Where a page is gone, its own `status()` is gone with it: the row checks the page before it leaves,
 * and the next page (nothing left queued, nothing dropped, and its `sent` equal to the events the
 * server acknowledged to it).
 */
import type { Page } from '@playwright/test';
import { hideAndReturn, openApp, openQuietApp } from './fixtures.js';
import type { FaultProxy } from './fault-proxy.js';
import {
  baseline,
  countLogs,
  expect,
  expectSettled,
  logAll,
  names,
  once,
  storedEvents,
  dumpOutbox,
  test,
} from './fault-fixtures.js';

const flush = (page: Page): Promise<void> => page.evaluate(() => window.__telemetry.flush());
const status = (page: Page) => page.evaluate(() => window.__telemetry.status());

/** Makes the page look hidden (as when the user switches tabs) and leaves it so. */
const hide = (page: Page): Promise<void> =>
  page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
    document.dispatchEvent(new Event('visibilitychange'));
  });

/**
 * Batches a gone page sent with keepalive as it left and recorded as claimed: the next page leaves
 * them alone for the claim lease (60 s, src/telemetry/sender.ts) rather than send them twice.
 */
async function leasedAtUnload(page: Page): Promise<{ count: number; batchIds: string[] }> {
  const metas = (await dumpOutbox(page)) as { claimKind?: string; count: number; batchId: string }[];
  const leased = metas.filter((m) => m.claimKind === 'unload');
  return { count: leased.reduce((n, m) => n + m.count, 0), batchIds: leased.map((m) => m.batchId) };
}

/**
 * Checks the page opened after another one went away: once flushed, it holds nothing buffered or in
 * flight, and nothing queued but the batches the gone page already delivered at unload (waiting out
 * their lease); it dropped nothing; and its `sent` is exactly the events of the batches the server
 * accepted from it (its requests after `fromRequest`; the gone page's keepalive sends are `text/plain`).
 */
async function expectNextPageSettled(page: Page, faults: FaultProxy, fromRequest: number): Promise<void> {
  await expect
    .poll(async () => {
      await flush(page);
      const s = await status(page);
      return s.buffered + s.queued + s.inFlight - (await leasedAtUnload(page)).count;
    })
    .toBe(0);
  for (const id of (await leasedAtUnload(page)).batchIds)
    expect(faults.requests.some((r) => r.batchId === id && r.unload && r.status === 200)).toBe(true);
  const s = await status(page);
  expect(Object.values(s.dropped).every((n) => n === 0)).toBe(true);
  const accepted = faults.requests.slice(fromRequest).filter((r) => !r.unload && r.status === 200);
  expect(s.sent).toBe(accepted.reduce((n, r) => n + r.events, 0));
}

/** Waits until the gone page's keepalive sends since `fromRequest` have arrived and been answered. */
async function unloadSends(faults: FaultProxy, fromRequest: number) {
  const sends = () => faults.requests.slice(fromRequest).filter((r) => r.unload);
  await expect.poll(() => sends().length > 0 && sends().every((r) => r.outcome !== 'pending')).toBe(true);
  return sends();
}

test('offline, then online: everything logged offline arrives once', async ({
  page,
  context,
  app,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  const from = await baseline([page], ingest);
  await context.setOffline(true);
  const list = names('offline ', 25);
  await logAll(page, list.slice(0, 15));
  // A hide while offline: the unload send is not even tried, the outbox is written instead.
  await hideAndReturn(page);
  await logAll(page, list.slice(15));
  await expect
    .poll(async () => (await status(page)).queued, { message: 'events in the outbox' })
    .toBeGreaterThanOrEqual(list.length);
  expect(await countLogs(ingest, 'offline ')).toEqual({});

  await context.setOffline(false);
  await expectSettled([page], ingest, from, { prefix: 'offline ', names: list });
});

test('offline, reload, online: the next page load delivers what the first one stored', async ({
  page,
  context,
  app,
  faults,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  const storedBefore = (await storedEvents(ingest)).length;
  // Playwright's offline emulation does not reach a keepalive send that outlives its page: take the
  // ingest path down too.
  await context.setOffline(true);
  app.setDown(true);
  const list = names('reloaded ', 12);
  await logAll(page, list);
  await expect.poll(async () => (await status(page)).queued).toBeGreaterThanOrEqual(list.length);
  await page.reload().catch(() => undefined);
  expect(await page.evaluate(() => typeof window.__telemetry)).toBe('undefined');
  expect((await storedEvents(ingest)).length).toBe(storedBefore);

  app.setDown(false);
  await context.setOffline(false);
  const fromRequest = faults.requests.length;
  await openApp(page, app);
  // The new page is the only sender left: its status covers everything stored since.
  await expectSettled(
    [page],
    ingest,
    { sent: 0, stored: storedBefore },
    { prefix: 'reloaded ', names: list },
  );
  await expectNextPageSettled(page, faults, fromRequest);
});

test('tab closed while hidden: what it logged before and while hidden arrives once', async ({
  page,
  context,
  app,
  faults,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  const from = await baseline([page], ingest);
  const before = names('hidden before ', 5);
  const during = names('hidden during ', 5);
  await logAll(page, before);
  await hide(page);
  await expect.poll(() => countLogs(ingest, 'hidden before ')).toEqual(once(before));
  // The hide's keepalive send was answered while the page lived: its status agrees.
  await expect.poll(async () => (await status(page)).inFlight).toBe(0);
  expect((await status(page)).sent - from.sent).toBe((await storedEvents(ingest)).length - from.stored);

  // Still hidden (a timer, a message from the service worker), then the user closes the tab.
  await logAll(page, during);
  await page.close();
  await expect.poll(() => countLogs(ingest, 'hidden ')).toEqual(once([...before, ...during]));
  const closedBy = faults.requests.filter((r) => r.messages.includes('hidden during 0'));
  expect(closedBy.map((r) => [r.unload, r.status])).toEqual([[true, 200]]);

  // The next page finds nothing left behind and sends nothing again.
  const next = await context.newPage();
  const fromRequest = faults.requests.length;
  await openApp(next, app);
  await expectNextPageSettled(next, faults, fromRequest);
  expect(await countLogs(ingest, 'hidden ')).toEqual(once([...before, ...during]));
});

test('more than 64 KiB pending when navigating away: all of it arrives once', async ({
  page,
  app,
  faults,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  // Nine events of about 8 KB (under a batch): about 74 KB written to the outbox but not sent yet
  // when the page goes, more than one keepalive budget. (Held only in memory, see the fixme below.)
  const list = names('leaving ', 9);
  const context = Object.fromEntries(
    Array.from({ length: 8 }, (_, i) => [`k${i}`, `${i} lorem ipsum dolor sit amet `.repeat(36)]),
  );
  await logAll(page, list, context);
  await expect.poll(() => status(page)).toMatchObject({ buffered: 0, queued: list.length, inFlight: 0 });
  const fromRequest = faults.requests.length;
  await page.goto('about:blank');
  // What fitted the budget went at unload, and was accepted; the rest waits in the outbox.
  const unload = await unloadSends(faults, fromRequest);
  expect(unload.every((r) => r.status === 200)).toBe(true);
  const sentAtUnload = unload.flatMap((r) => r.messages).filter((m) => m.startsWith('leaving ')).length;
  expect(sentAtUnload).toBeGreaterThan(0);
  expect(sentAtUnload).toBeLessThan(list.length);
  expect(unload.reduce((n, r) => n + r.bytes, 0)).toBeLessThanOrEqual(60_000);

  const nextFrom = faults.requests.length;
  await openApp(page, app);
  await expect.poll(() => countLogs(ingest, 'leaving ')).toEqual(once(list));
  await expectNextPageSettled(page, faults, nextFrom);
  expect(await countLogs(ingest, 'leaving ')).toEqual(once(list));
});

// Found by this row's first version: events still only in memory when the page leaves (fewer than
// batchSize, logged within persistDelayMs) and beyond the 60,000-byte keepalive budget were written to
// IndexedDB from pagehide, a write that often never commits as the page is destroyed (PLATFORM.md):
// 9 events of 10 KB of UTF-8, 7 went with keepalive, 2 never arrived. Now they are copied to the
// synchronous unload spill (src/telemetry/spill.ts) too, and the next page restores them.
test('events beyond the keepalive budget still in memory at navigation arrive once', async ({
  page,
  app,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  const list = names('memory only ', 9);
  await logAll(page, list, { a: '€'.repeat(1000), b: '😀'.repeat(500), c: 'ü€'.repeat(500) });
  await page.goto('about:blank');
  await openApp(page, app);
  await expect.poll(() => countLogs(ingest, 'memory only ')).toEqual(once(list));
});

test('non-ASCII payloads near the budget: counted in UTF-8 bytes, every event arrives once', async ({
  page,
  app,
  faults,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  // Nine events (under a batch, in the outbox, not sent yet): 27,000 UTF-16 units of '€' and '😀',
  // about 90 KB of UTF-8. Counted in string length they would seem to fit one keepalive budget.
  const list = names('naïve café ', 9);
  const context = { a: '€'.repeat(1000), b: '😀'.repeat(500), c: 'ü€'.repeat(500) };
  await logAll(page, list, context);
  await expect.poll(() => status(page)).toMatchObject({ buffered: 0, queued: list.length, inFlight: 0 });
  const units = list.reduce((n, m) => n + m.length + 3000, 0);
  expect(units).toBeLessThan(60_000);
  const fromRequest = faults.requests.length;
  await page.goto('about:blank');

  const unload = await unloadSends(faults, fromRequest);
  // Every unload send was accepted: none was over the browser's 64 KiB limit, which fails it outright.
  expect(unload.every((r) => r.status === 200)).toBe(true);
  expect(unload.reduce((n, r) => n + r.bytes, 0)).toBeLessThanOrEqual(60_000);

  const nextFrom = faults.requests.length;
  await openApp(page, app);
  await expect.poll(() => countLogs(ingest, 'naïve café ')).toEqual(once(list));
  await expectNextPageSettled(page, faults, nextFrom);
  // Stored as sent, byte for byte.
  const stored = (await ingest.lines('logs')).filter((l) => String(l.message).startsWith('naïve café '));
  for (const line of stored) expect(JSON.stringify(line.context)).toBe(JSON.stringify(context));
  expect(await countLogs(ingest, 'naïve café ')).toEqual(once(list));
});

test('two tabs logging at once: each event stored once, both statuses add up', async ({
  page,
  context,
  app,
  ingest,
}) => {
  const other = await context.newPage();
  await openQuietApp(page, app, ingest);
  await openQuietApp(other, app, ingest);
  const from = await baseline([page, other], ingest);
  const tabs = ['A', 'B'];
  // Both tabs log 150 events in rounds of 15 at the same time, each hiding once half-way: batch-size
  // drains, unload sends and the timer all run in both tabs over one outbox.
  await Promise.all(
    [page, other].map((p, i) =>
      p.evaluate(async (tab) => {
        for (let round = 0; round < 10; round++) {
          for (let k = 0; k < 15; k++) window.__telemetry.log('info', `tabs ${tab}${round}.${k}`);
          if (round === 5) {
            const set = (state: string) =>
              Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
            set('hidden');
            document.dispatchEvent(new Event('visibilitychange'));
            set('visible');
            document.dispatchEvent(new Event('visibilitychange'));
          }
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        await window.__telemetry.flush();
      }, tabs[i]!),
    ),
  );
  const list = tabs.flatMap((tab) =>
    Array.from({ length: 10 }, (_, round) => names(`tabs ${tab}${round}.`, 15)).flat(),
  );
  await expectSettled([page, other], ingest, from, { prefix: 'tabs ', names: list });
});

test.describe('IndexedDB unavailable', () => {
  test.beforeEach(async ({ context }) => {
    // As in private modes of some browsers: opening a database fails.
    await context.addInitScript(() => {
      IDBFactory.prototype.open = () => {
        throw new DOMException('IndexedDB is not available here', 'InvalidStateError');
      };
    });
  });

  test('IndexedDB unavailable: events wait in memory and arrive once, those pending at unload too', async ({
    page,
    app,
    faults,
    ingest,
  }) => {
    await openQuietApp(page, app, ingest);
    expect(await status(page)).toMatchObject({ storage: 'memory', enabled: true });
    const from = await baseline([page], ingest);
    const live = names('no idb live ', 12);
    await logAll(page, live);
    await flush(page);
    await expectSettled([page], ingest, from, { prefix: 'no idb live ', names: live });

    // The server unreachable: the memory outbox holds a failed batch.
    app.setDown(true);
    const pending = names('no idb pending ', 6);
    await logAll(page, pending);
    await flush(page);
    expect(await status(page)).toMatchObject({ storage: 'memory', queued: pending.length });
    // Its retry is stopped half-way through its body when the page leaves. A navigation's teardown
    // aborts that fetch after the page's last handlers ran, and no other context can take a memory
    // outbox's claim over: the leave must send it again with keepalive. (The hold is set up before
    // the server is back, so the retry timer cannot send it unheld.)
    const held = faults.hold('mid-body', (r) => !r.unload && r.messages.includes(pending[0]!));
    app.setDown(false);
    await page.evaluate(() => void window.__telemetry.flush());
    const { request, reset } = await held;
    await hideAndReturn(page);
    const resent = () =>
      faults.requests.filter((r) => r.batchId === request.batchId && r.unload && r.status === 200);
    await expect.poll(() => resent().length).toBe(1);
    reset();
    await page.goto('about:blank');
    await expect.poll(() => countLogs(ingest, 'no idb ')).toEqual(once([...live, ...pending]));
    expect(request.outcome).toBe('reset');
  });

  // Found in review: a memory outbox dies with the page, and what it held beyond the keepalive budget,
  // or sent at unload to a server that did not take it, was lost. It is kept in the unload spill now.
  test('IndexedDB unavailable: what the page holds at navigation, beyond the budget and refused, arrives once from the next page', async ({
    page,
    app,
    ingest,
  }) => {
    await openQuietApp(page, app, ingest);
    app.setDown(true);
    // About 90 KB of UTF-8: more than one keepalive budget, and every send fails while the server is down.
    const list = names('no idb spill ', 9);
    await logAll(page, list, { a: '€'.repeat(1000), b: '😀'.repeat(500), c: 'ü€'.repeat(500) });
    await flush(page);
    expect(await status(page)).toMatchObject({ storage: 'memory', queued: list.length });
    await page.goto('about:blank');
    app.setDown(false);
    await openApp(page, app);
    await expect.poll(() => countLogs(ingest, 'no idb spill ')).toEqual(once(list));
    expect(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.includes('spill')))).toEqual(
      [],
    );
  });
});

test.describe('quota exceeded', () => {
  test.beforeEach(async ({ context }) => {
    // Once `__quotaFull` is set, every IndexedDB write fails as over quota does.
    await context.addInitScript(() => {
      // eslint-disable-next-line @typescript-eslint/unbound-method -- called below with the store as this.
      const put = IDBObjectStore.prototype.put;
      IDBObjectStore.prototype.put = function (this: IDBObjectStore, ...args: Parameters<typeof put>) {
        if ((window as { __quotaFull?: boolean }).__quotaFull)
          throw new DOMException('The quota has been exceeded.', 'QuotaExceededError');
        return put.apply(this, args);
      };
    });
  });

  // Found by this row: once IndexedDB writes failed, the outbox switched to memory and the batches
  // already in IndexedDB ("quota first 0-4") were not sent while the page lived, with status().queued
  // at 0. A full IndexedDB still reads and deletes: the fallback now moves them into memory.
  test('quota exceeded: writes fall back to memory, every event arrives once', async ({
    page,
    app,
    ingest,
  }) => {
    await openQuietApp(page, app, ingest);
    const from = await baseline([page], ingest);
    // Some events in IndexedDB while the server is unreachable…
    app.setDown(true);
    const first = names('quota first ', 5);
    await logAll(page, first);
    await flush(page);
    expect(await status(page)).toMatchObject({ storage: 'indexeddb', queued: first.length });

    // …then the origin's storage is full.
    await page.evaluate(() => ((window as { __quotaFull?: boolean }).__quotaFull = true));
    const second = names('quota second ', 5);
    await logAll(page, second);
    await flush(page);
    await expect.poll(async () => (await status(page)).storage).toBe('memory');

    app.setDown(false);
    await flush(page);
    await expect
      .poll(() => countLogs(ingest, 'quota '), { timeout: 5_000 })
      .toEqual(once([...first, ...second]));
    await expectSettled([page], ingest, from, { prefix: 'quota ', names: [...first, ...second] });
  });
});
