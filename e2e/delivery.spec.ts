/**
 * Delivery against the real ingest server, proven by the JSONL lines it wrote to disk.
 * (page.route cannot see keepalive sends made while a page goes away, so nothing here is mocked.)
 *
 * The demo app reports web vitals on its own; tests that count requests or metrics open it with
 * `openQuietApp`, which waits until the load-time vitals are stored, and leave `web_vital_*` lines out.
 */
import type { BrowserContext, Page } from '@playwright/test';
import type { AppServer, IngestRequest } from './app-server.js';
import {
  expect,
  messages,
  openApp,
  openQuietApp,
  ownMetrics,
  test,
  type Ingest,
  type StoredLine,
} from './fixtures.js';

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;

/** How many stored lines carry each message: proves "exactly once" by content, not just by count. */
function countByMessage(lines: StoredLine[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of messages(lines)) counts[String(m)] = (counts[String(m)] ?? 0) + 1;
  return counts;
}

test('events logged in the page are stored as JSONL lines with the right fields', async ({
  page,
  app,
  ingest,
}) => {
  const start = await openQuietApp(page, app, ingest);
  const sentBefore = await page.evaluate(() => window.__telemetry.status().sent);
  expect(await page.evaluate(() => window.__telemetry.isEnabled())).toBe(true);

  await page.evaluate(async () => {
    const t = window.__telemetry;
    t.log('info', 'Quiz started', { topic: 'Math', attempt: 1 });
    t.log('warn', 'Slow answer', { ms: 1234 });
    t.exception(new TypeError('boom'), { where: 'quiz' });
    t.metric('quiz.score', 42, { topic: 'Math' });
    t.trace('quiz.load', 12.5, { cached: false });
    const parent = t.startSpan('quiz.submit', { question: 3 });
    t.startSpan('quiz.save', {}, { parent }).end({ ok: true });
    parent.end();
    await t.flush();
  });

  await expect.poll(async () => (await ingest.lines('logs')).length).toBe(3);
  await expect.poll(async () => ownMetrics(await ingest.lines('metrics')).length).toBe(1);
  await expect.poll(async () => (await ingest.lines('traces')).length).toBe(3);
  const logs = await ingest.lines('logs');
  const metrics = ownMetrics(await ingest.lines('metrics'));
  const traces = await ingest.lines('traces');
  const all = [...logs, ...metrics, ...traces];

  const sessionId = all[0]!.session_id;
  expect(sessionId).toMatch(HEX32);
  for (const line of all) {
    expect(line.session_id).toBe(sessionId);
    expect(line.batch_id).toMatch(HEX32);
    expect(line.received_at).toMatch(ISO);
    expect(line.timestamp).toMatch(ISO);
    expect(line).not.toHaveProperty('token');
  }

  const pageUrl = new URL(app.url).href;
  expect(logs.find((l) => l.message === 'Quiz started')).toMatchObject({
    level: 'info',
    context: { topic: 'Math', attempt: 1 },
    url: pageUrl,
  });
  expect(logs.find((l) => l.message === 'Slow answer')).toMatchObject({
    level: 'warn',
    context: { ms: 1234 },
  });
  expect(logs.find((l) => l.level === 'error')).toMatchObject({
    message: 'boom',
    context: { where: 'quiz' },
    exception: { type: 'TypeError', message: 'boom' },
  });
  expect(metrics[0]).toMatchObject({ name: 'quiz.score', value: 42, labels: { topic: 'Math' } });

  const load = traces.find((t) => t.name === 'quiz.load')!;
  expect(load).toMatchObject({ duration: 12.5, attributes: { cached: false } });
  expect(load.traceId).toMatch(HEX32);
  expect(load.spanId).toMatch(HEX16);
  const submit = traces.find((t) => t.name === 'quiz.submit')!;
  const save = traces.find((t) => t.name === 'quiz.save')!;
  expect(submit).toMatchObject({ attributes: { question: 3 } });
  expect(submit).not.toHaveProperty('parentSpanId');
  expect(save).toMatchObject({
    traceId: submit.traceId,
    parentSpanId: submit.spanId,
    attributes: { ok: true },
  });

  // On the wire: the envelope, and a live page's send authenticates with the header.
  const sent = app.requests.slice(start).filter((r) => r.status === 200);
  expect(sent.length).toBeGreaterThan(0);
  for (const r of sent) {
    expect(r.method).toBe('POST');
    expect(r.contentType).toBe('application/json');
    expect(r.tokenHeader).toBe('e2e-token');
    expect(r.body).toMatchObject({
      resource: { app: 'pwa-telemetry-demo', version: '0.1.0' },
      session: { id: sessionId },
    });
    expect(r.body?.batchId).toMatch(HEX32);
    expect(r.body?.sentAt).toMatch(ISO);
    expect(r.body).not.toHaveProperty('token');
  }

  await expect
    .poll(() => page.evaluate(() => window.__telemetry.status()))
    .toMatchObject({
      enabled: true,
      storage: 'indexeddb',
      buffered: 0,
      queued: 0,
      inFlight: 0,
      sent: sentBefore + 7,
    });
});

