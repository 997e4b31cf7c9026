// @vitest-environment node
/** A batch's `dropped` (what the client lost since its last batch) is stored as `telemetry_dropped` points. */
import { afterEach, describe, expect, it } from 'vitest';
import { batch, cleanup, items, post, serve } from './harness.js';

afterEach(cleanup);

describe('dropped in the batch envelope', () => {
  it('is stored as one telemetry_dropped metric per reason with a count, zero counts left out', async () => {
    const server = await serve();
    const sentAt = '2026-03-15T11:59:59.000Z';
    const res = await post(
      server.url,
      batch('d1', { sentAt, dropped: { queue_full: 4, invalid: 0, max_attempts: 1 } }),
    );
    expect(res.status).toBe(200);
    const drops = (await items(server.dataDir, 'metrics')).filter((m) => m.name === 'telemetry_dropped');
    expect(drops.map((m) => [m.labels, m.value, m.timestamp, m.batch_id])).toEqual([
      [{ reason: 'queue_full' }, 4, sentAt, 'd1'],
      [{ reason: 'max_attempts' }, 1, sentAt, 'd1'],
    ]);
    // A resend of the batch is deduplicated with it: the drops are not counted twice.
    await post(server.url, batch('d1', { sentAt, dropped: { queue_full: 4 } }));
    expect(
      (await items(server.dataDir, 'metrics')).filter((m) => m.name === 'telemetry_dropped'),
    ).toHaveLength(2);
  });

  it('is optional, and refused with a reason when malformed', async () => {
    const server = await serve();
    expect((await post(server.url, batch('d2'))).status).toBe(200);
    for (const dropped of [[1], 'many', { queue_full: -1 }, { queue_full: 1.5 }, { 'bad reason!': 1 }]) {
      const res = await post(server.url, batch('d3', { dropped }));
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toMatch(/^dropped/);
    }
  });
});
