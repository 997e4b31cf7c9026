import { afterEach, describe, expect, it, vi } from 'vitest';
import { utf8Length } from '../../src/telemetry/bytes.js';
import { fallbackOutbox, memoryOutbox, type Outbox } from '../../src/telemetry/outbox.js';
import { indexedDbOutbox } from '../../src/telemetry/outbox-idb.js';
import {
  bodyText,
  fakeTimers,
  readOp,
  countOp,
  HTTP,
  messages,
  OFFLINE,
  OK,
  recordingTransport,
  outboxEntry,
  putOp,
  setVisibility,
  settle,
  testClient,
} from './helpers.js';

const queuedIn = (outbox: Outbox) => outbox.run(countOp());

afterEach(() => {
  vi.useRealTimers();
  setVisibility('visible');
});

describe('flush triggers', () => {
  it('sends when the batch size is reached, without a flush() call', async () => {
    fakeTimers();
    const wire = recordingTransport();
    const t = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
      batchSize: 5,
    });
    await vi.advanceTimersByTimeAsync(10); // the start-up drain
    for (let i = 0; i < 4; i++) t.log('info', `m${i}`);
    await vi.advanceTimersByTimeAsync(10);
    expect(wire.requests).toHaveLength(0);
    t.log('info', 'm4');
    await vi.advanceTimersByTimeAsync(10);
    expect(messages(wire.bodies)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    await t.shutdown();
  });

  it('paces size-triggered sends: a steady stream goes out as one batch per minBatchIntervalMs', async () => {
    fakeTimers();
    const wire = recordingTransport();
    const outbox = memoryOutbox();
    const t = testClient({
      transport: wire.transport,
      outbox,
      batchSize: 5,
      persistDelayMs: 200,
      compress: false, // gzip runs on real streams, outside the fake clock
      // minBatchIntervalMs: the default (1000)
    });
    await vi.advanceTimersByTimeAsync(10); // the start-up drain
    const burst = (from: number) => {
      for (let i = from; i < from + 5; i++) t.log('info', `m${i}`);
    };
    burst(0); // the first batch after a quiet spell goes at once
    await vi.advanceTimersByTimeAsync(10);
    expect(wire.bodies.map((b) => b.logs.length)).toEqual([5]);
    // Five more every 50 ms: each reaches the batch size, none may start a send before a second has passed.
    for (let k = 1; k <= 15; k++) {
      burst(k * 5);
      await vi.advanceTimersByTimeAsync(50);
    }
    expect(wire.bodies.map((b) => b.logs.length)).toEqual([5]);
    // Meanwhile they were persisted on the usual delay, not held in memory for the interval: at most
    // the last 200 ms (four bursts) are only in memory.
    expect(t.status().buffered).toBeLessThanOrEqual(20);
    expect(await queuedIn(outbox)).toBeGreaterThanOrEqual(55);
    await vi.advanceTimersByTimeAsync(300); // one second after the first send
    expect(wire.bodies.map((b) => b.logs.length)).toEqual([5, 75]);
    // Quiet for longer than the interval: the next batch goes at once again.
    await vi.advanceTimersByTimeAsync(2_000);
    burst(80);
    await vi.advanceTimersByTimeAsync(10);
    expect(wire.bodies.map((b) => b.logs.length)).toEqual([5, 75, 5]);
    expect(messages(wire.bodies)).toEqual(Array.from({ length: 85 }, (_, i) => `m${i}`));
    await t.shutdown();
  });

  it('minBatchIntervalMs: 0 sends every time the batch size is reached', async () => {
    fakeTimers();
    const wire = recordingTransport();
    const t = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
      batchSize: 5,
      minBatchIntervalMs: 0,
    });
    await vi.advanceTimersByTimeAsync(10);
    for (let k = 0; k < 3; k++) {
      for (let i = 0; i < 5; i++) t.log('info', `m${k * 5 + i}`);
      await vi.advanceTimersByTimeAsync(10);
    }
    expect(wire.bodies.map((b) => b.logs.length)).toEqual([5, 5, 5]);
    await t.shutdown();
  });

  it('sends on the flush interval timer', async () => {
    fakeTimers();
    const wire = recordingTransport();
    const t = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
      flushIntervalMs: 5_000,
    });
    await vi.advanceTimersByTimeAsync(10);
    t.log('info', 'tick');
    await vi.advanceTimersByTimeAsync(4_000);
    expect(wire.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(1_100);
    expect(messages(wire.bodies)).toEqual(['tick']);
    await t.shutdown();
  });

  it('writes buffered events to the outbox after persistDelayMs, before any send', async () => {
    fakeTimers();
    const outbox = memoryOutbox();
    const t = testClient({
      transport: recordingTransport().transport,
      outbox,
      persistDelayMs: 1_000,
    });
    await vi.advanceTimersByTimeAsync(10);
    t.log('info', 'a');
    expect(await queuedIn(outbox)).toBe(0);
    await vi.advanceTimersByTimeAsync(1_001);
    expect(await queuedIn(outbox)).toBe(1);
    expect(t.status()).toMatchObject({ buffered: 0, queued: 1 });
    await t.shutdown();
  });

  it.each(['visibilitychange', 'pagehide'])(
    'sends everything at once on %s, with keepalive-safe headers',
    async (event) => {
      const wire = recordingTransport();
      const t = testClient({
        token: 'secret',
        transport: wire.transport,
        persistDelayMs: 50,
      });
      await new Promise((r) => setTimeout(r, 10));
      await settle();
      t.log('info', 'persisted');
      await new Promise((r) => setTimeout(r, 80));
      await settle();
      t.log('info', 'in memory');
      if (event === 'visibilitychange') setVisibility('hidden');
      else window.dispatchEvent(new Event('pagehide'));
      // The requests start synchronously inside the event: an async step could be cut off by unload.
      expect(wire.requests.length).toBeGreaterThan(0);
      expect(messages(wire.bodies).sort()).toEqual(['in memory', 'persisted']);
      for (const r of wire.requests) {
        expect(r.unloading).toBe(true);
        expect(r.contentType).toBe('text/plain;charset=UTF-8');
        expect(r.headers).toEqual({});
      }
      expect(wire.bodies.every((b) => b.token === 'secret')).toBe(true);
      await vi.waitFor(() => expect(t.status()).toMatchObject({ sent: 2, queued: 0 }));
      await t.shutdown();
    },
  );

  it('leaving while offline writes the outbox instead of sending, so no batch is left leased to a dead page', async () => {
    const wire = recordingTransport(() => OFFLINE);
    const outbox = memoryOutbox();
    const t = testClient({
      transport: wire.transport,
      outbox,
    });
    await new Promise((r) => setTimeout(r, 10));
    await settle();
    const before = wire.requests.length;
    vi.spyOn(navigator, 'onLine', 'get').mockReturnValue(false);
    t.log('info', 'left offline');
    window.dispatchEvent(new Event('pagehide'));
    await settle();
    expect(wire.requests.length).toBe(before);
    const stored = await outbox.run(readOp);
    expect(stored.flatMap((e) => e.batch.logs.map((l) => l.message))).toEqual(['left offline']);
    expect(stored.every((e) => e.claimedBy === undefined)).toBe(true);
    await t.shutdown();
  });

  it('retries at once when the browser comes back online', async () => {
    let online = false;
    const wire = recordingTransport(() => (online ? OK : OFFLINE));
    const t = testClient({
      transport: wire.transport,
      retryBaseMs: 60_000,
    });
    t.log('info', 'offline');
    await t.flush();
    expect(t.status()).toMatchObject({ sent: 0, queued: 1 });
    online = true;
    window.dispatchEvent(new Event('online'));
    await vi.waitFor(() => expect(t.status().sent).toBe(1));
    expect(t.status().queued).toBe(0);
    await t.shutdown();
  });

  it('drains batches left in IndexedDB by an earlier page load at start-up', async () => {
    const first = testClient({
      transport: recordingTransport(() => OFFLINE).transport,
    });
    first.log('info', 'from the last visit');
    await first.flush();
    await first.shutdown();

    const wire = recordingTransport();
    const second = testClient({ transport: wire.transport });
    await vi.waitFor(() => expect(messages(wire.bodies)).toEqual(['from the last visit']));
    await vi.waitFor(() => expect(second.status().sent).toBe(1));
    await second.shutdown();
  });
});

