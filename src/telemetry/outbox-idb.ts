import { clear, createStore, type UseStore } from 'idb-keyval';
import type { Outbox, OutboxEntry, OutboxOp } from './outbox.js';

export const OUTBOX_DB = 'pwa-telemetry-outbox';
const STORE = 'batches';

function transactionDone(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
  });
}

/**
 * The outbox in IndexedDB, through an idb-keyval custom store. Each `run` is one readwrite
 * transaction: read every entry, apply the pure change, write it back, so it is atomic across tabs.
 *
 * The database gets its own name: idb-keyval's `createStore` cannot add a store to an existing
 * database. After an error the connection is reopened once (iOS Safari reports "database connection
 * is closing" after backgrounding, idb-keyval #165); a second failure is the caller's to handle.
 */
export function indexedDbOutbox(dbName: string = OUTBOX_DB): Outbox {
  let store: UseStore | undefined;
  const open = (): UseStore => (store ??= createStore(dbName, STORE));

  const attempt = <R>(op: OutboxOp<R>): Promise<R> =>
    open()('readwrite', (os) => {
      const done = transactionDone(os.transaction);
      const read = new Promise<R>((resolve, reject) => {
        const request = os.getAll() as IDBRequest<OutboxEntry[]>;
        request.onerror = () => reject(request.error ?? new Error('IndexedDB read failed'));
        request.onsuccess = () => {
          try {
            const change = op(request.result);
            for (const key of change.del) os.delete(key);
            for (const entry of change.put) os.put(entry, entry.key);
            resolve(change.result);
          } catch (error) {
            os.transaction.abort();
            reject(error instanceof Error ? error : new Error(String(error)));
          }
        };
      });
      return Promise.all([read, done]).then(([result]) => result);
    });

  return {
    kind: 'indexeddb',
    async run<R>(op: OutboxOp<R>): Promise<R> {
      try {
        return await attempt(op);
      } catch {
        store = undefined;
        return attempt(op);
      }
    },
    async clear(): Promise<void> {
      // async: idb-keyval opens the database synchronously, and open() throws in opaque origins.
      await clear(open());
    },
  };
}

/** True when this environment has an IndexedDB factory at all (SSR, some workers and tests lack one). */
export function hasIndexedDb(): boolean {
  try {
    return typeof indexedDB !== 'undefined' && indexedDB !== null;
  } catch {
    return false;
  }
}
