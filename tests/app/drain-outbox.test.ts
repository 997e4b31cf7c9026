import { describe, expect, it } from 'vitest';
import { drainUntilEmpty } from '../../src/app/drain-outbox.js';
import { createTelemetry } from '../../src/telemetry/client.js';
import { memoryOutbox } from '../../src/telemetry/outbox.js';
import { HTTP, messages, OK, outboxEntry, putOp, recordingTransport } from '../telemetry/helpers.js';

const ENDPOINT = 'http://127.0.0.1:8787/ingest';

/** A clock the fake sleep moves forward, so waiting for a lease or a backoff takes no real time. */
function fakeClock() {
  let t = Date.now();
  const slept: number[] = [];
  return {
    now: () => t,
    sleep: (ms: number) => {
      slept.push(ms);
      t += ms;
      return Promise.resolve();
    },
    slept,
  };
}

describe('drainUntilEmpty (the service worker’s sync)', () => {
  it('waits out a dead page’s unload lease within its budget, then delivers, instead of resolving early', async () => {
    const clock = fakeClock();
    const outbox = memoryOutbox();
    const orphan = { ...outboxEntry(clock.now(), 'feedbeef', 1, () => 'left at unload'), owner: 'gone' };
    await outbox.run(putOp({ ...orphan, claimedBy: 'gone', claimedAt: clock.now(), claimKind: 'unload' }));
    const wire = recordingTransport();
    const worker = createTelemetry({
      sessionEvents: false,
      endpoint: ENDPOINT,
      transport: wire.transport,
      outbox,
      now: clock.now,
    });
    await drainUntilEmpty(worker, { budgetMs: 90_000, recheckMs: 5_000, now: clock.now, sleep: clock.sleep });
    expect(messages(wire.bodies)).toEqual(['left at unload']);
    expect(clock.slept.length).toBeGreaterThanOrEqual(12); // 60 s lease / 5 s
    expect(worker.status().queued).toBe(0);
    await worker.shutdown();
  });

  it('rejects while the server keeps failing, so the browser fires the sync again later', async () => {
    const clock = fakeClock();
    const outbox = memoryOutbox();
    await outbox.run(putOp(outboxEntry(clock.now(), 'cafe0001', 2)));
    const wire = recordingTransport(() => HTTP(503));
    const worker = createTelemetry({
      sessionEvents: false,
      endpoint: ENDPOINT,
      transport: wire.transport,
      outbox,
      now: clock.now,
      maxAttempts: 100,
    });
    await expect(
      drainUntilEmpty(worker, { budgetMs: 30_000, recheckMs: 5_000, now: clock.now, sleep: clock.sleep }),
    ).rejects.toThrow(/not drained \(2 events left\): HTTP 503/);
    expect(worker.status().queued).toBe(2);
    await worker.shutdown();
  });

  it('delivers after a 5xx once the backoff is over', async () => {
    const clock = fakeClock();
    const outbox = memoryOutbox();
    await outbox.run(putOp(outboxEntry(clock.now(), 'cafe0002', 1, () => 'retried')));
    const wire = recordingTransport((_r, i) => (i === 0 ? HTTP(503) : OK));
    const worker = createTelemetry({
      sessionEvents: false,
      endpoint: ENDPOINT,
      transport: wire.transport,
      outbox,
      now: clock.now,
      random: () => 0.5,
    });
    await drainUntilEmpty(worker, { budgetMs: 90_000, recheckMs: 5_000, now: clock.now, sleep: clock.sleep });
    expect(messages(wire.bodies)).toEqual(['retried', 'retried']);
    expect(worker.status()).toMatchObject({ queued: 0, sent: 1 });
    await worker.shutdown();
  });
});