describe('retries', () => {
  it('keeps a batch queued when the server answers 503, then backs off exponentially', async () => {
    fakeTimers();
    const wire = recordingTransport((_r, i) => (i < 3 ? HTTP(503) : OK));
    const t = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
      retryBaseMs: 1_000,
      random: () => 0.999,
    });
    t.log('info', 'survives');
    await t.flush();
    expect(wire.requests).toHaveLength(1);
    // Attempt 1 failed: next try after ~1 s, then ~2 s, then ~4 s.
    await vi.advanceTimersByTimeAsync(1_000);
    expect(wire.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(1_500);
    expect(wire.requests).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(600);
    expect(wire.requests).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(4_100);
    expect(wire.requests).toHaveLength(4);
    expect(t.status()).toMatchObject({ sent: 1, queued: 0 });
    expect(new Set(wire.bodies.map((b) => b.batchId)).size).toBe(1);
    await t.shutdown();
  });

  it('honours Retry-After: nothing is sent before it, and the batch is kept', async () => {
    fakeTimers();
    const wire = recordingTransport((_r, i) => (i === 0 ? HTTP(429, 120_000) : OK));
    const t = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
    });
    t.log('info', 'throttled');
    await t.flush();
    expect(t.status().pausedUntil).toBeGreaterThan(Date.now() + 119_000);
    t.log('info', 'during the pause');
    await t.flush();
    await vi.advanceTimersByTimeAsync(100_000);
    expect(wire.requests).toHaveLength(1);
    await vi.advanceTimersByTimeAsync(21_000);
    await t.flush();
    expect(messages(wire.bodies.slice(1)).sort()).toEqual(['during the pause', 'throttled']);
    expect(t.status()).toMatchObject({ sent: 2, queued: 0, pausedUntil: null });
    expect(t.status().dropped.max_attempts).toBe(0);
    await t.shutdown();
  });

  it('drops and counts a batch the server rejects with 400, and does not retry it', async () => {
    const wire = recordingTransport(() => HTTP(400));
    const t = testClient({ transport: wire.transport });
    t.log('info', 'bad');
    t.log('info', 'batch');
    await t.flush();
    await t.flush();
    expect(wire.requests).toHaveLength(1);
    expect(t.status()).toMatchObject({ queued: 0, lastError: 'HTTP 400' });
    expect(t.status().dropped.rejected).toBe(2);
    await t.shutdown();
  });

  it('drops and counts a batch after maxAttempts server failures', async () => {
    fakeTimers();
    const wire = recordingTransport(() => HTTP(500));
    const t = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
      maxAttempts: 3,
      retryBaseMs: 10,
      retryMaxMs: 10,
    });
    t.log('info', 'poison');
    await t.flush();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(wire.requests).toHaveLength(3);
    expect(t.status().dropped.max_attempts).toBe(1);
    expect(t.status().queued).toBe(0);
    await t.shutdown();
  });

  it('does not count network errors as attempts: offline for long loses nothing', async () => {
    fakeTimers();
    let online = false;
    const wire = recordingTransport(() => (online ? OK : OFFLINE));
    const t = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
      maxAttempts: 2,
      retryBaseMs: 100,
      retryMaxMs: 1_000,
    });
    t.log('info', 'patient');
    await t.flush();
    await vi.advanceTimersByTimeAsync(30_000);
    expect(wire.requests.length).toBeGreaterThan(5);
    online = true;
    await vi.advanceTimersByTimeAsync(2_000);
    expect(t.status()).toMatchObject({ sent: 1, queued: 0 });
    expect(t.status().dropped.max_attempts).toBe(0);
    await t.shutdown();
  });

  it('after a network error, batch-size triggers only persist until the retry timer fires', async () => {
    fakeTimers();
    let online = false;
    const wire = recordingTransport(() => (online ? OK : OFFLINE));
    const outbox = memoryOutbox();
    const t = testClient({
      transport: wire.transport,
      outbox,
      batchSize: 2,
      retryBaseMs: 10_000,
      retryMaxMs: 10_000,
      random: () => 0.999,
      // Compression runs on real zlib threads, which fake timers do not wait for.
      compress: false,
    });
    await vi.advanceTimersByTimeAsync(10);
    t.log('info', 'a');
    t.log('info', 'b');
    await vi.advanceTimersByTimeAsync(10);
    expect(wire.requests).toHaveLength(1);
    for (let i = 0; i < 20; i++) t.log('info', `more ${i}`);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(wire.requests).toHaveLength(1);
    expect(await queuedIn(outbox)).toBe(22);
    online = true;
    await vi.advanceTimersByTimeAsync(5_100);
    expect(t.status()).toMatchObject({ sent: 22, queued: 0 });
    await t.shutdown();
  });

  it('drops and counts batches older than maxAgeMs', async () => {
    fakeTimers();
    const wire = recordingTransport(() => OFFLINE);
    const t = testClient({
      transport: wire.transport,
      outbox: memoryOutbox(),
      maxAgeMs: 60_000,
      retryBaseMs: 1_000,
      retryMaxMs: 1_000,
    });
    t.log('info', 'stale');
    await t.flush();
    await vi.advanceTimersByTimeAsync(61_000);
    await t.flush();
    expect(t.status().dropped.expired).toBe(1);
    expect(t.status().queued).toBe(0);
    await t.shutdown();
  });
});

