/**
 * Test fixtures: each test gets its own real ingest server (fresh data dir under the test's output
 * directory) and its own server for one build of the demo app, which forwards `/ingest` to it; the
 * page fails the test if it throws anything uncaught.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test as base, expect, type Page } from '@playwright/test';
import { startServer } from '../src/server/index.js';
import { startAppServer, type AppServer } from './app-server.js';
import { buildDir, E2E_TOKEN, type Variant } from './variants.js';

export { expect };

export type Kind = 'logs' | 'traces' | 'metrics';

/** One JSONL line as the ingest server stored it. */
export type StoredLine = Record<string, unknown> & {
  batch_id: string;
  session_id: string;
  received_at: string;
};

export interface Ingest {
  url: string;
  dataDir: string;
  /**
   * Every line stored so far under `<dataDir>/<kind>/*.jsonl`, read from disk, without the demo's
   * automatic visit logs (`session_start`, `session_end`, `page_view`: e2e/sessions.spec.ts covers
   * them) unless `visits` is true, so tests count the events they cause.
   */
  lines(kind: Kind, options?: { visits?: boolean }): Promise<StoredLine[]>;
}

/** Logs the client and the demo record by themselves for every visit. */
export const VISIT_MESSAGES: readonly unknown[] = ['session_start', 'session_end', 'page_view'];

interface Fixtures {
  /** Which build of the demo app the test runs against. */
  variant: Variant;
  /**
   * The user's stored answer to the demo's consent prompt before the test starts: 'in' (most tests
   * are about delivery, not consent) or 'unset' (the first run: the prompt shows, nothing is recorded).
   */
  consent: 'in' | 'unset';
  ingest: Ingest;
  app: AppServer;
  /** Uncaught errors and unhandled rejections of every page of the test, checked to be none at the end. */
  pageErrors: Error[];
}

export async function readLines(dataDir: string, kind: Kind): Promise<StoredLine[]> {
  let files: string[];
  try {
    files = (await readdir(join(dataDir, kind))).filter((f) => f.endsWith('.jsonl')).sort();
  } catch {
    return [];
  }
  const lines: StoredLine[] = [];
  for (const file of files) {
    const text = await readFile(join(dataDir, kind, file), 'utf8');
    for (const line of text.split('\n')) if (line.trim() !== '') lines.push(JSON.parse(line) as StoredLine);
  }
  return lines;
}

export const test = base.extend<Fixtures>({
  variant: ['enabled', { option: true }],
  consent: ['in', { option: true }],

  // The demo requires consent (src/app/main.ts): grant it before any page of the test loads.
  context: async ({ context, consent }, use) => {
    if (consent === 'in')
      await context.addInitScript(() => {
        try {
          localStorage.setItem('pwa-telemetry:consent', 'in');
        } catch {
          // about:blank and other opaque origins have no localStorage
        }
      });
    await use(context);
  },

  // eslint-disable-next-line no-empty-pattern -- Playwright needs the destructuring even when empty.
  ingest: async ({}, use, testInfo) => {
    const dataDir = testInfo.outputPath('ingest-data');
    const server = await startServer({
      port: 0,
      host: '127.0.0.1',
      dataDir,
      token: E2E_TOKEN,
      // Every test's requests come from 127.0.0.1; the default limit is not what is under test.
      rateLimit: { requests: 100_000, perMs: 60_000 },
      onError: (error) => console.error('[ingest]', error),
    });
    await use({
      url: server.url,
      dataDir,
      lines: async (kind, options) =>
        (await readLines(dataDir, kind)).filter(
          (line) => options?.visits || !VISIT_MESSAGES.includes(line.message),
        ),
    });
    await server.close();
  },

  app: async ({ variant, ingest }, use) => {
    const server = await startAppServer(buildDir(variant), ingest.url);
    await use(server);
    await server.close();
  },

  pageErrors: [
    async ({ context }, use) => {
      const errors: Error[] = [];
      const watch = (page: Page): void => void page.on('pageerror', (error) => errors.push(error));
      context.pages().forEach(watch);
      context.on('page', watch);
      await use(errors);
      expect(errors, 'uncaught errors in the page').toEqual([]);
    },
    { auto: true },
  ],
});

/** Opens the app and waits until its telemetry client has started. */
export async function openApp(page: Page, app: AppServer): Promise<void> {
  await page.goto(app.url);
  await page.waitForFunction(() => typeof window.__telemetry === 'object');
}

/** Web vitals every page load reports on its own, without an interaction or a hide. */
export const LOAD_VITALS = ['web_vital_fcp', 'web_vital_ttfb'];

/**
 * Opens the app and waits until what it reports on its own at load (the FCP and TTFB web vitals) is
 * stored, so that the test's own events travel alone. Returns how many ingest requests were made by
 * then: the test's own requests are `app.requests.slice(returned)`.
 */
export async function openQuietApp(page: Page, app: AppServer, ingest: Ingest): Promise<number> {
  await openApp(page, app);
  await expect
    .poll(async () => {
      await page.evaluate(() => window.__telemetry.flush());
      const stored = (await ingest.lines('metrics')).map((m) => m.name);
      const s = await page.evaluate(() => window.__telemetry.status());
      return LOAD_VITALS.every((name) => stored.includes(name)) && s.buffered + s.queued + s.inFlight === 0;
    })
    .toBe(true);
  return app.requests.length;
}

/** Metric lines the test recorded itself: without the web vitals the app reports on its own. */
export function ownMetrics(lines: StoredLine[]): StoredLine[] {
  return lines.filter((m) => !String(m.name).startsWith('web_vital_'));
}

/** Waits until the app's service worker is active and controls the page. */
export async function serviceWorkerReady(page: Page): Promise<void> {
  await page.evaluate(async () => {
    await navigator.serviceWorker.ready;
    if (navigator.serviceWorker.controller) return;
    await new Promise((resolve) =>
      navigator.serviceWorker.addEventListener('controllerchange', resolve, { once: true }),
    );
  });
}

/** Messages of stored log lines. */
export function messages(lines: StoredLine[]): unknown[] {
  return lines.map((l) => l.message);
}

/** Makes the page look hidden, then visible again: `visibilitychange` and `pagehide` in one task, as at unload. */
export function hideAndReturn(page: Page): Promise<void> {
  return page.evaluate(() => {
    const set = (state: string) =>
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => state });
    set('hidden');
    document.dispatchEvent(new Event('visibilitychange'));
    window.dispatchEvent(new Event('pagehide'));
    set('visible');
    document.dispatchEvent(new Event('visibilitychange'));
  });
}
