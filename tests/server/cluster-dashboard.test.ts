// @vitest-environment node
// `serve --workers 2` serves the dashboard (DESIGN.md: "served by the ingest server at /dashboard;
// when the server has a token, the dashboard requires it too"): workers serve the page and check the
// token, the primary's index answers the API. Answers are compared with one process's over the same
// data dir, byte for byte.
import { connect } from 'node:net';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { runCli, startServer } from '../../src/server/index.js';
import { ensureBuilt } from './child-server.js';
import { batch, cleanup, post } from './harness.js';
import { startWorkers } from './workers.js';

afterEach(cleanup);
beforeAll(ensureBuilt, 60_000);

const TOKEN = 'cluster-dashboard-token';
// Every view over all the data and a fixed end, so answers do not depend on when they were asked.
const RANGE = `from=0&to=${Date.now() + 86_400_000}`;
const VIEWS = ['meta', 'vitals', 'logs', 'errors', 'traces', `trace?id=${'a'.repeat(32)}&`, 'health'];
const PATHS = [
  '/dashboard',
  '/dashboard/',
  ...VIEWS.map((v) => `/dashboard/api/${v}${v.includes('?') ? '' : '?'}${RANGE}`),
];

/** A batch whose log says its id, so what was stored through either worker can be told apart. */
const tagged = (id: string): Record<string, unknown> => {
  const b = batch(id);
  return { ...b, logs: [{ ...(b.logs as object[])[0], message: id }] };
};

interface Answer {
  status: number;
  type: string | null;
  location: string | null;
  body: string;
}

/** GET over a connection of its own (`Connection: close`), so requests spread over both workers. */
async function fetchNew(url: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(url, { headers: { Connection: 'close', ...headers }, redirect: 'manual' });
  return {
    status: res.status,
    type: res.headers.get('content-type'),
    location: res.headers.get('location'),
    body: await res.text(),
  };
}

async function ingest(url: string, ids: string[], headers: Record<string, string> = {}): Promise<void> {
  // One at a time over new connections: the primary hands them to the workers in turn.
  for (const id of ids) {
    const res = await post(url, tagged(id), { headers: { Connection: 'close', ...headers } });
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  }
}

const messages = (answer: Answer): string[] =>
  (JSON.parse(answer.body) as { rows: { message: string }[] }).rows.map((r) => r.message).sort();

