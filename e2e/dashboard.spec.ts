/**
 * The dashboard in real Chromium, against data this test stored through the real ingest endpoint:
 * every view shows the numbers that data implies. Screenshots of each view are attached to the report.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { Page, TestInfo } from '@playwright/test';
import { startServer, type RunningServer } from '../src/server/index.js';
import { expect, test } from './fixtures.js';

const TOKEN = 'dashboard-e2e-token';
const MIN = 60_000;
const TRACE = 'c'.repeat(32);

// `npm test` builds the dashboard (and the CLI) first; run alone, the spec says what is missing
// instead of skipping.
test.beforeAll(() => {
  if (!existsSync('dist/dashboard/index.html')) throw new Error('run `npm run build:dashboard` first');
  if (!existsSync('dist/server/cli.js')) throw new Error('run `npm run build:lib` first');
});

async function post(server: Pick<RunningServer, 'url'>, body: Record<string, unknown>): Promise<void> {
  const res = await fetch(`${server.url}/ingest`, {
    method: 'POST',
    // A new connection each: with `--workers`, the primary hands them to the workers in turn.
    headers: { 'Content-Type': 'application/json', 'X-Telemetry-Token': TOKEN, Connection: 'close' },
    body: JSON.stringify({ sentAt: new Date().toISOString(), ...body }),
  });
  expect(res.status).toBe(200);
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Two versions, two sessions: LCP p75 1.0.0 = 3,250 ms, 2.0.0 = 5,000 ms; errors, spans, drops. */
async function seed(server: RunningServer, now: number): Promise<void> {
  const env = (version: string, session: string) => ({
    resource: { app: 'quiz', version },
    session: { id: session },
  });
  const lcp = (value: number) => ({
    timestamp: iso(now - 10 * MIN),
    name: 'web_vital_lcp',
    value,
    labels: {},
  });
  await post(server, {
    batchId: 'm1',
    ...env('1.0.0', 'session-one'),
    metrics: [1000, 2000, 3000, 4000].map(lcp),
  });
  await post(server, {
    batchId: 'm2',
    ...env('2.0.0', 'session-two'),
    metrics: [lcp(5000)],
    dropped: { queue_full: 7 },
  });
  const error = (message: string, at: number) => ({
    timestamp: iso(at),
    level: 'error',
    message,
    context: {},
    exception: {
      type: 'TypeError',
      message,
      stack: `TypeError: ${message}\n    at boom (http://app/main.js:10:5)`,
    },
  });
  const logs = [
    { timestamp: iso(now - 30 * MIN), level: 'info', message: 'Quiz started', context: { topic: 'Math' } },
    { timestamp: iso(now - 20 * MIN), level: 'warn', message: 'Slow answer', context: {} },
    error('x is undefined', now - 15 * MIN),
    error('x is undefined', now - 5 * MIN),
  ];
  await post(server, { batchId: 'l1', ...env('1.0.0', 'session-one'), logs });
  await post(server, {
    batchId: 'l2',
    ...env('2.0.0', 'session-two'),
    logs: [error('x is undefined', now - 2 * MIN)],
  });
  const span = (spanId: string, name: string, offset: number, duration: number, parentSpanId?: string) => ({
    timestamp: iso(now - 3 * MIN + offset),
    traceId: TRACE,
    spanId,
    ...(parentSpanId ? { parentSpanId } : {}),
    name,
    duration,
    attributes: name.startsWith('HTTP') ? { 'http.url': '/api/echo' } : {},
  });
  await post(server, {
    batchId: 't1',
    ...env('1.0.0', 'session-one'),
    traces: [
      span('a'.repeat(16), 'checkout', 0, 300),
      span('b'.repeat(16), 'HTTP GET', 50, 200, 'a'.repeat(16)),
    ],
  });
}

async function shot(page: Page, testInfo: TestInfo, name: string): Promise<void> {
  const path = testInfo.outputPath(`${name}.png`);
  await page.screenshot({ path, fullPage: true });
  await testInfo.attach(name, { path, contentType: 'image/png' });
}

/** Waits for the view to finish rendering (the status line says when it was updated). */
async function view(page: Page, name: string): Promise<void> {
  await page.click(`#tabs a[data-view="${name}"]`);
  await expect(page.locator('#status')).toContainText('updated');
  await expect(page.locator('#tabs a.active')).toHaveAttribute('data-view', name);
}

