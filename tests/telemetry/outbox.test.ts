import { describe, expect, it } from 'vitest';
import {
  fallbackOutbox,
  memoryOutbox,
  type Outbox,
  type OutboxEntry,
  type OutboxOp,
} from '../../src/telemetry/outbox.js';
import { indexedDbOutbox } from '../../src/telemetry/outbox-idb.js';
import { appendOp, claimOp, type SizedItem } from '../../src/telemetry/outbox-ops.js';
import { countOp, outboxEntry, putOp, readOp } from './helpers.js';

const entry = outboxEntry;

const delOp =
  (...keys: string[]): OutboxOp<void> =>
  () => ({ put: [], del: keys, result: undefined });

const item = (timestamp: number): SizedItem => ({
  kind: 'logs',
  item: { timestamp, level: 'info', message: `m${timestamp}`, context: {} },
  bytes: 20,
});

let idCounter = 0;
const appendOne = (owner: string, timestamp: number): OutboxOp<unknown> =>
  appendOp({
    owner,
    openKey: null,
    items: [item(timestamp)],
    sessionId: 's',
    now: timestamp,
    newId: () => `id-${++idCounter}`,
    maxBytes: 60_000,
    maxEvents: 1_000,
  });

/** An outbox that reports itself as IndexedDB and fails every operation, like a closing connection. */
function brokenPrimary(
  error = new DOMException('The database connection is closing.', 'InvalidStateError'),
): Outbox {
  return {
    kind: 'indexeddb',
    run: () => Promise.reject(error),
    clear: () => Promise.reject(error),
  };
}

describe('memoryOutbox', () => {
  it('is a memory outbox and starts empty', async () => {
    const outbox = memoryOutbox();
    expect(outbox.kind).toBe('memory');
    expect(await outbox.run(readOp)).toEqual([]);
  });

  it('hands entries to each op in key (age) order, whatever order they were written in', async () => {
    const outbox = memoryOutbox();
    const a = entry(100, 'a');
    const b = entry(50, 'b');
    const c = entry(300, 'c');
    await outbox.run(putOp(c));
    await outbox.run(putOp(a, b));
    expect((await outbox.run(readOp)).map((e) => e.batch.batchId)).toEqual(['b', 'a', 'c']);
  });

  it('applies deletes and puts, and returns the op’s result', async () => {
    const outbox = memoryOutbox();
    const a = entry(1, 'a');
    const b = entry(2, 'b');
    await outbox.run(putOp(a, b));
    await outbox.run(delOp(a.key));
    expect(await outbox.run(countOp())).toBe(1);
    const updated = { ...b, attempts: 3 };
    await outbox.run(putOp(updated));
    expect(await outbox.run(readOp)).toEqual([updated]);
  });

  it('stores a copy: changing an entry after writing it does not change the outbox', async () => {
    const outbox = memoryOutbox();
    const a = entry(1, 'a');
    await outbox.run(putOp(a));
    a.attempts = 99;
    a.batch.logs.length = 0;
    const [stored] = await outbox.run(readOp);
    expect(stored!.attempts).toBe(0);
    expect(stored!.batch.logs).toHaveLength(1);
  });

  it('hands ops copies too, so an op that mutates what it reads changes nothing (as with IndexedDB)', async () => {
    const outbox = memoryOutbox();
    await outbox.run(putOp(entry(1, 'a')));
    await outbox.run((entries) => {
      (entries[0] as OutboxEntry).attempts = 42;
      return { put: [], del: [], result: undefined };
    });
    expect((await outbox.run(readOp))[0]!.attempts).toBe(0);
  });

  it('rejects and changes nothing when an op throws', async () => {
    const outbox = memoryOutbox();
    await outbox.run(putOp(entry(1, 'a')));
    await expect(
      outbox.run(() => {
        throw new Error('bad op');
      }),
    ).rejects.toThrow('bad op');
    expect(await outbox.run(countOp())).toBe(1);
  });

  it('rejects with an Error even when an op throws a non-Error', async () => {
    const outbox = memoryOutbox();
    await expect(
      outbox.run(() => {
        // eslint-disable-next-line @typescript-eslint/only-throw-error
        throw 'plain string';
      }),
    ).rejects.toThrow('plain string');
  });

  it('clear() empties it', async () => {
    const outbox = memoryOutbox();
    await outbox.run(putOp(entry(1, 'a'), entry(2, 'b')));
    await outbox.clear();
    expect(await outbox.run(readOp)).toEqual([]);
  });

  it('claims each entry once across two concurrent claim runs', async () => {
    const outbox = memoryOutbox();
    await outbox.run(putOp(entry(1, 'a'), entry(2, 'b'), entry(3, 'c')));
    const claim = (owner: string) => claimOp({ owner, now: 10, leaseMs: 60_000, maxAgeMs: 1e9, limit: 10 });
    const [x, y] = await Promise.all([outbox.run(claim('page-x')), outbox.run(claim('page-y'))]);
    expect(x.claimed.length + y.claimed.length).toBe(3);
  });
});

