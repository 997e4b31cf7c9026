import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  entryKey,
  fallbackOutbox,
  memoryOutbox,
  META,
  moveOp,
  PAYLOAD,
  readAllOp,
  type EntryMeta,
  type Outbox,
  type OutboxOp,
} from '../../src/telemetry/outbox.js';
import { indexedDbOutbox } from '../../src/telemetry/outbox-idb.js';
import { claimOp, optOutOp } from '../../src/telemetry/outbox-ops.js';
import { countOp, outboxEntry, putOp, readOp, totalsOp } from './helpers.js';

const entry = outboxEntry;

const delOp =
  (...keys: string[]): OutboxOp<void> =>
  (tx) => {
    for (const key of keys) {
      tx.del(META + key);
      tx.del(PAYLOAD + key);
    }
    return Promise.resolve();
  };

/** A read-modify-write of one counter record: loses updates unless runs are serialised. */
const incrementOp: OutboxOp<number> = async (tx) => {
  const n = (await tx.get<number>('counter')) ?? 0;
  // Give a concurrent run every chance to interleave.
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  tx.put('counter', n + 1);
  return n + 1;
};

const ids = (entries: { batchId: string }[]): string[] => entries.map((e) => e.batchId);

/** An outbox that reports itself as IndexedDB and fails every operation, like a closing connection. */
function brokenPrimary(
  error = new DOMException('The database connection is closing.', 'InvalidStateError'),
): Outbox {
  return { kind: 'indexeddb', run: () => Promise.reject(error) };
}

