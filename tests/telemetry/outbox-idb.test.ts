import { describe, expect, it } from 'vitest';
import { META, type OutboxEntry, type OutboxOp } from '../../src/telemetry/outbox.js';
import { hasIndexedDb, indexedDbOutbox, OUTBOX_DB } from '../../src/telemetry/outbox-idb.js';
import {
  appendOp,
  claimOp,
  fill,
  settleOp,
  type EntryTemplate,
  type SizedItem,
} from '../../src/telemetry/outbox-ops.js';
import { countOp, outboxEntry, putOp, readOp, totalsOp } from './helpers.js';

// Unicode and nesting prove IndexedDB's structured clone keeps records intact.
const entry = (createdAt: number, batchId: string, count = 1): OutboxEntry => {
  const e = outboxEntry(createdAt, batchId, count, (i) => `${batchId}#${i} — ünïcødé 🚀`);
  e.batch.logs.forEach((l, i) => (l.context = { n: i, nested: { ok: true } }));
  return e;
};

const ids = (entries: { batchId: string }[]): string[] => entries.map((e) => e.batchId);

const claim = (owner: string, now = 10_000) =>
  claimOp({ owner, now, leaseMs: 60_000, live: null, maxAgeMs: 1e12, limit: 100 });

/** A read-modify-write of one counter record: loses updates unless each run is atomic. */
const incrementOp: OutboxOp<number> = async (tx) => {
  const n = ((await tx.get<number>('counter')) ?? 0) + 1;
  tx.put('counter', n);
  return n;
};

/** Makes the next `failures` calls of IDBDatabase#transaction throw like iOS Safari after backgrounding. */
async function closingConnection(failures: number): Promise<() => void> {
  const db = await new Promise<IDBDatabase>((resolve) => {
    const request = indexedDB.open('probe');
    request.onsuccess = () => resolve(request.result);
  });
  const proto = Object.getPrototypeOf(db) as IDBDatabase;
  db.close();
  const original = Object.getOwnPropertyDescriptor(proto, 'transaction')!;
  let left = failures;
  Object.defineProperty(proto, 'transaction', {
    ...original,
    value(this: IDBDatabase, ...args: Parameters<IDBDatabase['transaction']>) {
      if (left-- > 0) throw new DOMException('The database connection is closing.', 'InvalidStateError');
      return (original.value as IDBDatabase['transaction']).apply(this, args);
    },
  });
  return () => Object.defineProperty(proto, 'transaction', original);
}

