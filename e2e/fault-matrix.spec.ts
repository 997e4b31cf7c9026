/**
 * The fault matrix, server side (README "Fault matrix"): the real ingest server as its own process,
 * down, killed and restarted, and the fault proxy in front of it answering 503, 429 and 400 or stopping
 * a request at a chosen point. Each row checks every event stored exactly once, no page or console
 * error, and `status()` agreeing with what the server stored (e2e/fault-fixtures.ts).
 */
import type { Page } from '@playwright/test';
import { hideAndReturn, openApp, openQuietApp } from './fixtures.js';
import type { ProxyRequest } from './fault-proxy.js';
import {
  baseline,
  countLogs,
  expect,
  expectSettled,
  logAll,
  names,
  storedDropReports,
  test,
} from './fault-fixtures.js';

const flushLater = (page: Page): Promise<void> => page.evaluate(() => void window.__telemetry.flush());
const flush = (page: Page): Promise<void> => page.evaluate(() => window.__telemetry.flush());
const sendsOf = (requests: readonly ProxyRequest[], batchId: string | undefined) =>
  requests.filter((r) => r.batchId === batchId);

test.describe('with the server down when the page starts', () => {
  test.use({ serverAtStart: false });

  test('server down at start, then up: every event arrives once', async ({
    page,
    app,
    faults,
    server,
    ingest,
  }) => {
    await openApp(page, app);
    const from = await baseline([page], ingest);
    const list = names('down at start ', 25);
    await logAll(page, list);
    await flush(page);
    // Refused, and retried with backoff more often than maxAttempts (5): a refused connection is not
    // a server failure, so it never counts towards dropping the batch.
    const first = faults.requests.find((r) => r.messages.includes('down at start 0'));
    expect(first).toBeDefined();
    await expect
      .poll(() => sendsOf(faults.requests, first?.batchId).filter((r) => r.outcome === 'reset').length)
      .toBeGreaterThan(5);
    expect(await page.evaluate(() => window.__telemetry.status())).toMatchObject({
      sent: 0,
      dropped: { max_attempts: 0 },
    });
    expect(await countLogs(ingest, 'down at start ')).toEqual({});

    await server.start();
    await expectSettled([page], ingest, from, { prefix: 'down at start ', names: list });
  });
});