test('every view renders the stored numbers, behind a login', async ({ page }, testInfo) => {
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    dataDir: testInfo.outputPath('data'),
    token: TOKEN,
    onError: () => {},
  });
  try {
    await seed(server, Date.now());
    // No CDN: every request the dashboard makes goes to its own server.
    const requests: string[] = [];
    page.on('request', (request) => requests.push(request.url()));
    await page.goto(`${server.url}/dashboard`);
    await page.fill('input[name="token"]', 'wrong');
    await page.click('#login button');
    await expect(page.locator('#login .error')).toHaveText('Wrong token.');
    await page.fill('input[name="token"]', TOKEN);
    await page.click('#login button');
    // The token is in an HttpOnly cookie, not in the URL or in reach of scripts.
    await expect(page.getByTestId('p75-LCP')).toHaveText('4,000 ms');
    expect(page.url()).not.toContain(TOKEN);
    expect(await page.evaluate(() => document.cookie)).toBe('');

    await expect(page.getByTestId('rating-LCP')).toHaveText('needs improvement');
    await expect(page.getByTestId('count-LCP')).toHaveText('5');
    await expect(page.getByTestId('p75-LCP-1.0.0')).toHaveText('3,250 ms');
    await expect(page.getByTestId('p75-LCP-2.0.0')).toHaveText('5,000 ms');
    await expect(page.getByTestId('p75-LCP-2.0.0')).toHaveClass(/poor/);
    await expect(page.locator('[data-chart="LCP"] canvas')).toHaveCount(1);
    await shot(page, testInfo, 'vitals');

    await page.selectOption('select[name="version"]', '1.0.0');
    await expect(page.getByTestId('p75-LCP')).toHaveText('3,250 ms');
    await page.selectOption('select[name="version"]', '');
    await expect(page.getByTestId('p75-LCP')).toHaveText('4,000 ms');

    await view(page, 'logs');
    await expect(page.getByTestId('log-total')).toHaveText('5');
    await page.fill('[data-testid="log-search"] input[name="q"]', 'quiz');
    await page.click('[data-testid="log-search"] button');
    await expect(page.getByTestId('log-total')).toHaveText('1');
    await expect(page.locator('table.logs tbody tr')).toContainText('Quiz started');
    await shot(page, testInfo, 'logs');
    // A row's session link narrows every view to that session.
    const rendered = await page.locator('#status').getAttribute('data-ready');
    await page.click('table.logs tbody tr a');
    await expect(page.locator('#status')).not.toHaveAttribute('data-ready', rendered!);
    await expect(page.locator('input[name="session"]')).toHaveValue('session-one');
    await page.fill('[data-testid="log-search"] input[name="q"]', '');
    await page.click('[data-testid="log-search"] button');
    await expect(page.getByTestId('log-total')).toHaveText('4');
    await page.fill('input[name="session"]', '');
    await page.locator('input[name="session"]').dispatchEvent('change');

    await view(page, 'errors');
    await expect(page.getByTestId('error-total')).toHaveText('3');
    await expect(page.getByTestId('error-count-0')).toHaveText('3');
    await expect(page.getByTestId('error-sessions-0')).toHaveText('2');
    await expect(page.getByTestId('error-group-0')).toContainText('boom (http://app/main.js:10:5)');
    await shot(page, testInfo, 'errors');

    await view(page, 'traces');
    await expect(page.getByTestId('span-0')).toContainText('checkout');
    await expect(page.getByTestId('span-p95-0')).toHaveText('300 ms');
    await page.click('[data-testid="span-0"] a[data-trace]');
    await expect(page.getByTestId('waterfall-span')).toHaveCount(2);
    await expect(page.getByTestId('trace-duration')).toHaveText('300 ms');
    await expect(page.locator('.span-bar.fetch')).toHaveCount(1);
    await shot(page, testInfo, 'traces');

    await view(page, 'health');
    await expect(page.getByTestId('health-total')).toHaveText('13'); // 6 metrics (one is the stored drop report), 5 logs, 2 spans
    await expect(page.getByTestId('health-sessions')).toHaveText('2');
    await expect(page.getByTestId('drop-queue_full')).toHaveText('7');
    await shot(page, testInfo, 'health');

    // Session filter applies to every view.
    await page.fill('input[name="session"]', 'session-two');
    await page.locator('input[name="session"]').dispatchEvent('change');
    await expect(page.getByTestId('health-total')).toHaveText('3');

    await page.click('#logout');
    await expect(page.locator('#login')).toBeVisible();
    expect(requests.filter((url) => !url.startsWith(`${server.url}/dashboard`))).toEqual([]);
  } finally {
    await server.close();
  }
});

test('live mode shows what arrives without a reload', async ({ page }, testInfo) => {
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    dataDir: testInfo.outputPath('data'),
    onError: () => {},
  });
  try {
    await page.goto(`${server.url}/dashboard/#logs?live=1`);
    await expect(page.getByTestId('log-total')).toHaveText('0');
    await post(server, {
      batchId: 'live-1',
      session: { id: 'live' },
      logs: [{ timestamp: iso(Date.now()), level: 'info', message: 'arrived later', context: {} }],
    });
    await expect(page.getByTestId('log-total')).toHaveText('1', { timeout: 8000 });
    await expect(page.locator('table.logs')).toContainText('arrived later');
  } finally {
    await server.close();
  }
});

test('with --workers 2: the login and live mode work as with one process', async ({ page }, testInfo) => {
  const child = spawn(
    process.execPath,
    ['bin/pwa-telemetry.js', 'serve', '--port', '0', '--host', '127.0.0.1', '--workers', '2'].concat([
      '--data-dir',
      testInfo.outputPath('data'),
      '--token',
      TOKEN,
      '--rate-limit',
      'off',
    ]),
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const first = await new Promise<string>((resolve) =>
      createInterface({ input: child.stdout }).once('line', resolve),
    );
    const url = /listening on (http:\/\/\S+)\/ingest$/.exec(first)![1]!;
    await page.goto(`${url}/dashboard/#logs?live=1`);
    await page.fill('input[name="token"]', TOKEN);
    await page.click('#login button');
    await expect(page.getByTestId('log-total')).toHaveText('0');
    // Two batches over new connections: one through each worker.
    for (const n of [1, 2]) {
      await post(
        { url },
        {
          batchId: `live-${n}`,
          session: { id: 'live' },
          logs: [{ timestamp: iso(Date.now()), level: 'info', message: `arrived later ${n}`, context: {} }],
        },
      );
    }
    await expect(page.getByTestId('log-total')).toHaveText('2', { timeout: 8000 });
    await expect(page.locator('table.logs')).toContainText('arrived later 1');
    await expect(page.locator('table.logs')).toContainText('arrived later 2');
  } finally {
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }
});
