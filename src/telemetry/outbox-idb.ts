import { createStore, promisifyRequest, type UseStore } from 'idb-keyval';
import { META, toError, type EntryMeta, type Outbox, type OutboxOp, type OutboxTx } from './outbox.js';

export const OUTBOX_DB = 'pwa-telemetry-outbox';

/**
 * The outbox in IndexedDB, through an idb-keyval custom store. Each `run` is one readwrite
 * transaction; the op awaits only this transaction's own requests, whose promises resolve while the
 * transaction is still active (IndexedDB 2.0: microtasks run before it may commit), so the op's reads
 * and writes are atomic across tabs. It resolves once the transaction has committed.
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
          // A request that fails always carries its error (a DOMException), so rejections have one.
          const api: OutboxTx = {
            get: <T>(key: string) => promisifyRequest(os.get(key) as IDBRequest<T | undefined>),
            put: (key, value) => void os.put(value, key),
            del: (key) => void os.delete(key),
            scan: (visit) =>
              new Promise((done, fail) => {
                const cursor = os.openCursor(IDBKeyRange.bound(META, `${META}\uffff`));
                cursor.onsuccess = () => {
                  const c = cursor.result;
                  try {
                    if (!c || visit(c.value as EntryMeta) === false) done();
                    else c.continue();
                  } catch (error) {
                    fail(toError(error));
                  }
                };
                cursor.onerror = () => fail(cursor.error!);
              }),
          };
          let result: R;
          op(api).then(
            (r) => (result = r),
            (error: unknown) => {
              reject(toError(error));
              try {
                tx.abort();
              } catch {
                // already finished
              }
            },
          );
          tx.oncomplete = () => resolve(result);
          tx.onabort = tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
        }),
    );

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
