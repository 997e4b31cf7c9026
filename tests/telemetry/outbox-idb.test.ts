import { describe, expect, it } from 'vitest';
import type { OutboxEntry, OutboxOp } from '../../src/telemetry/outbox.js';
import { hasIndexedDb, indexedDbOutbox, OUTBOX_DB } from '../../src/telemetry/outbox-idb.js';
import { appendOp, claimOp, settleOp } from '../../src/telemetry/outbox-ops.js';
import { countOp, outboxEntry, putOp, readOp } from './helpers.js';

// Unicode and nesting prove IndexedDB's structured clone keeps records intact.
const entry = (createdAt: number, batchId: string, count = 1): OutboxEntry => {
  const e = outboxEntry(createdAt, batchId, count, (i) => `${batchId}#${i} — ünïcødé 🚀`);
  e.batch.logs.forEach((l, i) => (l.context = { n: i, nested: { ok: true } }));
  return e;
};

const claim = (owner: string, now = 10_000) =>
  claimOp({ owner, now, leaseMs: 60_000, maxAgeMs: 1e12, limit: 100 });

/** A read-modify-write of one counter entry: loses updates unless each run is atomic. */
const incrementOp: OutboxOp<number> = (entries) => {
  const current = entries.find((e) => e.batch.batchId === 'counter');
  const next = current
    ? { ...current, attempts: current.attempts + 1 }
    : { ...entry(0, 'counter'), attempts: 1 };
  return { put: [next], del: [], result: next.attempts };
};