describe('fallbackOutbox', () => {
  it('uses the primary while it works', async () => {
    const primary = memoryOutbox();
    const fallbacks: unknown[] = [];
    const outbox = fallbackOutbox(primary, (e) => fallbacks.push(e));
    await outbox.run(putOp(entry(1, 'a')));
    expect(await primary.run(countOp())).toBe(1);
    expect(outbox.kind).toBe('memory');
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
    expect((await outbox.run(readOp)).map((e) => e.batch.batchId)).toEqual(['a']);
  });

  it('keeps working in memory afterwards and reports the fallback once', async () => {
    const fallbacks: unknown[] = [];
    const outbox = fallbackOutbox(brokenPrimary(), (e) => fallbacks.push(e));
    await outbox.run(appendOne('page-a', 1));
    await outbox.run(appendOne('page-a', 2));
    await outbox.run(appendOne('page-a', 3));
    expect(await outbox.run(countOp())).toBe(3);
    const claimed = await outbox.run(
      claimOp({ owner: 'page-a', now: 10, leaseMs: 1, maxAgeMs: 1e9, limit: 10 }),
    );
    expect(claimed.claimed).toHaveLength(3);
    expect(fallbacks).toHaveLength(1);
  });

  it('does not go back to the primary once it has failed', async () => {
    let failNext = true;
    const store = memoryOutbox();
    const flaky: Outbox = {
      kind: 'indexeddb',
      run: (op) => (failNext ? ((failNext = false), Promise.reject(new Error('quota'))) : store.run(op)),
      clear: () => store.clear(),
    };
    const outbox = fallbackOutbox(flaky, () => {});
    await outbox.run(putOp(entry(1, 'a')));
    await outbox.run(putOp(entry(2, 'b')));
    expect(await store.run(countOp())).toBe(0);
    expect(await outbox.run(countOp())).toBe(2);
  });

  it('keeps every write when several operations fail over at the same time', async () => {
    const outbox = fallbackOutbox(brokenPrimary(), () => {});
    await Promise.all([
      outbox.run(appendOne('page-a', 1)),
      outbox.run(appendOne('page-a', 2)),
      outbox.run(appendOne('page-a', 3)),
    ]);
    expect(await outbox.run(countOp())).toBe(3);
  });

  it('clear() empties the memory fallback and tolerates a failing primary', async () => {
    const outbox = fallbackOutbox(brokenPrimary(), () => {});
    await outbox.run(putOp(entry(1, 'a')));
    await expect(outbox.clear()).resolves.toBeUndefined();
    expect(await outbox.run(countOp())).toBe(0);
  });

  it('clear() empties a working primary', async () => {
    const primary = memoryOutbox();
    const outbox = fallbackOutbox(primary, () => {});
    await outbox.run(putOp(entry(1, 'a')));
    await outbox.clear();
    expect(await primary.run(countOp())).toBe(0);
  });

  it('over an IndexedDB that cannot even be opened, falls back, and clear() still resolves and empties it', async () => {
    // Sandboxed or opaque-origin documents: indexedDB.open throws synchronously.
    globalThis.indexedDB = {
      open() {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    } as unknown as IDBFactory;
    const fallbacks: unknown[] = [];
    const outbox = fallbackOutbox(indexedDbOutbox('unopenable'), (e) => fallbacks.push(e));
    await outbox.run(appendOne('page-a', 1));
    expect(outbox.kind).toBe('memory');
    expect(fallbacks).toHaveLength(1);
    expect(await outbox.run(countOp())).toBe(1);
    await expect(outbox.clear()).resolves.toBeUndefined();
    expect(await outbox.run(countOp())).toBe(0);
  });
});