describe('serve --workers 2: the dashboard', () => {
  it('answers the page and every API view as one process does, over what either worker took', async () => {
    const workers = await startWorkers('--rate-limit', 'off');
    let seen: Answer[];
    try {
      const logs = `${workers.url}/dashboard/api/logs?${RANGE}`;
      // A dashboard open before anything arrived (live mode polls the same API)...
      expect(messages(await fetchNew(logs))).toEqual([]);
      await ingest(workers.url, ['w0', 'w1', 'w2', 'w3']);
      // ...sees what each worker took, whichever worker answers it.
      for (let i = 0; i < 4; i++) expect(messages(await fetchNew(logs))).toEqual(['w0', 'w1', 'w2', 'w3']);
      await ingest(workers.url, ['w4', 'w5']);
      expect(messages(await fetchNew(logs))).toHaveLength(6);
      seen = [];
      for (const path of PATHS) seen.push(await fetchNew(`${workers.url}${path}`));
    } finally {
      expect(await workers.stop()).toBe(0);
    }
    expect(seen[0]).toMatchObject({ status: 301, location: '/dashboard/' });
    // The page is 503 "not built" in a checkout without `npm run build:dashboard`, in both modes.
    expect(seen.slice(2).map((a) => a.status)).toEqual(VIEWS.map(() => 200));

    const one = await startServer({ port: 0, dataDir: workers.dataDir, rateLimit: 'off', onError: () => {} });
    try {
      const expected: Answer[] = [];
      for (const path of PATHS) expected.push(await fetchNew(`${one.url}${path}`));
      expect(seen).toEqual(expected);
    } finally {
      await one.close();
    }
  }, 60_000);

  it('requires the token when the server has one: header or login cookie, as one process does', async () => {
    const workers = await startWorkers('--rate-limit', 'off', '--token', TOKEN);
    const meta = `/dashboard/api/meta?${RANGE}`;
    let refused: Answer;
    try {
      await ingest(workers.url, ['t0', 't1'], { 'X-Telemetry-Token': TOKEN });
      // Both workers refuse without the token, or with a wrong one.
      refused = await fetchNew(`${workers.url}${meta}`);
      expect(refused.status).toBe(401);
      expect((await fetchNew(`${workers.url}${meta}`)).status).toBe(401);
      expect((await fetchNew(`${workers.url}${meta}`, { 'X-Telemetry-Token': 'wrong' })).status).toBe(401);
      const withHeader = await fetchNew(`${workers.url}${meta}`, { 'X-Telemetry-Token': TOKEN });
      expect(withHeader.status).toBe(200);
      expect(JSON.parse(withHeader.body)).toMatchObject({ auth: true });

      const login = (token: string) =>
        fetch(`${workers.url}/dashboard/login`, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded', Connection: 'close' },
          body: new URLSearchParams({ token }).toString(),
        });
      expect((await login('wrong')).status).toBe(401);
      const ok = await login(TOKEN);
      expect(ok.status).toBe(200);
      const cookie = ok.headers.get('set-cookie')!.split(';')[0]!;
      for (let i = 0; i < 2; i++) {
        const answer = await fetchNew(`${workers.url}/dashboard/api/logs?${RANGE}`, { Cookie: cookie });
        expect(messages(answer)).toEqual(['t0', 't1']);
      }
    } finally {
      expect(await workers.stop()).toBe(0);
    }
    const one = await startServer({
      port: 0,
      dataDir: workers.dataDir,
      rateLimit: 'off',
      token: TOKEN,
      onError: () => {},
    });
    try {
      expect(refused).toEqual(await fetchNew(`${one.url}${meta}`));
    } finally {
      await one.close();
    }
  }, 60_000);

  it('forgets what `delete` removed: the primary’s index is the one the delete resets', async () => {
    const workers = await startWorkers('--rate-limit', 'off');
    try {
      await ingest(workers.url, ['d0', 'd1', 'd2']);
      const res = await post(workers.url, { ...tagged('victim'), session: { id: 'victim' } });
      expect(res.status).toBe(200);
      const logs = `${workers.url}/dashboard/api/logs?${RANGE}`;
      expect(messages(await fetchNew(logs))).toEqual(['d0', 'd1', 'd2', 'victim']);
      const io = { stdout: () => {}, stderr: () => {}, untilStopped: () => new Promise<void>(() => {}) };
      expect(await runCli(['delete', '--session', 'victim', '--data-dir', workers.dataDir], {}, io)).toBe(0);
      // More lines than were removed: an index not reset would read on from its old offsets.
      await ingest(workers.url, ['n0', 'n1', 'n2']);
      for (let i = 0; i < 2; i++)
        expect(messages(await fetchNew(logs))).toEqual(['d0', 'd1', 'd2', 'n0', 'n1', 'n2']);
    } finally {
      expect(await workers.stop()).toBe(0);
    }
  }, 60_000);

  it('stops on SIGTERM though a dashboard connection never goes idle', async () => {
    const workers = await startWorkers('--rate-limit', 'off');
    // A live dashboard polling faster than the keep-alive timeout keeps its connection busy, and a
    // worker's close() would wait for it as long as the tab stays open; but whether it is busy at the
    // instant of the stop is luck. A request whose body never ends is busy for sure, from the moment
    // the worker has read its headers, which its automatic "100 Continue" tells.
    const { hostname, port } = new URL(workers.url);
    const socket = connect(Number(port), hostname);
    socket.on('error', () => {});
    const continued = new Promise<void>((resolve) => {
      let text = '';
      socket.on('data', (chunk: Buffer) => {
        text += chunk.toString('latin1');
        if (text.includes('100 Continue')) resolve();
      });
    });
    socket.write(
      'POST /dashboard/login HTTP/1.1\r\nHost: 127.0.0.1\r\nExpect: 100-continue\r\n' +
        'Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\ntoken=',
    );
    await continued;
    expect(await workers.stop()).toBe(0);
    socket.destroy();
  }, 30_000);
});
