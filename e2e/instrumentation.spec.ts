/**
 * The instrumentations wired into the demo app (web vitals, errors, fetch spans, the logger), driven
 * through the app's own buttons in Chromium and checked in the JSONL lines the real ingest server wrote,
 * or, where the test is about what the app records rather than delivery, in what the capture helper
 * (`pwa-telemetry/playwright`, the `telemetry` fixture) intercepted.
 */
import { mergeTests, type Page } from '@playwright/test';
import { test as captureTest, type Capture } from '../src/testing/playwright.js';
import { expect, LOAD_VITALS, openApp, test as appTest, type Ingest, type StoredLine } from './fixtures.js';

const test = mergeTests(appTest, captureTest);

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/** Stored metric lines by name. */
async function vitals(ingest: Ingest): Promise<Record<string, StoredLine[]>> {
  const byName: Record<string, StoredLine[]> = {};
  for (const m of await ingest.lines('metrics')) {
    const name = String(m.name);
    if (name.startsWith('web_vital_')) (byName[name] ??= []).push(m);
  }
  return byName;
}

/** Sends what the page holds, and keeps doing so until `done` holds for the stored lines. */
async function flushUntil<T>(page: Page, read: () => Promise<T>, done: (value: T) => boolean): Promise<T> {
  let value!: T;
  await expect
    .poll(async () => {
      await page.evaluate(() => window.__telemetry.flush());
      value = await read();
      return done(value);
    })
    .toBe(true);
  return value;
}

/** Flushes the page until the capture holds what `done` asks for: some events are recorded late. */
async function flushUntilCaptured(telemetry: Capture, done: () => boolean): Promise<void> {
  await expect
    .poll(async () => {
      await telemetry.flush();
      return done();
    })
    .toBe(true);
}

function expectVital(lines: StoredLine[] | undefined, name: string): StoredLine {
  // One point per metric id: web-vitals reports some metrics again on every hide.
  expect(lines, name).toHaveLength(1);
  const line = lines![0]!;
  expect(line.value, name).toEqual(expect.any(Number));
  expect(line.value as number, name).toBeGreaterThanOrEqual(0);
  expect(line.labels, name).toMatchObject({
    rating: expect.stringMatching(/^(good|needs-improvement|poor)$/),
    id: expect.stringMatching(/^v6-/),
    navigationType: 'navigate',
  });
  return line;
}

test('a page load produces LCP, FCP and TTFB metrics', async ({ page, app, ingest }) => {
  await openApp(page, app);
  // LCP is final at the first input (or when the page is hidden): a click on plain text finalises it.
  await page.locator('#intro').click();
  const byName = await flushUntil(
    page,
    () => vitals(ingest),
    (v) => [...LOAD_VITALS, 'web_vital_lcp'].every((name) => name in v),
  );
  expectVital(byName.web_vital_fcp, 'FCP');
  expectVital(byName.web_vital_ttfb, 'TTFB');
  const lcp = expectVital(byName.web_vital_lcp, 'LCP');
  // The largest paint cannot come before the first one.
  expect(lcp.value as number).toBeGreaterThanOrEqual(byName.web_vital_fcp![0]!.value as number);
  expect(lcp.session_id).toBe(byName.web_vital_fcp![0]!.session_id);
});

test('an interaction then hiding the page produces INP and CLS metrics', async ({ page, app, ingest }) => {
  await openApp(page, app);
  // A banner inserted above the content 700 ms after the click: a layout shift that counts (shifts
  // within 500 ms of an input do not).
  await page.locator('#news').click();
  await expect(page.locator('.news')).toBeVisible();
  // A slow click handler (about 80 ms of work): the interaction INP reports.
  await page.locator('#crunch').click();
  await expect(page.locator('#crunch-result')).toContainText('Crunched');
  // The browser times an interaction up to the next paint, and web-vitals reads the entries when idle.
  await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 200))));

  // INP and CLS are reported when the page is hidden: navigating away hides it for real.
  await page.goto('about:blank');
  await expect
    .poll(async () => Object.keys(await vitals(ingest)).sort())
    .toEqual(['web_vital_cls', 'web_vital_fcp', 'web_vital_inp', 'web_vital_lcp', 'web_vital_ttfb']);

  const byName = await vitals(ingest);
  const inp = expectVital(byName.web_vital_inp, 'INP');
  // Event timings are rounded to 8 ms; the handler alone blocks for 80.
  expect(inp.value as number).toBeGreaterThanOrEqual(72);
  const cls = expectVital(byName.web_vital_cls, 'CLS');
  expect(cls.value as number).toBeGreaterThan(0);
  expectVital(byName.web_vital_lcp, 'LCP');
});