test('503 storm, then recovery: the batch is retried until stored once, nothing dropped', async ({
  page,
  app,
  faults,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  const from = await baseline([page], ingest);
  const start = faults.requests.length;
  // Four 503s in a row (one fewer than maxAttempts, 5), then the server answers again.
  faults.inject(503, { times: 4 });
  const list = names('storm ', 25);
  await logAll(page, list);
  await flush(page);

  await expectSettled([page], ingest, from, { prefix: 'storm ', names: list });
  const own = faults.requests.slice(start);
  expect(own.map((r) => r.status)).toEqual([503, 503, 503, 503, 200]);
  // The same batch each time: its batchId is kept across retries.
  expect(new Set(own.map((r) => r.batchId)).size).toBe(1);
});

test('503 storm past maxAttempts: the batch is dropped, counted and reported, later events arrive', async ({
  page,
  app,
  faults,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  const from = await baseline([page], ingest);
  // The bound of the row above: a batch meets 5 server failures (maxAttempts) and is given up.
  faults.inject(503, { times: 5 });
  const lost = names('outlasted ', 10);
  await logAll(page, lost);
  await flush(page);
  await expect
    .poll(() => page.evaluate(() => window.__telemetry.status().dropped.max_attempts))
    .toBe(lost.length);
  const later = names('after the storm ', 3);
  await logAll(page, later);
  await flush(page);

  await expectSettled([page], ingest, from, {
    prefix: 'after the storm ',
    names: later,
    dropped: { max_attempts: lost.length },
  });
  expect(await countLogs(ingest, 'outlasted ')).toEqual({});
  expect(await storedDropReports(ingest)).toEqual({ max_attempts: lost.length });
});

test('429 with Retry-After: nothing is sent or dropped during the pause, then everything once', async ({
  page,
  app,
  faults,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  const from = await baseline([page], ingest);
  faults.inject(429, { headers: { 'Retry-After': '2' }, times: 1 });
  const list = [...names('paused a', 5), ...names('paused b', 30)];
  await logAll(page, list.slice(0, 5));
  await flush(page);
  const throttled = faults.requests.find((r) => r.status === 429)!;
  expect(throttled.messages).toEqual(list.slice(0, 5));
  const pausedUntil = await page.evaluate(() => window.__telemetry.status().pausedUntil);
  expect(pausedUntil).toBeGreaterThanOrEqual(throttled.at + 1_900);

  // During the pause: three batches' worth of events, a hide (its unload send waits too) and flush().
  const seen = faults.requests.length;
  await logAll(page, list.slice(5));
  await hideAndReturn(page);
  await flush(page);
  const during = await page.evaluate(() => window.__telemetry.status());
  expect(Date.now()).toBeLessThan(pausedUntil!);
  expect(faults.requests.length, 'requests during the Retry-After pause').toBe(seen);
  expect(Object.values(during.dropped).every((n) => n === 0)).toBe(true);

  await expectSettled([page], ingest, from, { prefix: 'paused ', names: list });
  const after = faults.requests.slice(seen);
  expect(after.length).toBeGreaterThan(0);
  // Nothing went out before the pause was over (the proxy's clock and the page's are this machine's).
  for (const r of after) expect(r.at).toBeGreaterThanOrEqual(pausedUntil! - 5);
});

test('400 on one batch: that batch is dropped and counted, the rest arrive once', async ({
  page,
  app,
  faults,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  const from = await baseline([page], ingest);
  faults.inject(400, { match: (r) => r.messages.includes('bad 0') });
  const before = names('good a', 5);
  const bad = names('bad ', 5);
  const afterwards = names('good b', 5);
  for (const batch of [before, bad, afterwards]) {
    await logAll(page, batch);
    await flush(page);
  }

  const refused = faults.requests.find((r) => r.status === 400)!;
  expect(refused.messages).toEqual(bad);
  await expectSettled([page], ingest, from, {
    prefix: 'good ',
    names: [...before, ...afterwards],
    dropped: { rejected: refused.events },
  });
  expect(await countLogs(ingest, 'bad ')).toEqual({});
  // Not sent again, and the loss is on the server too: the next batch carried the drop report.
  expect(sendsOf(faults.requests, refused.batchId)).toHaveLength(1);
  expect(await storedDropReports(ingest)).toEqual({ rejected: refused.events });
});

test.describe('server killed mid-request', () => {
  test('with half of the body received: nothing is stored, the resend is stored once', async ({
    page,
    app,
    faults,
    server,
    ingest,
  }) => {
    await openQuietApp(page, app, ingest);
    const from = await baseline([page], ingest);
    const list = names('half body ', 8);
    const held = faults.hold('mid-body', (r) => r.messages.includes('half body 0'));
    await logAll(page, list);
    await flushLater(page);
    const { request } = await held;
    await server.kill();

    // The browser's connection is dropped, and the retries are refused while the server is down.
    await expect
      .poll(() => sendsOf(faults.requests, request.batchId).filter((r) => r.outcome === 'reset').length)
      .toBeGreaterThanOrEqual(2);
    expect(await countLogs(ingest, 'half body ')).toEqual({});
    await server.start();
    await expectSettled([page], ingest, from, { prefix: 'half body ', names: list });
    expect(sendsOf(faults.requests, request.batchId).at(-1)?.status).toBe(200);
  });

  test('after it stored the batch, before its answer: the resend is acknowledged and stored once', async ({
    page,
    app,
    faults,
    server,
    ingest,
  }) => {
    await openQuietApp(page, app, ingest);
    const from = await baseline([page], ingest);
    const list = names('stored then killed ', 8);
    const held = faults.hold('answered', (r) => r.messages.includes('stored then killed 0'));
    await logAll(page, list);
    await flushLater(page);
    const { request, reset } = await held;
    // The server has written the batch (it answers only after the write) and dies before the answer
    // leaves: the page never hears it.
    await server.kill();
    reset();
    await expect
      .poll(() => sendsOf(faults.requests, request.batchId).filter((r) => r.outcome === 'reset').length)
      .toBeGreaterThanOrEqual(2);
    await server.start();
    await expectSettled([page], ingest, from, { prefix: 'stored then killed ', names: list });
    // The new process rebuilt its dedupe index from disk: the resend was acknowledged, not stored.
    expect(sendsOf(faults.requests, request.batchId).at(-1)?.status).toBe(200);
  });
});

test('server restarted between a send and its retry: the retry is stored once', async ({
  page,
  app,
  faults,
  server,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  const from = await baseline([page], ingest);
  const list = names('restarted ', 8);
  const held = faults.hold('answered', (r) => r.messages.includes('restarted 0'));
  await logAll(page, list);
  await flushLater(page);
  const { request, reset } = await held;
  // Stored by the first process; a clean restart (SIGTERM, start) while the answer is held; then
  // the answer is lost, so the retry reaches the new process.
  await server.stop();
  await server.start();
  reset();

  await expectSettled([page], ingest, from, { prefix: 'restarted ', names: list });
  const sends = sendsOf(faults.requests, request.batchId);
  expect(sends.map((r) => r.outcome)).toEqual(['reset', 'forwarded']);
  expect(sends[1]?.status).toBe(200);
});