describe('indexedDbOutbox', () => {
  it('is an IndexedDB outbox, in its own database by default', async () => {
    const outbox = indexedDbOutbox();
    expect(outbox.kind).toBe('indexeddb');
    await outbox.run(putOp(entry(1, 'a')));
    const names = (await indexedDB.databases()).map((d) => d.name);
    expect(names).toContain(OUTBOX_DB);
  });

  it('stores entries and returns them in key (age) order', async () => {
    const outbox = indexedDbOutbox('order');
    const a = entry(300, 'a', 2);
    const b = entry(100, 'b');
    const c = entry(200, 'c', 3);
    await outbox.run(putOp(a));
    await outbox.run(putOp(c, b));
    const stored = await outbox.run(readOp);
    expect(stored.map((e) => e.batch.batchId)).toEqual(['b', 'c', 'a']);
    expect(stored).toEqual([b, c, a]);
  });

  it('returns the op’s result and applies its deletes', async () => {
    const outbox = indexedDbOutbox('delete');
    const a = entry(1, 'a', 2);
    const b = entry(2, 'b', 3);
    await outbox.run(putOp(a, b));
    expect(await outbox.run(settleOp(a.key, null))).toBe(2);
    expect(await outbox.run(countOp())).toBe(3);
  });

  it('persists across two outbox instances on the same database name (like two tabs, or a reload)', async () => {
    const first = indexedDbOutbox('shared');
    await first.run(putOp(entry(1, 'from-first')));
    const second = indexedDbOutbox('shared');
    expect((await second.run(readOp)).map((e) => e.batch.batchId)).toEqual(['from-first']);
    await second.run(putOp(entry(2, 'from-second')));
    expect((await first.run(readOp)).map((e) => e.batch.batchId)).toEqual(['from-first', 'from-second']);
  });

  it('keeps databases with different names apart', async () => {
    await indexedDbOutbox('one').run(putOp(entry(1, 'a')));
    expect(await indexedDbOutbox('two').run(countOp())).toBe(0);
  });

  it('never lets two concurrent claim runs on two instances claim the same entry', async () => {
    const tabA = indexedDbOutbox('two-tabs');
    const tabB = indexedDbOutbox('two-tabs');
    const all = Array.from({ length: 8 }, (_, i) => entry(i + 1, `batch-${i}`));
    await tabA.run(putOp(...all));
    const [a, b] = await Promise.all([tabA.run(claim('tab-a')), tabB.run(claim('tab-b'))]);
    const keysA = a.claimed.map((e) => e.key);
    const keysB = b.claimed.map((e) => e.key);
    expect(keysA.filter((k) => keysB.includes(k))).toEqual([]);
    expect([...keysA, ...keysB].sort()).toEqual(all.map((e) => e.key).sort());
    // What is stored agrees with who claimed what.
    const stored = await tabA.run(readOp);
    for (const e of stored) expect(e.claimedBy).toBe(keysA.includes(e.key) ? 'tab-a' : 'tab-b');
  });

  it('applies each run atomically: concurrent read-modify-writes from two instances lose no update', async () => {
    const tabA = indexedDbOutbox('atomic');
    const tabB = indexedDbOutbox('atomic');
    const runs = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? tabA : tabB).run(incrementOp));
    const results = await Promise.all(runs);
    expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
    const [counter] = await tabA.run(readOp);
    expect(counter!.attempts).toBe(20);
  });

  it('keeps events appended concurrently from two tabs', async () => {
    const tabs = [indexedDbOutbox('appends'), indexedDbOutbox('appends')];
    let id = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        tabs[i % 2]!.run(
          appendOp({
            owner: `tab-${i % 2}`,
            openKey: null,
            items: [
              {
                kind: 'logs',
                item: { timestamp: i, level: 'info', message: `m${i}`, context: {} },
                bytes: 30,
              },
            ],
            sessionId: 's',
            now: 1_000 + i,
            newId: () => `id-${++id}`,
            maxBytes: 60_000,
            maxEvents: 1_000,
          }),
        ),
      ),
    );
    expect(await tabs[0]!.run(countOp())).toBe(10);
  });

  it('rejects and writes nothing when the op throws, and keeps working afterwards', async () => {
    const outbox = indexedDbOutbox('throwing-op');
    await outbox.run(putOp(entry(1, 'a')));
    await expect(
      outbox.run(() => {
        throw new Error('op failed');
      }),
    ).rejects.toThrow('op failed');
    await outbox.run(putOp(entry(2, 'b')));
    expect((await outbox.run(readOp)).map((e) => e.batch.batchId)).toEqual(['a', 'b']);
  });

  it('clear() empties it for every instance', async () => {
    const tabA = indexedDbOutbox('clear');
    const tabB = indexedDbOutbox('clear');
    await tabA.run(putOp(entry(1, 'a'), entry(2, 'b')));
    await tabB.clear();
    expect(await tabA.run(readOp)).toEqual([]);
    await tabA.run(putOp(entry(3, 'c')));
    expect(await tabB.run(countOp())).toBe(1);
  });

  it('reopens the connection once after "database connection is closing" (iOS Safari) and completes the run', async () => {
    const outbox = indexedDbOutbox('reopen');
    await outbox.run(putOp(entry(1, 'a')));
    const proto = Object.getPrototypeOf(
      await new Promise<IDBDatabase>((resolve) => {
        const request = indexedDB.open('probe');
        request.onsuccess = () => resolve(request.result);
      }),
    ) as IDBDatabase;
    const original = Object.getOwnPropertyDescriptor(proto, 'transaction')!;
    let failures = 1;
    Object.defineProperty(proto, 'transaction', {
      ...original,
      value(this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
        if (failures-- > 0)
          throw new DOMException('The database connection is closing.', 'InvalidStateError');
        return (original.value as IDBDatabase['transaction']).apply(this, args);
      },
    });
    try {
      await outbox.run(putOp(entry(2, 'b')));
    } finally {
      Object.defineProperty(proto, 'transaction', original);
    }
    expect((await outbox.run(readOp)).map((e) => e.batch.batchId)).toEqual(['a', 'b']);
  });

  it('rejects (never throws synchronously) when IndexedDB cannot be opened', async () => {
    globalThis.indexedDB = {
      open() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    } as unknown as IDBFactory;
    const outbox = indexedDbOutbox('unopenable');
    await expect(outbox.run(countOp())).rejects.toThrow('insecure');
    let cleared: Promise<void> | undefined;
    expect(() => (cleared = outbox.clear())).not.toThrow();
    await expect(cleared).rejects.toThrow('insecure');
  });
});

describe('hasIndexedDb', () => {
  it('is true where an IndexedDB factory exists', () => {
    expect(hasIndexedDb()).toBe(true);
  });

  it('is false where there is none (SSR, some workers)', () => {
    (globalThis as { indexedDB?: unknown }).indexedDB = undefined;
    expect(hasIndexedDb()).toBe(false);
  });
});