describe('caps', () => {
  it('keeps at most maxQueuedEvents across buffer and outbox and counts the overflow', async () => {
    const wire = recordingTransport(() => OFFLINE);
    const outbox = memoryOutbox();
    const t = testClient({
      transport: wire.transport,
      outbox,
      maxQueuedEvents: 20,
      batchSize: 1_000,
    });
    // In memory: past the cap the oldest tenth goes at once.
    for (let i = 0; i < 50; i++) t.log('info', `e${i}`);
    expect(t.status().buffered).toBe(20);
    expect(t.status().dropped.queue_full).toBe(30);
    await t.flush();
    for (let i = 50; i < 60; i++) t.log('info', `e${i}`);
    await t.flush();
    // In the outbox: whole batches, the oldest first.
    const s = t.status();
    expect(await queuedIn(outbox)).toBe(s.queued);
    expect(s.queued).toBeLessThanOrEqual(20);
    expect(s.queued + s.dropped.queue_full).toBe(60);
    t.shutdown().catch(() => {});
    const kept = (await outbox.run(readOp)).flatMap((e) => e.batch.logs.map((l) => l.message));
    expect(kept).toEqual(Array.from({ length: s.queued }, (_, i) => `e${60 - s.queued + i}`));
  });

  it('splits events into batches that each fit maxBatchBytes, counting UTF-8 bytes', async () => {
    const wire = recordingTransport();
    const t = testClient({
      transport: wire.transport,
      maxBatchBytes: 8_000,
      batchSize: 1_000,
    });
    const text = 'é€😀'.repeat(100); // 900 UTF-8 bytes, 400 UTF-16 units
    for (let i = 0; i < 40; i++) t.log('info', `n${i}`, { text });
    await t.flush();
    expect(wire.requests.length).toBeGreaterThan(4);
    for (const r of wire.requests) expect(utf8Length(bodyText(r))).toBeLessThanOrEqual(8_000);
    // A round's batches go out together: they may arrive in any order.
    expect(messages(wire.bodies).sort()).toEqual(Array.from({ length: 40 }, (_, i) => `n${i}`).sort());
    await t.shutdown();
  });

  it('replaces the payload of a single event larger than a batch, and counts it', async () => {
    const wire = recordingTransport();
    const t = testClient({
      transport: wire.transport,
      maxBatchBytes: 4_096,
    });
    const big = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, 'x'.repeat(1_000)]));
    t.log('info', 'huge', big);
    await t.flush();
    const log = wire.bodies[0]!.logs[0]!;
    expect(log.message).toBe('huge');
    expect(Object.keys(log.context)).toEqual(['_truncated']);
    expect(log.context._truncated as string).toMatch(/^\d+ bytes$/);
    expect(t.status().truncated).toBe(1);
    await t.shutdown();
  });
});

