/**
 * Fixtures and checks of the fault matrix (e2e/fault-matrix*.spec.ts, README "Fault matrix").
 *
 * Each test gets the real ingest server as its own process (so it can be killed and restarted),
 * the fault proxy in front of it, and the demo app served with `/ingest` forwarded through both.
 * Every row ends with the same three checks: each event stored exactly once, no error from the page
 * (the base fixtures' `pageErrors`, and `consoleErrors` here), and `status()` agreeing with what the
 * server stored.
 */
import type { BrowserContext, Page } from '@playwright/test';
import { startAppServer } from './app-server.js';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';
import { expect, readLines, test as base, type Ingest, type Kind, type StoredLine } from './fixtures.js';
import { ingestProcess, type IngestProcess } from './ingest-process.js';
import { buildDir, E2E_TOKEN } from './variants.js';

export { expect };

/**
 * Retry timings of the rows (read by the demo before it starts the client, src/app/main.ts): the
 * backoff of a failed send is 100-200 ms at first and never over a second, so a row takes seconds.
 */
export const FAST_RETRIES = { retryBaseMs: 200, retryMaxMs: 1_000 };

interface FaultFixtures {
  /** Whether the ingest process is running when the test starts. @default true */
  serverAtStart: boolean;
  server: IngestProcess;
  faults: FaultProxy;
  /** Console errors of every page of the test, checked to be none at the end (see `clientErrors`). */
  consoleErrors: string[];
}

/**
 * Chromium reports every failed request on the console ("Failed to load resource: …"): the faults
 * the rows inject, not an error of the client. Everything else counts.
 */
function fromTheClient(text: string, url: string): boolean {
  return !(text.startsWith('Failed to load resource') && new URL(url, 'http://x').pathname === '/ingest');
}

/** Collects the console errors of every page of `context` that are not the browser's reports of the injected faults. */
export function watchConsoleErrors(context: BrowserContext): string[] {
  const errors: string[] = [];
  const watch = (page: Page): void =>
    void page.on('console', (message) => {
      if (message.type() === 'error' && fromTheClient(message.text(), message.location().url))
        errors.push(message.text());
    });
  context.pages().forEach(watch);
  context.on('page', watch);
  return errors;
}

export const test = base.extend<FaultFixtures>({
  serverAtStart: [true, { option: true }],
  // Only the page's own client: the service worker's drains would count in no page's status().
  serviceWorkers: 'block',

  context: async ({ context }, use) => {
    await context.addInitScript((options) => {
      window.__telemetryTestOptions = options;
    }, FAST_RETRIES);
    await use(context);
  },

  server: async ({ serverAtStart }, use, testInfo) => {
    const server = await ingestProcess(testInfo.outputPath('ingest-data'), E2E_TOKEN);
    if (serverAtStart) await server.start();
    await use(server);
    await server.stop();
  },

  ingest: async ({ server }, use) => {
    const ingest: Ingest = {
      url: server.url,
      dataDir: server.dataDir,
      lines: (kind) => readLines(server.dataDir, kind),
    };
    await use(ingest);
  },

  faults: async ({ server }, use) => {
    const faults = await startFaultProxy(server.url);
    await use(faults);
    await faults.close();
  },

  app: async ({ variant, faults }, use) => {
    const app = await startAppServer(buildDir(variant), faults.url, { upstreamFailure: 'reset' });
    await use(app);
    await app.close();
  },

  consoleErrors: [
    async ({ context }, use) => {
      const errors = watchConsoleErrors(context);
      await use(errors);
      expect(errors, 'console errors in the page').toEqual([]);
    },
    { auto: true },
  ],
});

const KINDS: Kind[] = ['logs', 'traces', 'metrics'];
/** The name under which the server stores a client's drop report (src/server/dropped.ts). */
const DROPPED_METRIC = 'telemetry_dropped';

/** The outbox's metadata records, read straight from IndexedDB in the page. */
export function dumpOutbox(page: Page): Promise<unknown[]> {
  return page.evaluate(
    () =>
      new Promise<unknown[]>((resolve) => {
        const open = indexedDB.open('pwa-telemetry-outbox');
        open.onsuccess = () => {
          const tx = open.result.transaction('batches', 'readonly');
          const req = tx.objectStore('batches').getAll(IDBKeyRange.bound('m:', 'm:\uffff'));
          req.onsuccess = () => resolve(req.result as unknown[]);
        };
        open.onerror = () => resolve([String(open.error)]);
      }),
  );
}

