/**
 * Telemetry turned off at build time (env switch or feature flag) sends nothing and opens nothing;
 * the BETA phase turns it on only for beta users.
 */
import type { Page } from '@playwright/test';
import type { AppServer } from './app-server.js';
import { expect, openApp, test } from './fixtures.js';

// These builds never ask for consent: storage must stay untouched.
test.use({ consent: 'unset' });

/** Exercises every entry point, including the unload path, and checks nothing left the page. */
async function expectSilent(page: Page, app: AppServer): Promise<void> {
  await openApp(page, app);
  const state = await page.evaluate(async () => {
    const t = window.__telemetry;
    for (let i = 0; i < 12; i++) t.log('info', `disabled ${i}`);
    t.metric('disabled.metric', 1);
    t.trace('disabled.trace', 5);
    t.startSpan('disabled.span').end();
    t.exception(new Error('disabled'));
    await t.flush();
    return {
      enabled: t.isEnabled(),
      status: t.status(),
      databases: await indexedDB.databases(),
      storage: { ...localStorage },
      session: { ...sessionStorage },
    };
  });
  expect(state).toEqual({
    enabled: false,
    status: expect.objectContaining({ enabled: false, storage: 'none', buffered: 0, queued: 0, sent: 0 }),
    databases: [],
    storage: {},
    session: {},
  });

  // The unload path (pagehide, visibilitychange) must not send either.
  await page.goto('about:blank');
  await openApp(page, app);
  await page.evaluate(() => window.__telemetry.flush());
  expect(await page.evaluate(() => indexedDB.databases())).toEqual([]);
  expect(app.requests).toEqual([]);
}

test.describe('env switch off (VITE_TELEMETRY_ENABLED unset)', () => {
  test.use({ variant: 'env-off' });
  test('sends nothing and opens no IndexedDB', async ({ page, app }) => {
    await expectSilent(page, app);
  });
});

test.describe('feature flag DISABLED', () => {
  test.use({ variant: 'flag-off' });
  test('sends nothing and opens no IndexedDB', async ({ page, app }) => {
    await expectSilent(page, app);
  });
});

test.describe('feature flag BETA', () => {
  test.use({ variant: 'beta' });

  test('is off for a user who is not in the beta', async ({ page, app }) => {
    await expectSilent(page, app);
  });

  test('is on for a beta user', async ({ page, app, ingest }) => {
    await page.addInitScript(() => {
      localStorage.setItem('beta', 'true');
      localStorage.setItem('pwa-telemetry:consent', 'in'); // the demo asks first
    });
    await openApp(page, app);
    expect(await page.evaluate(() => window.__telemetry.isEnabled())).toBe(true);
    await page.evaluate(() => {
      window.__telemetry.log('info', 'beta tester');
      return window.__telemetry.flush();
    });
    await expect
      .poll(async () => (await ingest.lines('logs')).map((l) => l.message))
      .toEqual(['beta tester']);
  });
});