describe('indexedDbOutbox', () => {
  it('is an IndexedDB outbox, in its own database by default', async () => {
    const outbox = indexedDbOutbox();
    expect(outbox.kind).toBe('indexeddb');
    await outbox.run(putOp(entry(1, 'a')));
    const names = (await indexedDB.databases()).map((d) => d.name);
    expect(names).toContain(OUTBOX_DB);
  });

  it('stores entries as metadata and payload records and scans them in key (age) order', async () => {
    const outbox = indexedDbOutbox('order');
    const a = entry(300, 'a', 2);
    const b = entry(100, 'b');
    const c = entry(200, 'c', 3);
    await outbox.run(putOp(a));
    await outbox.run(putOp(c, b));
    // Records that are not metadata never reach a scan.
    await outbox.run((tx) => Promise.resolve(tx.put('consent', 'out')));
    const stored = await outbox.run(readOp);
    expect(ids(stored)).toEqual(['b', 'c', 'a']);
    expect(stored).toEqual([b, c, a]);
    const { batch: _batch, ...meta } = b;
    expect(await outbox.run((tx) => tx.get(META + b.key))).toEqual(meta);
    expect(await outbox.run(totalsOp)).toEqual({ events: 6, bytes: 60 });
  });

  it('stops a scan when the visitor returns false', async () => {
    const outbox = indexedDbOutbox('scan-stop');
    await outbox.run(putOp(entry(1, 'a'), entry(2, 'b'), entry(3, 'c')));
    const seen = await outbox.run(async (tx) => {
      const out: string[] = [];
      await tx.scan((m) => (out.push(m.batchId), out.length < 2));
      return out;
    });
    expect(seen).toEqual(['a', 'b']);
  });

  it('returns the op’s result and applies its deletes', async () => {
    const outbox = indexedDbOutbox('delete');
    const a = { ...entry(1, 'a', 2), claimedBy: 'page-a', claimedAt: 5 };
    const b = entry(2, 'b', 3);
    await outbox.run(putOp(a, b));
    expect(await outbox.run(settleOp('page-a', a.key, null))).toBe(3);
    expect(ids(await outbox.run(readOp))).toEqual(['b']);
    expect(await outbox.run(countOp())).toBe(3);
  });

  it('persists across two outbox instances on the same database name (like two tabs, or a reload)', async () => {
    const first = indexedDbOutbox('shared');
    await first.run(putOp(entry(1, 'from-first')));
    const second = indexedDbOutbox('shared');
    expect(ids(await second.run(readOp))).toEqual(['from-first']);
    await second.run(putOp(entry(2, 'from-second')));
    expect(ids(await first.run(readOp))).toEqual(['from-first', 'from-second']);
    expect(await indexedDbOutbox('shared').run(totalsOp)).toEqual({ events: 2, bytes: 20 });
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
    expect(await tabA.run((tx) => tx.get('counter'))).toBe(20);
  });

  it('keeps every event appended concurrently from two instances, and the totals with them', async () => {
    const tabs = [indexedDbOutbox('appends'), indexedDbOutbox('appends')];
    let id = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => {
        const items: SizedItem[] = [
          { kind: 'logs', item: { timestamp: i, level: 'info', message: `m${i}`, context: {} }, bytes: 30 },
        ];
        const template: EntryTemplate = {
          owner: `tab-${i % 2}`,
          sessionId: 's',
          resource: { app: 'app', version: '1' },
          now: 1_000 + i,
          newId: () => `id-${++id}`,
          maxBytes: 60_000,
        };
        return tabs[i % 2]!.run(
          appendOp({
            template,
            open: null,
            items,
            planned: fill(null, items, template),
            seal: true,
            maxEvents: 1_000,
            maxQueueBytes: 1e9,
          }),
        );
      }),
    );
    const stored = await tabs[0]!.run(readOp);
    expect(stored.flatMap((e) => e.batch.logs.map((l) => l.message)).sort()).toEqual(
      Array.from({ length: 10 }, (_, i) => `m${i}`).sort(),
    );
    expect(await tabs[1]!.run(totalsOp)).toEqual({ events: 10, bytes: 310 });
  });

  it('aborts the whole transaction when the op throws, and keeps working afterwards', async () => {
    const outbox = indexedDbOutbox('throwing-op');
    const a = entry(1, 'a');
    await outbox.run(putOp(a));
    let runs = 0;
    await expect(
      outbox.run(async (tx) => {
        runs++;
        tx.del(META + a.key);
        tx.put('totals', { events: 99, bytes: 99 });
        await putOp(entry(2, 'never'))(tx);
        throw new Error('op failed');
      }),
    ).rejects.toThrow('op failed');
    expect(runs).toBeGreaterThan(0);
    expect(ids(await outbox.run(readOp))).toEqual(['a']);
    expect(await outbox.run(totalsOp)).toEqual({ events: 1, bytes: 10 });
    await outbox.run(putOp(entry(3, 'b')));
    expect(ids(await outbox.run(readOp))).toEqual(['a', 'b']);
  });

  it('rejects with an Error when the op rejects with a non-Error', async () => {
    const outbox = indexedDbOutbox('non-error');
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const rejected = outbox.run(() => Promise.reject('plain string'));
    await expect(rejected).rejects.toBeInstanceOf(Error);
    await expect(rejected).rejects.toThrow('plain string');
  });

  it('reopens the connection once after "database connection is closing" (iOS Safari) and completes the run', async () => {
    const outbox = indexedDbOutbox('reopen');
    await outbox.run(putOp(entry(1, 'a')));
    const restore = await closingConnection(1);
    try {
      await outbox.run(putOp(entry(2, 'b')));
    } finally {
      restore();
    }
    expect(ids(await outbox.run(readOp))).toEqual(['a', 'b']);
    expect(await outbox.run(totalsOp)).toEqual({ events: 2, bytes: 20 });
  });

  it('reopens only once: a second failure in a row rejects', async () => {
    const outbox = indexedDbOutbox('reopen-twice');
    await outbox.run(putOp(entry(1, 'a')));
    const restore = await closingConnection(2);
    try {
      await expect(outbox.run(putOp(entry(2, 'b')))).rejects.toThrow('closing');
    } finally {
      restore();
    }
    expect(ids(await outbox.run(readOp))).toEqual(['a']);
  });

  it('rejects (never throws synchronously) when IndexedDB cannot be opened', async () => {
    globalThis.indexedDB = {
      open() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    } as unknown as IDBFactory;
    const outbox = indexedDbOutbox('unopenable');
    let run: Promise<number> | undefined;
    expect(() => (run = outbox.run(countOp()))).not.toThrow();
    await expect(run).rejects.toThrow('insecure');
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