/** Every event line stored so far, all kinds, without the clients' drop reports. */
export async function storedEvents(ingest: Ingest): Promise<StoredLine[]> {
  const lines = (await Promise.all(KINDS.map((kind) => ingest.lines(kind)))).flat();
  return lines.filter((l) => l.name !== DROPPED_METRIC);
}

/** The clients' drop reports stored so far, summed by reason. */
export async function storedDropReports(ingest: Ingest): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const l of await ingest.lines('metrics')) {
    if (l.name !== DROPPED_METRIC) continue;
    const reason = String((l.labels as { reason?: unknown }).reason);
    out[reason] = (out[reason] ?? 0) + Number(l.value);
  }
  return out;
}

/** How many stored log lines carry each message that starts with `prefix`. */
export async function countLogs(ingest: Ingest, prefix: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const l of await ingest.lines('logs')) {
    const m = String(l.message);
    if (m.startsWith(prefix)) counts[m] = (counts[m] ?? 0) + 1;
  }
  return counts;
}

/** `{ name: 1 }` for each name: what "each exactly once" looks like. */
export const once = (names: string[]): Record<string, number> => Object.fromEntries(names.map((n) => [n, 1]));

/** `count` messages `${prefix}${i}`. */
export const names = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}`);

/** Logs each message (with `context`) in the page, in one task. */
export function logAll(page: Page, messages: string[], context: Record<string, unknown> = {}): Promise<void> {
  return page.evaluate(
    ([list, ctx]) => {
      for (const m of list) window.__telemetry.log('info', m, ctx);
    },
    [messages, context] as const,
  );
}

/** What the page's `status()` and the server agree on: taken before the row, compared after. */
export interface Baseline {
  sent: number;
  stored: number;
}

export async function baseline(pages: Page[], ingest: Ingest): Promise<Baseline> {
  const sent = await Promise.all(pages.map((p) => p.evaluate(() => window.__telemetry.status().sent)));
  return { sent: sent.reduce((a, b) => a + b, 0), stored: (await storedEvents(ingest)).length };
}

/**
 * Waits until every page has nothing buffered, queued or in flight, and the events they count as sent
 * since `from` are exactly the event lines the server stored since then; then checks the drops by
 * reason (every reason not named must be 0) and that the messages starting with `prefix` are stored
 * exactly once each.
 */
export async function expectSettled(
  pages: Page[],
  ingest: Ingest,
  from: Baseline,
  expected: { prefix: string; names: string[]; dropped?: Record<string, number> },
): Promise<void> {
  await expect
    .poll(async () => countLogs(ingest, expected.prefix), { timeout: 20_000 })
    .toEqual(once(expected.names));
  await expect
    .poll(
      async () => {
        // flush(): a page's open batch waits for the timer otherwise, and `queued` is as of the page's
        // last outbox operation (another tab may have sent its batches since).
        await Promise.all(pages.map((p) => p.evaluate(() => window.__telemetry.flush())));
        const statuses = await Promise.all(pages.map((p) => p.evaluate(() => window.__telemetry.status())));
        return statuses.reduce((n, s) => n + s.buffered + s.queued + s.inFlight, 0);
      },
      { message: 'events buffered, queued or in flight in the pages', timeout: 20_000 },
    )
    .toBe(0);
  const statuses = await Promise.all(pages.map((p) => p.evaluate(() => window.__telemetry.status())));
  const stored = (await storedEvents(ingest)).length - from.stored;
  const sent = statuses.reduce((n, s) => n + s.sent, 0) - from.sent;
  expect({ sent }, 'status().sent since the start of the row = event lines stored since').toEqual({
    sent: stored,
  });
  const dropped: Record<string, number> = {};
  for (const s of statuses)
    for (const [k, v] of Object.entries(s.dropped)) dropped[k] = (dropped[k] ?? 0) + v;
  const want = Object.fromEntries(Object.keys(dropped).map((k) => [k, expected.dropped?.[k] ?? 0]));
  expect(dropped, 'status().dropped by reason').toEqual(want);
  // Nothing arrived twice meanwhile.
  expect(await countLogs(ingest, expected.prefix)).toEqual(once(expected.names));
}
