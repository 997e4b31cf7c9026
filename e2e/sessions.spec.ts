import { expect, openApp, test, VISIT_MESSAGES, type StoredLine } from './fixtures.js';

/** The visit logs (session_start, page_view, session_end) stored so far, oldest first. */
function visits(lines: StoredLine[]): StoredLine[] {
  return lines
    .filter((l) => VISIT_MESSAGES.includes(l.message))
    .sort((a, b) => String(a.timestamp).localeCompare(String(b.timestamp)));
}

test('the demo records a session with its page views, and a reload stays in it', async ({
  page,
  app,
  ingest,
}) => {
  await openApp(page, app);
  const session = await page.evaluate(() => window.__telemetry.getSessionId());
  await page.locator('#nav-delivery').click();
  await page.locator('#nav-playground').click();
  await page.reload();
  await page.waitForFunction(() => typeof window.__telemetry === 'object');
  expect(await page.evaluate(() => window.__telemetry.getSessionId())).toBe(session);
  await page.goto('about:blank');

  await expect
    .poll(async () => visits(await ingest.lines('logs', { visits: true })).map((l) => l.message), {
      // The second session_end travels with keepalive as the page goes; under load it can take seconds.
      timeout: 15_000,
    })
    .toEqual([
      'session_start',
      'page_view',
      'page_view',
      'page_view',
      'session_end',
      'page_view',
      'session_end',
    ]);
  const lines = visits(await ingest.lines('logs', { visits: true }));
  // One session throughout, each event with its own id.
  expect(new Set(lines.map((l) => l.session_id))).toEqual(new Set([session]));
  const ids = lines.map((l) => l.eventId);
  expect(new Set(ids).size).toBe(ids.length);
  // Page views carry the path and the hash route only.
  const views = lines
    .filter((l) => l.message === 'page_view')
    .map((l) => (l.context as { route: string }).route);
  expect(views).toEqual(['', '/delivery', '/playground', '/playground']);
  // Each page's close reports running totals; the last is the session's end.
  const ends = lines
    .filter((l) => l.message === 'session_end')
    .map((l) => l.context as Record<string, unknown>);
  expect(ends.map((e) => [e.reason, e.page_views])).toEqual([
    ['close', 3],
    ['close', 4],
  ]);
  expect(ends[1]!.duration_ms as number).toBeGreaterThanOrEqual(ends[0]!.duration_ms as number);
  // Context, anonymous id and app identity are stored with every line.
  for (const line of lines) {
    expect(line.resource).toMatchObject({ app: 'pwa-telemetry-demo', device: 'desktop' });
    expect((line.resource as { browser: string }).browser).toMatch(/^\w[\w ]* \d+$/);
    expect(line.anonymous_id).toMatch(/^[0-9a-f]{16}$/);
  }
});

test('a new tab is a new session', async ({ context, app }) => {
  const a = await context.newPage();
  await openApp(a, app);
  const b = await context.newPage();
  await openApp(b, app);
  const [one, two] = await Promise.all(
    [a, b].map((p) => p.evaluate(() => window.__telemetry.getSessionId())),
  );
  expect(one).toMatch(/^[0-9a-f]{32}$/);
  expect(two).not.toBe(one);
  // The anonymous id is the origin's, shared by every tab the same day.
  const anon = await Promise.all([a, b].map((p) => p.evaluate(() => window.__telemetry.getAnonymousId())));
  expect(anon[0]).toMatch(/^[0-9a-f]{16}$/);
  expect(anon[1]).toBe(anon[0]);
});
