// @vitest-environment node
// Requests reach the dashboard exactly when the URL parser says their path is the dashboard's: the
// router compares plain paths without parsing (dashboard/handler.ts), and must agree with it.
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, serve } from './harness.js';

afterEach(cleanup);

/** GETs `path` as written (fetch would normalise it first); resolves with the status. */
function get(url: string, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}/`, { path }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject).end();
  });
}

describe('routing between the dashboard and the ingest endpoint', () => {
  it('sends each path where its parsed URL points', async () => {
    const server = await serve();
    expect(await get(server.url, '/dashboard/api/meta')).toBe(200);
    // Dot segments and escapes are resolved by the URL parser, so these are the dashboard's too.
    expect(await get(server.url, '/ingest/../dashboard/api/meta')).toBe(200);
    expect(await get(server.url, '/x/%2e%2e/dashboard/api/meta')).toBe(200);
    // `//dashboard/...` names a host, not the dashboard; `/dashboards` is another path.
    expect(await get(server.url, '//dashboard/api/meta')).toBe(404);
    expect(await get(server.url, '/dashboards')).toBe(404);
    // Plain ingest paths go to the ingest endpoint (405: it takes POST).
    expect(await get(server.url, '/ingest')).toBe(405);
    expect(await get(server.url, '/v1/telemetry')).toBe(405);
  });
});
