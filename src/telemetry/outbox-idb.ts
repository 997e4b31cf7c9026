import { createStore, type UseStore } from 'idb-keyval';
import { toError, type Outbox, type OutboxEntry, type OutboxOp } from './outbox.js';

export const OUTBOX_DB = 'pwa-telemetry-outbox';

/**
 * The outbox in IndexedDB, through an idb-keyval custom store. Each `run` is one readwrite
 * transaction: read every entry, apply the pure change, write it back, so it is atomic across tabs.
 * It resolves once the transaction has committed.
 *
 * The database gets its own name: idb-keyval's `createStore` cannot add a store to an existing
 * database. After an error the connection is reopened once (iOS Safari reports "database connection
 * is closing" after backgrounding, idb-keyval #165); a second failure is the caller's to handle.
 */
export function indexedDbOutbox(dbName: string = OUTBOX_DB): Outbox {
  let store: UseStore | undefined;
  const open = (): UseStore => (store ??= createStore(dbName, 'batches'));

  const attempt = <R>(op: OutboxOp<R>): Promise<R> =>
    open()(
      'readwrite',
      (os) =>
        new Promise<R>((resolve, reject) => {
          const tx = os.transaction;
          const request = os.getAll() as IDBRequest<OutboxEntry[]>;
          let result: R;
          // Writes are issued in the success callback itself: the transaction is active only there.
          request.onsuccess = () => {
            try {
              const change = op(request.result);
              for (const key of change.del) os.delete(key);
              for (const entry of change.put) os.put(entry, entry.key);
              result = change.result;
            } catch (error) {
              reject(toError(error));
              tx.abort();
            }
          };
          tx.oncomplete = () => resolve(result);
          tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
        }),
    );

  const run = async <R>(op: OutboxOp<R>): Promise<R> => {
    try {
      return await attempt(op);
    } catch {
      store = undefined;
      return attempt(op);
    }
  };

  return {
    kind: 'indexeddb',
    run,
    clear: () => run((entries) => ({ put: [], del: entries.map((e) => e.key), result: undefined })),
  };
}

/** True when this environment has an IndexedDB factory at all (SSR, some workers and tests lack one). */
export function hasIndexedDb(): boolean {
  try {
    return !!indexedDB;
  } catch {
    return false;
  }
}
