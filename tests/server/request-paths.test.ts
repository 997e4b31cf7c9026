// @vitest-environment node
// Nothing in a request chooses a file: the kind comes from the route or the body's fixed keys, the
// day from the server's clock, and every other value is data inside a line. Dashboard parameters
// choose nothing on disk either, and absurd ranges are answered, not failed.
import { readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthResponse, VitalsResponse } from '../../src/server/dashboard/api-types.js';
import { batch, cleanup, items, NOW, post, serve, TODAY } from './harness.js';

afterEach(cleanup);

/** Every file under `dir`, relative to it, sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile())
    .map((e) => relative(dir, join(e.parentPath, e.name)))
    .sort();
}

const SNEAKY = '../../../../tmp/pwa-telemetry-escape';

describe('file paths at the ingest endpoint', () => {
  it('writes only <kind>/<server day>.jsonl, whatever the timestamps, ids and fields say', async () => {
    const server = await serve();
    const far = { timestamp: '2999-12-31T00:00:00Z', received_at: SNEAKY, batch_id: SNEAKY, kind: SNEAKY };
    const accepted = await post(
      server.url,
      batch('paths-1', {
        sentAt: '1970-01-01T00:00:00Z',
        session: { id: SNEAKY },
        resource: { app: SNEAKY, version: '../..' },
        logs: [{ level: 'info', message: SNEAKY, ...far }],
        metrics: [{ name: SNEAKY, value: 1, timestamp: -1e15, labels: { day: '../1999-01-01' } }],
        [SNEAKY]: [{ level: 'info', message: 'x' }],
      }),
    );
    expect(accepted.status).toBe(200);
    const otlp = {
      resourceLogs: [{ scopeLogs: [{ logRecords: [{ timeUnixNano: '0', body: { stringValue: SNEAKY } }] }] }],
    };
    expect((await post(server.url, otlp, { path: '/v1/logs' })).status).toBe(200);
    const refused = [
      await post(server.url, batch(SNEAKY)),
      await post(server.url, otlp, { path: '/v1/logs', headers: { 'X-Batch-Id': SNEAKY } }),
      await post(server.url, batch('p2'), { path: `/v1/logs/${SNEAKY}` }),
      await post(server.url, batch('p3'), { path: '/v1/%2e%2e/%2e%2e/logs' }),
      await post(server.url, batch('p4'), { path: '/ingest/..%2f..%2fx' }),
    ];
    expect(refused.map((r) => r.status)).toEqual([400, 400, 404, 404, 404]);

    expect(await tree(server.dataDir)).toEqual([
      // The running server's admin announcement for `pwa-telemetry delete` (admin.ts): a fixed name.
      '.admin.json',
      'logs/.last-write',
      `logs/${TODAY}.jsonl`,
      'metrics/.last-write',
      `metrics/${TODAY}.jsonl`,
      'traces/.last-write',
      `traces/${TODAY}.jsonl`,
    ]);
    // Our fields are the server's, whatever the item said.
    const logs = await items(server.dataDir, 'logs');
    expect(logs.map((l) => l.received_at)).toEqual([
      new Date(NOW).toISOString(),
      new Date(NOW).toISOString(),
    ]);
    expect(logs[0]).toMatchObject({ batch_id: 'paths-1', kind: SNEAKY, session_id: SNEAKY });
  });
});

describe('dashboard parameters', () => {
  const get = async (url: string, path: string) => {
    const res = await fetch(`${url}/dashboard/${path}`);
    return { status: res.status, text: await res.text() };
  };

  it.each([
    'from=-1e20&to=1e20',
    'from=1e300&to=1',
    'from=2&to=1',
    'from=1&to=9e15',
    'from=0&to=-5',
    'from=abc&to=',
  ])('answers every view for %s with 200 and a bounded chart', async (query) => {
    const server = await serve();
    await post(server.url, batch('d1'));
    for (const view of ['meta', 'vitals', 'logs', 'errors', 'traces', 'health']) {
      const { status, text } = await get(server.url, `api/${view}?${query}&page=1e300&level=__proto__`);
      expect([view, status]).toEqual([view, 200]);
      const body = JSON.parse(text) as Partial<HealthResponse & VitalsResponse>;
      if (body.buckets) expect(body.buckets.count).toBeLessThanOrEqual(121);
      for (const r of body.received ?? []) expect(r.perMinute.length).toBeLessThanOrEqual(121);
    }
  });

  it('looks a trace id up in memory, and serves no file outside the front-end', async () => {
    const server = await serve();
    const trace = await get(server.url, `api/trace?id=${encodeURIComponent(SNEAKY)}`);
    expect(trace.status).toBe(200);
    expect(JSON.parse(trace.text)).toMatchObject({ spans: [] });
    for (const path of [
      '../package.json',
      '..%2f..%2fpackage.json',
      '%2e%2e/%2e%2e/package.json',
      'assets/../../../package.json',
    ]) {
      const res = await get(server.url, path);
      expect([path, res.status]).toEqual([path, 404]);
    }
  });
});