/** A primary backed by a memory outbox that fails while `broken.now` is true. */
function switchablePrimary() {
  const store = memoryOutbox();
  const state = { broken: true, calls: 0 };
  const outbox: Outbox = {
    kind: 'indexeddb',
    run: (op) => {
      state.calls++;
      return state.broken ? Promise.reject(new Error('quota exceeded')) : store.run(op);
    },
  };
  return { outbox, store, state };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('entryKey', () => {
  it('sorts as a string by creation time first, numerically', () => {
    const late = entryKey(100_000, 'a');
    const early = entryKey(3, 'z');
    const middle = entryKey(20, 'a');
    expect([late, early, middle].sort()).toEqual([early, middle, late]);
    expect(entryKey(1_700_000_000_000, 'id')).toMatch(/^001700000000000-\d{6}-id$/);
  });

  it('keeps creation order within one millisecond, whatever the batch ids', () => {
    const keys = ['zz', 'mm', 'aa'].map((id) => entryKey(5_000, id));
    expect([...keys].sort()).toEqual(keys);
  });

  it('clamps negative and fractional times', () => {
    expect(entryKey(-5, 'n')).toMatch(/^000000000000000-\d{6}-n$/);
    expect(entryKey(12.9, 'f')).toMatch(/^000000000000012-\d{6}-f$/);
  });
});

describe('memoryOutbox', () => {
  it('is a memory outbox and starts empty', async () => {
    const outbox = memoryOutbox();
    expect(outbox.kind).toBe('memory');
    expect(await outbox.run(readOp)).toEqual([]);
    expect(await outbox.run(totalsOp)).toBeUndefined();
  });

  it('scans metadata in key (age) order, whatever order it was written in, and skips other records', async () => {
    const outbox = memoryOutbox();
    const a = entry(100, 'a');
    const b = entry(50, 'b');
    const c = entry(300, 'c');
    await outbox.run(putOp(c));
    await outbox.run(putOp(a, b));
    await outbox.run((tx) => Promise.resolve(tx.put('consent', 'in')));
    const seen = await outbox.run(async (tx) => {
      const keys: string[] = [];
      await tx.scan((m) => void keys.push(m.key));
      return keys;
    });
    expect(seen).toEqual([b.key, a.key, c.key]);
    expect(ids(await outbox.run(readOp))).toEqual(['b', 'a', 'c']);
  });

  it('stops a scan when the visitor returns false', async () => {
    const outbox = memoryOutbox();
    await outbox.run(putOp(entry(1, 'a'), entry(2, 'b'), entry(3, 'c')));
    const seen = await outbox.run(async (tx) => {
      const out: string[] = [];
      await tx.scan((m) => (out.push(m.batchId), out.length < 2));
      return out;
    });
    expect(seen).toEqual(['a', 'b']);
  });

  it('applies deletes and puts, and returns the op’s result', async () => {
    const outbox = memoryOutbox();
    const a = entry(1, 'a');
    const b = entry(2, 'b');
    await outbox.run(putOp(a, b));
    await outbox.run(delOp(a.key));
    expect(ids(await outbox.run(readOp))).toEqual(['b']);
    const updated = { ...b, attempts: 3 };
    await outbox.run(putOp(updated));
    expect(await outbox.run(readOp)).toEqual([updated]);
    expect(await outbox.run(() => Promise.resolve('result'))).toBe('result');
  });

  it('lets an op read its own writes and deletes before it ends', async () => {
    const outbox = memoryOutbox();
    await outbox.run((tx) => Promise.resolve(tx.put('x', 1)));
    const seen = await outbox.run(async (tx) => {
      tx.put('x', 2);
      const afterPut = await tx.get('x');
      tx.del('x');
      return [afterPut, await tx.get('x')];
    });
    expect(seen).toEqual([2, undefined]);
    expect(await outbox.run((tx) => tx.get('x'))).toBeUndefined();
  });

  it('stores a copy: changing a value after writing it does not change the outbox', async () => {
    const outbox = memoryOutbox();
    const a = entry(1, 'a');
    await outbox.run(putOp(a));
    a.attempts = 99;
    a.batch.logs.length = 0;
    const [stored] = await outbox.run(readOp);
    expect(stored!.attempts).toBe(0);
    expect(stored!.batch.logs).toHaveLength(1);
  });

  it('hands ops copies, so an op that mutates what it reads changes nothing (as with IndexedDB)', async () => {
    const outbox = memoryOutbox();
    const a = entry(1, 'a');
    await outbox.run(putOp(a));
    await outbox.run(async (tx) => {
      (await tx.get<EntryMeta>(META + a.key))!.attempts = 42;
      await tx.scan((m) => void (m.attempts = 43));
    });
    expect((await outbox.run(readOp))[0]!.attempts).toBe(0);
  });

  it('is atomic: rejects and changes nothing when an op throws after writing', async () => {
    const outbox = memoryOutbox();
    const a = entry(1, 'a');
    await outbox.run(putOp(a));
    await expect(
      outbox.run(async (tx) => {
        tx.del(META + a.key);
        tx.put('totals', { events: 99, bytes: 99 });
        await putOp(entry(2, 'b'))(tx);
        throw new Error('bad op');
      }),
    ).rejects.toThrow('bad op');
    expect(ids(await outbox.run(readOp))).toEqual(['a']);
    expect(await outbox.run(totalsOp)).toEqual({ events: 1, bytes: 10 });
    // And it keeps working.
    await outbox.run(putOp(entry(3, 'c')));
    expect(await outbox.run(countOp())).toBe(2);
  });

  it('rejects with an Error even when an op throws a non-Error', async () => {
    const outbox = memoryOutbox();
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    const rejected = outbox.run(() => Promise.reject('plain string'));
    await expect(rejected).rejects.toBeInstanceOf(Error);
    await expect(rejected).rejects.toThrow('plain string');
  });

  it('serialises ops: concurrent read-modify-writes lose no update', async () => {
    const outbox = memoryOutbox();
    const results = await Promise.all(Array.from({ length: 10 }, () => outbox.run(incrementOp)));
    expect([...results].sort((x, y) => x - y)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(await outbox.run((tx) => tx.get('counter'))).toBe(10);
  });

  it('claims each entry once across two concurrent claim runs', async () => {
    const outbox = memoryOutbox();
    await outbox.run(putOp(entry(1, 'a'), entry(2, 'b'), entry(3, 'c')));
    const claim = (owner: string) =>
      claimOp({ owner, now: 10, leaseMs: 60_000, live: null, maxAgeMs: 1e9, limit: 10 });
    const [x, y] = await Promise.all([outbox.run(claim('page-x')), outbox.run(claim('page-y'))]);
    expect(x.claimed.length + y.claimed.length).toBe(3);
    expect(new Set([...x.claimed, ...y.claimed].map((e) => e.key)).size).toBe(3);
  });
});

describe('readAllOp and moveOp', () => {
  it('copy every record of one outbox into another, adding the totals', async () => {
    const from = memoryOutbox();
    const to = memoryOutbox();
    await from.run(putOp(entry(1, 'a', 2), entry(3, 'c')));
    await from.run((tx) => Promise.resolve(tx.put('consent', 'out')));
    await to.run(putOp(entry(2, 'b', 4)));
    await to.run(moveOp(await from.run(readAllOp)));
    // Read, not taken: the source keeps everything until the caller drops it.
    expect(ids(await from.run(readOp))).toEqual(['a', 'c']);
    expect(ids(await to.run(readOp))).toEqual(['a', 'b', 'c']);
    expect(await to.run(totalsOp)).toEqual({ events: 7, bytes: 70 });
    expect(await to.run((tx) => tx.get('consent'))).toBe('out');
  });
});

describe('fallbackOutbox', () => {
  it('uses the primary while it works', async () => {
    const primary = memoryOutbox();
    const fallbacks: unknown[] = [];
    const outbox = fallbackOutbox(primary, (e) => fallbacks.push(e));
    await outbox.run(putOp(entry(1, 'a')));
    expect(await primary.run(countOp())).toBe(1);
    expect(fallbacks).toEqual([]);
  });

  it('reports the primary’s kind until it fails', async () => {
    const outbox = fallbackOutbox(indexedDbOutbox('fallback-kind'), () => {});
    await outbox.run(putOp(entry(1, 'a')));
    expect(outbox.kind).toBe('indexeddb');
  });

  it('switches to memory when the primary’s run rejects, and completes that same operation', async () => {
    const failure = new DOMException('The database connection is closing.', 'InvalidStateError');
    const fallbacks: unknown[] = [];
    const outbox = fallbackOutbox(brokenPrimary(failure), (e) => fallbacks.push(e));
    expect(outbox.kind).toBe('indexeddb');
    await outbox.run(putOp(entry(1, 'a')));
    expect(outbox.kind).toBe('memory');
    expect(fallbacks).toEqual([failure]);
    expect(ids(await outbox.run(readOp))).toEqual(['a']);
    expect(await outbox.run(totalsOp)).toEqual({ events: 1, bytes: 10 });
  });

  it('keeps working in memory afterwards and reports the fallback once', async () => {
    const fallbacks: unknown[] = [];
    const outbox = fallbackOutbox(brokenPrimary(), (e) => fallbacks.push(e));
    await outbox.run(putOp(entry(1, 'a')));
    await outbox.run(putOp(entry(2, 'b')));
    await outbox.run(putOp(entry(3, 'c')));
    expect(await outbox.run(countOp())).toBe(3);
    const claimed = await outbox.run(
      claimOp({ owner: 'page-a', now: 10, leaseMs: 1, maxAgeMs: 1e9, limit: 10 }),
    );
    expect(claimed.claimed).toHaveLength(3);
    expect(fallbacks).toHaveLength(1);
  });

  it('keeps every write when several operations fail over at the same time', async () => {
    const fallbacks: unknown[] = [];
    const outbox = fallbackOutbox(brokenPrimary(), (e) => fallbacks.push(e));
    await Promise.all([
      outbox.run(putOp(entry(1, 'a'))),
      outbox.run(putOp(entry(2, 'b'))),
      outbox.run(putOp(entry(3, 'c'))),
    ]);
    expect(ids(await outbox.run(readOp))).toEqual(['a', 'b', 'c']);
    expect(await outbox.run(totalsOp)).toEqual({ events: 3, bytes: 30 });
    expect(fallbacks).toHaveLength(1);
  });

  it('stays in memory for 30 s, then goes back to the primary and moves entries, totals and consent back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
    const { outbox, store, state } = switchablePrimary();
    await store.run(putOp(entry(1, 'old', 2)));
    const fallbacks: unknown[] = [];
    const fb = fallbackOutbox(outbox, (e) => fallbacks.push(e));
    await fb.run(putOp(entry(2, 'a', 3)));
    expect(fb.kind).toBe('memory');
    await fb.run((tx) => Promise.resolve(tx.put('consent', 'out')));

    // Fixed before the 30 s: still in memory, the primary is not even tried.
    state.broken = false;
    state.calls = 0;
    vi.setSystemTime(1_000_000 + 29_999);
    await fb.run(putOp(entry(3, 'b')));
    expect(state.calls).toBe(0);
    expect(fb.kind).toBe('memory');
    expect(ids(await store.run(readOp))).toEqual(['old']);

    vi.setSystemTime(1_000_000 + 30_000);
    expect(ids(await fb.run(readOp))).toEqual(['old', 'a', 'b']);
    expect(fb.kind).toBe('indexeddb');
    expect(ids(await store.run(readOp))).toEqual(['old', 'a', 'b']);
    expect(await store.run(totalsOp)).toEqual({ events: 6, bytes: 60 });
    expect(await store.run(countOp())).toBe(6);
    expect(await store.run((tx) => tx.get('consent'))).toBe('out');
    expect(fallbacks).toHaveLength(1);

    // Later operations go to the primary.
    await fb.run(putOp(entry(4, 'c')));
    expect(ids(await store.run(readOp))).toEqual(['old', 'a', 'b', 'c']);
  });

  it('over quota (writes fail, reads and deletes work) moves what the primary holds into memory, so this page sends it', async () => {
    const store = memoryOutbox();
    await store.run(putOp(entry(1, 'old', 2), entry(2, 'older')));
    await store.run((tx) => Promise.resolve(tx.put('consent', 'in')));
    let full = false;
    const quota = new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    const primary: Outbox = {
      kind: 'indexeddb',
      run: (op) =>
        store.run((tx) =>
          op({
            ...tx,
            put: (key, value) => {
              if (full) throw quota;
              tx.put(key, value);
            },
          }),
        ),
    };
    const fb = fallbackOutbox(primary, () => {});
    full = true;
    await fb.run(putOp(entry(3, 'new')));
    expect(fb.kind).toBe('memory');
    // Everything is in memory, where this page's claims and its unload sends find it …
    expect(ids(await fb.run(readOp))).toEqual(['old', 'older', 'new']);
    expect(await fb.run(totalsOp)).toEqual({ events: 4, bytes: 40 });
    expect(fb.entries!().map((e) => e.batchId)).toEqual(['old', 'older', 'new']);
    // … and nothing twice: the primary keeps only the user's choice.
    expect(await store.run(readOp)).toEqual([]);
    expect(await store.run((tx) => tx.get('consent'))).toBe('in');
  });

  it('keeps its memory entries when the primary still fails after 30 s', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(5_000);
    const { outbox, state } = switchablePrimary();
    const fb = fallbackOutbox(outbox, () => {});
    await fb.run(putOp(entry(1, 'a', 2), entry(2, 'b')));
    vi.setSystemTime(5_000 + 30_000);
    state.calls = 0;
    expect(ids(await fb.run(readOp))).toEqual(['a', 'b']);
    expect(state.calls).toBeGreaterThan(0);
    expect(fb.kind).toBe('memory');
    expect(await fb.run(totalsOp)).toEqual({ events: 3, bytes: 30 });
  });

  it('loses no write made while the memory entries are being moved back', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(5_000);
    const { outbox, store, state } = switchablePrimary();
    const fb = fallbackOutbox(outbox, () => {});
    await fb.run(putOp(entry(1, 'a')));
    state.broken = false;
    vi.setSystemTime(5_000 + 30_000);
    // The first run starts the move; the second arrives while it is under way.
    await Promise.all([fb.run(putOp(entry(2, 'b'))), fb.run(putOp(entry(3, 'c')))]);
    expect(ids(await store.run(readOp))).toEqual(['a', 'b', 'c']);
    expect(await store.run(totalsOp)).toEqual({ events: 3, bytes: 30 });
  });

  it('switches to memory over an IndexedDB that cannot even be opened', async () => {
    // Sandboxed or opaque-origin documents: indexedDB.open throws synchronously.
    globalThis.indexedDB = {
      open() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    } as unknown as IDBFactory;
    const fallbacks: unknown[] = [];
    const outbox = fallbackOutbox(indexedDbOutbox('unopenable'), (e) => fallbacks.push(e));
    await outbox.run(putOp(entry(1, 'a')));
    expect(outbox.kind).toBe('memory');
    expect(fallbacks).toHaveLength(1);
    expect(await outbox.run(countOp())).toBe(1);
    expect(await outbox.run(optOutOp)).toBe(1);
    expect(await outbox.run(countOp())).toBe(0);
  });
});
