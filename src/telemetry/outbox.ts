import type { Batch } from './records.js';

/**
 * The outbox holds batches until the server has acknowledged them. Every change is one atomic
 * read-modify-write (`run`), so two tabs sharing one IndexedDB outbox never both claim a batch:
 * IndexedDB serialises readwrite transactions on a store (PLATFORM.md: read-then-delete across two
 * idb-keyval calls is not atomic; one claiming transaction is).
 */

/** A batch as stored, with its delivery state. */
export interface OutboxEntry {
  /** Sorts by age: see `entryKey`. */
  key: string;
  batch: Batch;
  count: number;
  /** UTF-8 bytes of the items as JSON; keeps every batch under the keepalive budget. */
  bytes: number;
  /** The page that created it; only that page appends to it, and only while `open`. */
  owner: string;
  open: boolean;
  /** Server failures met so far. */
  attempts: number;
  nextAttemptAt: number;
  /** Set while one page is sending it; a claim older than the lease is taken over. */
  claimedBy?: string;
  claimedAt?: number;
  /**
   * 'send': claimed by a drain, free as soon as the claiming page is gone (its Web Lock released).
   * 'unload': sent with keepalive as the page left; the request outlives the page, so only the
   * lease frees it (resending at once would double the traffic of every navigation).
   */
  claimKind?: 'send' | 'unload';
}

/** A pure change over all entries (oldest first): what to write, what to delete, what to return. */
export interface OutboxChange<R> {
  put: OutboxEntry[];
  del: string[];
  result: R;
}
export type OutboxOp<R> = (entries: readonly OutboxEntry[]) => OutboxChange<R>;

/** Storage behind the outbox. Implementations must apply `op` atomically. */
export interface Outbox {
  readonly kind: 'indexeddb' | 'memory';
  run<R>(op: OutboxOp<R>): Promise<R>;
  clear(): Promise<void>;
}

// Entries created in the same millisecond by this page keep their creation order.
let sequence = 0;

/** A key that sorts by creation time, then creation order within this page, then batch id. */
export function entryKey(createdAt: number, batchId: string): string {
  sequence = (sequence + 1) % 1e6;
  const time = String(Math.max(0, Math.floor(createdAt))).padStart(15, '0');
  return `${time}-${String(sequence).padStart(6, '0')}-${batchId}`;
}

/** Orders entries by key, that is by age, as IndexedDB returns them. */
export const byKey = (a: OutboxEntry, b: OutboxEntry): number => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);

/** Rejections are always Errors, whatever an op throws. */
export const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** Keeps entries in a Map: for pages without IndexedDB and as the fallback when it fails. */
export function memoryOutbox(): Outbox {
  const entries = new Map<string, OutboxEntry>();
  return {
    kind: 'memory',
    run<R>(op: OutboxOp<R>): Promise<R> {
      try {
        // Ops get copies, as they would from IndexedDB, so one that mutates its input changes nothing.
        const change = op(structuredClone([...entries.values()].sort(byKey)));
        for (const key of change.del) entries.delete(key);
        // Stored copies too: a caller changing an entry after writing it changes nothing here.
        for (const entry of change.put) entries.set(entry.key, structuredClone(entry));
        return Promise.resolve(change.result);
      } catch (error) {
        return Promise.reject(toError(error));
      }
    },
    clear(): Promise<void> {
      entries.clear();
      return Promise.resolve();
    },
  };
}

/**
 * Uses `primary` until it fails, then moves to a memory outbox for the rest of the page's life, so
 * a broken IndexedDB (private mode, closing connection, quota) never stops delivery.
 */
export function fallbackOutbox(primary: Outbox, onFallback: (error: unknown) => void): Outbox {
  let current: Outbox = primary;
  return {
    get kind() {
      return current.kind;
    },
    async run<R>(op: OutboxOp<R>): Promise<R> {
      if (current === primary) {
        try {
          return await primary.run(op);
        } catch (error) {
          // Several runs may fail at once: only the first switches, or later ones would lose its writes.
          if (current === primary) {
            current = memoryOutbox();
            onFallback(error);
          }
        }
      }
      return current.run(op);
    },
    async clear(): Promise<void> {
      // A synchronous throw from a broken primary becomes a rejection, and allSettled ignores it.
      await Promise.allSettled([(async () => primary.clear())(), current !== primary && current.clear()]);
    },
  };
}