test('a full batch is sent without flush()', async ({ page, app, ingest }) => {
  await openApp(page, app);
  await page.evaluate(() => {
    for (let i = 0; i < 10; i++) window.__telemetry.log('info', `batch event ${i}`);
  });
  await expect.poll(async () => (await ingest.lines('logs')).length).toBe(10);
});

for (const how of ['navigation', 'close'] as const) {
  test(`events logged just before the page goes away arrive (${how})`, async ({ page, app, ingest }) => {
    await openApp(page, app);
    // Fewer than a batch, and the page goes away before the 1 s persist delay: only the unload send has them.
    await page.evaluate(() => {
      window.__telemetry.log('info', 'leaving 1');
      window.__telemetry.log('info', 'leaving 2', { cart: ['a', 'b'] });
      window.__telemetry.metric('leaving.metric', 7);
    });
    if (how === 'navigation') await page.goto('about:blank');
    else await page.close();

    await expect
      .poll(async () => countByMessage(await ingest.lines('logs')))
      .toEqual({
        'leaving 1': 1,
        'leaving 2': 1,
      });
    await expect
      .poll(async () => ownMetrics(await ingest.lines('metrics')).map((m) => m.name))
      .toEqual(['leaving.metric']);

    // The unload send avoids a CORS preflight: a safelisted content type, the token in the body.
    const unload = app.requests.find((r) =>
      (r.body?.logs as { message: string }[] | undefined)?.some((l) => l.message === 'leaving 1'),
    );
    expect(unload).toMatchObject({
      contentType: 'text/plain;charset=UTF-8',
      tokenHeader: undefined,
      status: 200,
    });
    expect(unload?.body?.token).toBe('e2e-token');
  });
}