describe('storage failures', () => {
  it('falls back to memory when IndexedDB cannot open, and still delivers', async () => {
    const broken = {
      open: () => {
        throw new DOMException('blocked', 'InvalidStateError');
      },
      databases: () => Promise.resolve([]),
    };
    vi.stubGlobal('indexedDB', broken);
    try {
      const wire = recordingTransport();
      const t = testClient({ transport: wire.transport });
      t.log('info', 'still here');
      await t.flush();
      expect(t.status().storage).toBe('memory');
      expect(messages(wire.bodies)).toEqual(['still here']);
      await t.shutdown();
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('falls back to memory when a write fails (quota exceeded) and keeps the events', async () => {
    let fail = false;
    const idb = indexedDbOutbox('quota-test');
    const flaky: Outbox = {
      kind: 'indexeddb',
      run: (op) => (fail ? Promise.reject(new DOMException('full', 'QuotaExceededError')) : idb.run(op)),
    };
    const diagnostics: string[] = [];
    const wire = recordingTransport(() => OFFLINE);
    const t = testClient({
      transport: wire.transport,
      outbox: fallbackOutbox(flaky, () => diagnostics.push('fallback')),
    });
    t.log('info', 'before');
    await t.flush();
    fail = true;
    t.log('info', 'after');
    await t.flush();
    expect(t.status().storage).toBe('memory');
    expect(diagnostics).toEqual(['fallback']);
    expect(t.status().dropped.storage_error).toBe(0);
    expect(t.status().buffered + t.status().queued).toBeGreaterThanOrEqual(1);
    await t.shutdown();
  });
});

describe('exactly once', () => {
  it('two tabs draining one IndexedDB outbox never send the same batch twice', async () => {
    const seen: string[] = [];
    const slow = recordingTransport(async (r) => {
      seen.push((JSON.parse(bodyText(r)) as { batchId: string }).batchId);
      await new Promise((resolve) => setTimeout(resolve, 5));
      return OK;
    });
    const writer = testClient({
      transport: recordingTransport(() => OFFLINE).transport,
      batchSize: 1_000,
      maxBatchBytes: 2_048,
    });
    for (let i = 0; i < 60; i++) writer.log('info', `e${i}`, { pad: 'x'.repeat(200) });
    await writer.flush();
    await writer.shutdown();

    const tabA = testClient({ transport: slow.transport });
    const tabB = testClient({ transport: slow.transport });
    await Promise.all([tabA.flush(), tabB.flush(), tabA.flush(), tabB.flush()]);
    await settle();
    expect(seen.length).toBeGreaterThan(5);
    expect(new Set(seen).size).toBe(seen.length);
    expect(messages(slow.bodies).sort()).toEqual(Array.from({ length: 60 }, (_, i) => `e${i}`).sort());
    await Promise.all([tabA.shutdown(), tabB.shutdown()]);
  });

  it('resends a batch whose unload send got no answer with the same batchId, so the server can dedupe it', async () => {
    const lost = recordingTransport(() => OFFLINE);
    const t = testClient({ transport: lost.transport });
    t.log('info', 'maybe delivered');
    setVisibility('hidden');
    await settle();
    await t.shutdown();
    const firstId = lost.bodies[0]!.batchId;

    const wire = recordingTransport();
    const next = testClient({ transport: wire.transport });
    await vi.waitFor(() => expect(wire.bodies.map((b) => b.batchId)).toEqual([firstId]));
    await next.shutdown();
  });
});

describe('claims left by pages that died', () => {
  const fakeLocks = (held: string[] = []) =>
    ({
      request: (_name: string, work: () => Promise<unknown>) => work(),
      query: () => Promise.resolve({ held: held.map((name) => ({ name, mode: 'exclusive' })), pending: [] }),
    }) as unknown as LockManager;

  async function seedClaimed(outbox: Outbox, claimKind: 'send' | 'unload', claimedBy: string): Promise<void> {
    const now = Date.now();
    const orphan = { ...outboxEntry(now, 'deadbeef', 1, () => 'orphan'), owner: claimedBy };
    await outbox.run(putOp({ ...orphan, claimedBy, claimedAt: now, claimKind }));
  }

  it('takes over at once a drain claim whose page no longer holds its Web Lock', async () => {
    const outbox = memoryOutbox();
    await seedClaimed(outbox, 'send', 'gone-page');
    const wire = recordingTransport();
    const t = testClient({
      transport: wire.transport,
      outbox,
      locks: fakeLocks([]),
    });
    await vi.waitFor(() => expect(messages(wire.bodies)).toEqual(['orphan']));
    await t.shutdown();
  });

  it('leaves a claim alone while its page still holds its Web Lock', async () => {
    const outbox = memoryOutbox();
    await seedClaimed(outbox, 'send', 'live-page');
    const wire = recordingTransport();
    const t = testClient({
      transport: wire.transport,
      outbox,
      locks: fakeLocks(['pwa-telemetry-page:live-page']),
    });
    await t.flush();
    expect(wire.requests).toHaveLength(0);
    await t.shutdown();
  });

  it('waits out the lease of an unload send, then sends it without waiting for the flush timer', async () => {
    fakeTimers();
    const outbox = memoryOutbox();
    await seedClaimed(outbox, 'unload', 'gone-page');
    const wire = recordingTransport();
    const t = testClient({
      transport: wire.transport,
      outbox,
      locks: fakeLocks([]),
      flushIntervalMs: 600_000,
    });
    await vi.advanceTimersByTimeAsync(59_000);
    expect(wire.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(messages(wire.bodies)).toEqual(['orphan']);
    await t.shutdown();
  });
});
