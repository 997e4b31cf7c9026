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
