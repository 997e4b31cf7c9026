/**
 * The demo asks for consent on first run (`consent: 'required'`): nothing is recorded before "Allow",
 * the instrumentations installed at start-up work after it without a reload, and "No thanks" or the
 * settings toggle stops everything, in every tab.
 */
import { expect, openApp, test } from './fixtures.js';

test.use({ consent: 'unset' });

test('nothing is stored before Allow; errors are captured after it without reinstalling', async ({
  page,
  app,
  ingest,
  pageErrors,
}) => {
  await openApp(page, app);
  await expect(page.locator('#consent')).toBeVisible();
  expect(await page.evaluate(() => window.__telemetry.consentState())).toBe('unknown');
  await page.locator('#log-info').click();
  await page.locator('#throw').click();
  await page.evaluate(() => window.__telemetry.flush());
  await page.waitForTimeout(500);
  expect(await ingest.lines('logs')).toEqual([]);
  expect(await ingest.lines('metrics')).toEqual([]);
  expect(app.requests).toEqual([]);

  await page.locator('#consent-allow').click();
  await expect(page.locator('#consent')).toBeHidden();
  // Another error than before: captureErrors folds repeats of one error within its window.
  await page.locator('#reject').click();
  await expect
    .poll(async () => {
      await page.evaluate(() => window.__telemetry.flush());
      return (await ingest.lines('logs')).map((l) => l.message);
    })
    .toEqual(['Demo rejection: profile service unavailable']);
  // The page's own uncaught errors are what this test makes happen.
  expect(pageErrors.map((e) => e.message)).toEqual([
    'Demo error thrown from a click handler',
    'Demo rejection: profile service unavailable',
  ]);
  pageErrors.splice(0);

  // Asked once: a reload does not ask again and keeps recording.
  await page.reload();
  await page.waitForFunction(() => typeof window.__telemetry === 'object');
  await expect(page.locator('#consent')).toBeHidden();
  expect(await page.evaluate(() => window.__telemetry.isEnabled())).toBe(true);
});

test('the settings toggle turns it off in every tab, and No thanks records nothing', async ({
  context,
  app,
  ingest,
}) => {
  const a = await context.newPage();
  await openApp(a, app);
  await a.locator('#consent-allow').click();
  const b = await context.newPage();
  await openApp(b, app);
  await expect(b.locator('#consent')).toBeHidden();
  expect(await b.evaluate(() => window.__telemetry.isEnabled())).toBe(true);

  await a.goto(`${app.url}#/delivery`);
  await a.waitForFunction(() => typeof window.__telemetry === 'object');
  await a.locator('#consent-toggle').uncheck();
  await expect.poll(() => b.evaluate(() => window.__telemetry.isEnabled())).toBe(false);
  const before = (await ingest.lines('logs')).length;
  await b.locator('#log-info').click();
  await b.evaluate(() => window.__telemetry.flush());
  await b.waitForTimeout(500);
  expect((await ingest.lines('logs')).length).toBe(before);
  expect(await b.evaluate(() => window.__telemetry.consentState())).toBe('denied');
});

test('opting out mid-session sends nothing further and leaves nothing queued, across a reload', async ({
  page,
  app,
  ingest,
}) => {
  await openApp(page, app);
  await page.locator('#consent-allow').click();
  await page.locator('#log-info').click();
  await page.evaluate(() => window.__telemetry.flush());
  await expect
    .poll(async () => (await ingest.lines('logs')).map((l) => l.message))
    .toEqual(['Button clicked']);
  // Some events wait in the buffer and the outbox when the user says no.
  await page.evaluate(() => {
    for (let i = 0; i < 5; i++) window.__telemetry.log('info', `after ${i}`);
  });
  await page.goto(`${app.url}#/delivery`);
  await page.waitForFunction(() => typeof window.__telemetry === 'object');
  await page.evaluate(() => window.__telemetry.log('info', 'queued before no'));
  await page.locator('#consent-toggle').uncheck();
  await page.evaluate(() => window.__telemetry.log('warn', 'Something looks odd'));
  await page.reload();
  await page.waitForFunction(() => typeof window.__telemetry === 'object');
  await page.locator('#nav-playground').click();
  await page.locator('#log-info').click();
  await page.evaluate(() => window.__telemetry.flush());
  expect(await page.evaluate(() => window.__telemetry.consentState())).toBe('denied');
  expect(await page.evaluate(() => window.__telemetry.exportQueued())).toBe('[]');
  const lines = await ingest.lines('logs', { visits: true });
  // Nothing at all arrives after the opt-out: not the button, not the queued events, no session_end.
  await page.waitForTimeout(1_000);
  const after = await ingest.lines('logs', { visits: true });
  expect(after.length).toBe(lines.length);
  expect(after.map((l) => l.message)).not.toContain('queued before no');
  expect(after.map((l) => l.message)).not.toContain('Something looks odd');
});

test.describe('Global Privacy Control', () => {
  test.beforeEach(async ({ context }) => {
    await context.addInitScript(() =>
      Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: () => true }),
    );
  });

  test('GPC on means nothing is recorded or sent, and the prompt is not shown', async ({
    page,
    app,
    ingest,
  }) => {
    await openApp(page, app);
    expect(await page.evaluate(() => window.__telemetry.consentState())).toBe('denied');
    await expect(page.locator('#consent')).toBeHidden();
    await page.locator('#log-info').click();
    await page.evaluate(() => window.__telemetry.flush());
    await page.goto('about:blank');
    await page.waitForTimeout(500);
    expect(app.requests).toEqual([]);
    for (const kind of ['logs', 'metrics', 'traces'] as const)
      expect(await ingest.lines(kind, { visits: true })).toEqual([]);
  });
});
