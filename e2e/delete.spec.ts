/**
 * A deletion request end to end: the ids the page's client reports (`getSessionId()`,
 * `getAnonymousId()`) are on every line it got stored, and `pwa-telemetry delete` with them removes
 * those lines while the ingest server keeps running and storing.
 */
import { runCli, type CliIo } from '../src/server/index.js';
import { expect, openQuietApp, test, type Kind } from './fixtures.js';

async function deleteCli(...args: string[]): Promise<{ code: number; out: string[] }> {
  const out: string[] = [];
  const io: CliIo = {
    stdout: (line) => void out.push(line),
    stderr: (line) => void out.push(line),
    untilStopped: () => new Promise<void>(() => undefined),
  };
  return { code: await runCli(['delete', ...args], {}, io), out };
}

test('the ids the client reports find its lines, and delete removes them while the server runs', async ({
  page,
  app,
  ingest,
}) => {
  await openQuietApp(page, app, ingest);
  const ids = await page.evaluate(async () => {
    const t = window.__telemetry;
    t.log('info', 'Quiz started', { topic: 'Math' });
    t.metric('quiz.score', 42);
    t.trace('quiz.load', 12.5);
    await t.flush();
    return { session: t.getSessionId(), anonymous: t.getAnonymousId() };
  });
  expect(ids.anonymous).toMatch(/^[A-Za-z0-9_-]{1,64}$/);
  const kinds: Kind[] = ['logs', 'metrics', 'traces'];
  const all = async () => (await Promise.all(kinds.map((k) => ingest.lines(k, { visits: true })))).flat();
  await expect.poll(async () => (await all()).some((line) => line.message === 'Quiz started')).toBe(true);
  await expect.poll(async () => (await all()).some((line) => line.name === 'quiz.load')).toBe(true);
  const stored = await all();
  for (const line of stored) {
    expect(line.session_id).toBe(ids.session);
    expect(line.anonymous_id).toBe(ids.anonymous);
  }

  const result = await deleteCli('--anonymous-id', ids.anonymous, '--data-dir', ingest.dataDir);
  expect(result.code).toBe(0);
  expect(result.out.at(-1)).toMatch(
    new RegExp(
      `^total: removed ${stored.length} lines of anonymous id ${ids.anonymous} from \\d files \\(done by the server`,
    ),
  );
  expect(await all()).toEqual([]);

  // The server goes on storing what the page sends next.
  await page.evaluate(async () => {
    window.__telemetry.log('info', 'After the delete');
    await window.__telemetry.flush();
  });
  await expect.poll(async () => (await all()).map((line) => line.message)).toContain('After the delete');
});