test('an uncaught error and an unhandled rejection arrive as exceptions with stacks', async ({
  page,
  app,
  telemetry,
  pageErrors,
}) => {
  await openApp(page, app);
  await page.locator('#throw').click();
  await page.locator('#reject').click();

  await flushUntilCaptured(telemetry, () => telemetry.exceptions.length >= 2);
  const errors = telemetry.exceptions;
  expect(errors).toHaveLength(2);
  const thrown = errors.find((l) => l.message === 'Demo error thrown from a click handler');
  const rejected = errors.find((l) => l.message === 'Demo rejection: profile service unavailable');
  const script = new RegExp(`^${app.url}assets/index-[\\w-]+\\.js$`);

  expect(thrown).toMatchObject({
    level: 'error',
    url: app.url,
    exception: { type: 'Error', message: 'Demo error thrown from a click handler' },
    context: { source: 'window.error', filename: expect.stringMatching(script) },
  });
  expect(thrown!.context).toMatchObject({ lineno: expect.any(Number), colno: expect.any(Number) });
  expect(rejected).toMatchObject({
    level: 'error',
    exception: { type: 'Error', message: 'Demo rejection: profile service unavailable' },
    context: { source: 'unhandledrejection' },
  });
  // V8 stacks: the message line, then frames in the app's bundle.
  for (const line of [thrown!, rejected!]) {
    const stack = line.exception!.stack!;
    expect(stack).toMatch(/^Error: Demo /);
    expect(stack).toMatch(/\n\s+at .*\/assets\/index-[\w-]+\.js:\d+:\d+/);
  }

  // The page did see exactly these two, and nothing else went uncaught.
  expect(pageErrors.map((e) => e.message).sort()).toEqual([
    'Demo error thrown from a click handler',
    'Demo rejection: profile service unavailable',
  ]);
  pageErrors.length = 0;
});

test('a fetch span carries the traceparent the server saw', async ({ page, app, ingest }) => {
  await openApp(page, app);
  await page.locator('#fetch').click();
  await expect(page.locator('#api-result')).toContainText('HTTP 200');

  expect(app.apiRequests).toHaveLength(1);
  const seen = app.apiRequests[0]!;
  expect(seen.url).toBe('/api/echo?click=1');
  const match = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(seen.traceparent ?? '');
  expect(match, `traceparent ${seen.traceparent}`).not.toBeNull();
  const [, traceId, spanId] = match!;

  const spans = await flushUntil(
    page,
    async () => (await ingest.lines('traces')).filter((t) => t.name === 'HTTP GET'),
    (lines) => lines.length > 0,
  );
  expect(spans).toHaveLength(1);
  expect(spans[0]).toMatchObject({
    traceId,
    spanId,
    // No query string: it may carry secrets.
    attributes: { 'http.method': 'GET', 'http.url': `${app.url}api/echo`, 'http.status_code': 200 },
  });
  expect(spans[0]).not.toHaveProperty('parentSpanId');
  expect(spans[0]!.duration as number).toBeGreaterThan(0);

  // Telemetry's own sends are never traced. A span about a send would be recorded when it answers and
  // go out with the next send: make two more sends, each carrying a log, then the only span is still
  // the API call.
  for (const n of [1, 2]) {
    await page.evaluate(async (i) => {
      window.__telemetry.log('info', `after the span ${i}`);
      await window.__telemetry.flush();
    }, n);
  }
  await expect
    .poll(async () =>
      (await ingest.lines('logs')).filter((l) => String(l.message).startsWith('after the span')),
    )
    .toHaveLength(2);
  expect(await ingest.lines('traces')).toHaveLength(1);
  // The logger forwarded the app's own log line about the answer.
  await expect
    .poll(async () => (await ingest.lines('logs')).map((l) => [l.level, l.message, l.context]))
    .toContainEqual(['info', 'API answered', { status: 200 }]);
});

test('the demo buttons log, measure and trace through the logger and spans', async ({
  page,
  app,
  telemetry,
}) => {
  await openApp(page, app);
  await page.locator('#log-info').click();
  await page.locator('#log-warn').click();
  await page.locator('#metric').click();
  await page.locator('#task').click();
  await expect(page.locator('#task-result')).toContainText('Done');

  await flushUntilCaptured(telemetry, () => telemetry.traces.length >= 3);
  const traces = telemetry.traces;
  const task = traces.find((t) => t.name === 'demo.task')!;
  expect(task).toMatchObject({ attributes: { steps: 2, ok: true } });
  expect(task.traceId).toMatch(HEX32);
  expect(task.spanId).toMatch(HEX16);
  for (const child of ['demo.task.load', 'demo.task.compute']) {
    expect(traces.find((t) => t.name === child)).toMatchObject({
      traceId: task.traceId,
      parentSpanId: task.spanId,
    });
  }

  const logs = telemetry.logs;
  expect(logs.map((l) => [l.level, l.message])).toEqual(
    expect.arrayContaining([
      ['info', 'Button clicked'],
      ['warn', 'Something looks odd'],
      ['info', '[PERF] DEMO_RENDER'],
      ['info', 'Task finished'],
    ]),
  );
  expect(logs.find((l) => l.message === 'Task finished')?.context).toEqual({ traceId: task.traceId });
  // logger.perf also records the value as a metric, lower-cased, with the other fields as labels.
  const perf = telemetry.metrics.find((m) => m.name === 'demo_render');
  expect(perf).toMatchObject({ value: expect.any(Number), labels: { view: 'demo' } });
  // Intercepted: none of it reached the ingest server.
  expect(app.requests).toEqual([]);
});