test('events logged offline are sent when the browser is back online', async ({
  page,
  context,
  app,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  await context.setOffline(true);
  await page.evaluate(() => {
    window.__telemetry.log('info', 'offline 1');
    window.__telemetry.log('info', 'offline 2');
  });
  // In the outbox, and the client did not even try to send (no failed request to retry).
  await expect
    .poll(() => page.evaluate(() => window.__telemetry.status()))
    .toMatchObject({ buffered: 0, queued: 2, lastError: null });

  // Nothing else is due (no flush, no failed send to retry, the 30 s timer far off): the `online`
  // event alone triggers the send.
  await context.setOffline(false);
  await expect
    .poll(async () => countByMessage(await ingest.lines('logs')))
    .toEqual({ 'offline 1': 1, 'offline 2': 1 });
});

/**
 * Logs while offline, waits until the events are in IndexedDB, reloads while still offline (the app
 * cannot load: the page and the client's memory are gone), then comes back online and opens the app.
 */
async function offlineReload(
  page: Page,
  context: BrowserContext,
  app: AppServer,
  ingest: Ingest,
): Promise<void> {
  await openQuietApp(page, app, ingest);
  // Playwright's offline emulation does not reach a keepalive request that outlives its page (and
  // under it Chromium fires `online` in the page being reloaded), so take /ingest down as well.
  await context.setOffline(true);
  app.setDown(true);
  await page.evaluate(() => {
    window.__telemetry.log('info', 'before reload 1');
    window.__telemetry.log('warn', 'before reload 2');
    window.__telemetry.metric('before.reload', 1);
  });
  // Wait until the client's 1 s persist delay has put them in IndexedDB.
  await expect
    .poll(() => page.evaluate(() => window.__telemetry.status()))
    .toMatchObject({ buffered: 0, queued: 3 });

  await page.reload().catch(() => undefined);
  expect(await page.evaluate(() => typeof window.__telemetry)).toBe('undefined');
  expect(await ingest.lines('logs')).toEqual([]);
  expect(ownMetrics(await ingest.lines('metrics'))).toEqual([]);

  app.setDown(false);
  await context.setOffline(false);
  await openApp(page, app);
}

const RELOADED = { 'before reload 1': 1, 'before reload 2': 1 };

// Without a service worker (browsers without one, or before it is installed): the reload offline cannot
// load the app, and only the next page load delivers. (With the worker, the app loads offline from its
// cache and Background Sync delivers: e2e/service-worker.spec.ts.)
test.describe('without a service worker', () => {
  test.use({ serviceWorkers: 'block' });

  test('events logged offline survive a reload and are sent within seconds of the next online page', async ({
    page,
    context,
    app,
    ingest,
  }) => {
    // The dying page may have claimed the batch (a drain on `online` during the reload); its Web Lock
    // is released with it, so the next page takes the claim over at once instead of waiting a lease.
    await offlineReload(page, context, app, ingest);
    await expect
      .poll(async () => countByMessage(await ingest.lines('logs')), { timeout: 15_000 })
      .toEqual(RELOADED);
    await expect
      .poll(async () => ownMetrics(await ingest.lines('metrics')).map((m) => m.name))
      .toEqual(['before.reload']);
  });
});

test('a server failing with 503 at first gets everything exactly once', async ({ page, app, ingest }) => {
  test.slow(); // Retries back off 1-2 s, 2-4 s, 4-8 s.
  const start = await openQuietApp(page, app, ingest);
  const sentBefore = await page.evaluate(() => window.__telemetry.status().sent);
  app.failNext(3, 503);
  await page.evaluate(async () => {
    for (let i = 0; i < 5; i++) window.__telemetry.log('info', `storm ${i}`);
    window.__telemetry.metric('storm.metric', 5);
    await window.__telemetry.flush();
  });

  const expected = Object.fromEntries([0, 1, 2, 3, 4].map((i) => [`storm ${i}`, 1]));
  await expect
    .poll(async () => countByMessage(await ingest.lines('logs')), { timeout: 30_000 })
    .toEqual(expected);
  await expect.poll(async () => ownMetrics(await ingest.lines('metrics')).length).toBe(1);

  const statuses = app.requests.slice(start).map((r) => r.status);
  expect(statuses.slice(0, 3)).toEqual([503, 503, 503]);
  expect(statuses.slice(3).every((s) => s === 200)).toBe(true);
  await expect
    .poll(() => page.evaluate(() => window.__telemetry.status()))
    .toMatchObject({
      sent: sentBefore + 6,
      queued: 0,
      dropped: { max_attempts: 0, rejected: 0, queue_full: 0 },
    });
});

test('a batch whose response was lost after it was stored is stored once', async ({ page, app, ingest }) => {
  const start = await openQuietApp(page, app, ingest);
  app.loseResponses(1, 503);
  await page.evaluate(async () => {
    window.__telemetry.log('info', 'stored, answer lost');
    await window.__telemetry.flush();
  });

  // The client sends the same batch again; the server acknowledges it as a duplicate.
  const own = (): readonly IngestRequest[] => app.requests.slice(start);
  await expect.poll(() => own().filter((r) => r.status === 200).length, { timeout: 15_000 }).toBe(1);
  const ids = own().map((r) => r.body?.batchId);
  expect(ids).toHaveLength(2);
  expect(ids[1]).toBe(ids[0]);
  expect(own().every((r) => r.forwarded)).toBe(true);
  expect(countByMessage(await ingest.lines('logs'))).toEqual({ 'stored, answer lost': 1 });
});
