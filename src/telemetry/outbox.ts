import type { BatchItems, Kind, Resource } from './records.js';

/**
 * The outbox holds batches until the server has acknowledged them. It is one key-value store holding
 * small metadata records (`m:<key>`), batch payloads (`p:<key>`), running totals (`totals`) and the
 * user's consent (`consent`), so claim, append and settle touch only the records they change: their
 * cost does not grow with the number of queued batches. Every change is one atomic operation (`run`),
 * so two tabs and the service worker sharing the outbox never both claim a batch: IndexedDB
 * serialises readwrite transactions on a store (PLATFORM.md: read-then-delete across two idb-keyval
 * calls is not atomic; one claiming transaction is).
 */

/** A batch's delivery state: the small record every operation reads. */
export interface EntryMeta {
  /** Sorts by age: see `entryKey`. */
  key: string;
  batchId: string;
  createdAt: number;
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
  /** Kinds a backend already accepted (OTLP sends one request per kind): not sent again. */
  sentKinds?: Kind[];
}

/** What a batch carries besides its items: fixed when its events were recorded. */
export interface Payload extends BatchItems {
  sessionId: string;
  anonymousId?: string;
  resource: Resource;
  /** Events this page dropped (by reason) before the batch was written: reported to the server. */
  dropped?: Record<string, number>;
}

/** A batch as the sender handles it: its state and its payload. */
export interface OutboxEntry extends EntryMeta {
  batch: Payload;
}

/** Running totals of the outbox, kept in the same transactions as the entries. */
export interface Totals {
  events: number;
  bytes: number;
}

/** The operations one atomic outbox transaction offers. Reads resolve in the transaction. */
export interface OutboxTx {
  get<T>(key: string): Promise<T | undefined>;
  put(key: string, value: unknown): void;
  del(key: string): void;
  /** Visits the entries' metadata oldest first until `visit` returns false. */
  scan(visit: (meta: EntryMeta) => boolean | void): Promise<void>;
}

/** A change applied inside one transaction; a throw aborts the whole change. */
export type OutboxOp<R> = (tx: OutboxTx) => Promise<R>;

/** Storage behind the outbox. Implementations must apply `op` atomically. */
export interface Outbox {
  readonly kind: 'indexeddb' | 'memory';
  run<R>(op: OutboxOp<R>): Promise<R>;
  /**
   * For outboxes that die with the page (memory): every entry, claimed or not, read synchronously,
   * so the page can send them and copy them to the unload spill as it leaves.
   */
  entries?(): OutboxEntry[];
}

export const META = 'm:';
export const PAYLOAD = 'p:';

// Entries created in the same millisecond by this page keep their creation order.
let sequence = 0;

/** A key that sorts by creation time, then creation order within this page, then batch id. */
export function entryKey(createdAt: number, batchId: string): string {
  sequence = (sequence + 1) % 1e6;
  const time = String(Math.max(0, Math.floor(createdAt))).padStart(15, '0');
  return `${time}-${String(sequence).padStart(6, '0')}-${batchId}`;
}

/** Rejections are always Errors, whatever an op throws. */
export const toError = (error: unknown): Error => (error instanceof Error ? error : new Error(String(error)));

/** Keeps records in a Map: for pages without IndexedDB and as the fallback when it fails. */
export function memoryOutbox(): Outbox {
  const records = new Map<string, unknown>();
  let chain: Promise<unknown> = Promise.resolve();
  // Ops run one at a time; writes are staged and applied only when the op succeeds (atomic). A staged
  // undefined is a delete: reading a deleted key and a key holding undefined both give undefined.
  const apply = async <R>(op: OutboxOp<R>): Promise<R> => {
    const staged = new Map<string, unknown>();
    const read = (key: string): unknown => (staged.has(key) ? staged.get(key) : records.get(key));
    const result = await op({
      // Copies, as IndexedDB's structured clone gives: an op changing what it read changes nothing.
      // (A falsy value is a primitive: its own copy.)
      get: <T>(key: string) => {
        const v = read(key);
        return Promise.resolve((v && structuredClone(v)) as T | undefined);
      },
      put: (key, value) => staged.set(key, structuredClone(value)),
      del: (key) => staged.set(key, undefined),
      scan: (visit) => {
        const keys = [...records.keys()].filter((k) => k.startsWith(META)).sort();
        for (const key of keys) {
          const v = read(key);
          if (v && visit(structuredClone(v) as EntryMeta) === false) break;
        }
        return Promise.resolve();
      },
    });
    for (const [key, value] of staged) {
      if (value === undefined) records.delete(key);
      else records.set(key, value);
    }
    return result;
  };
  return {
    kind: 'memory',
    entries: () =>
      [...records]
        .filter(([k]) => k.startsWith(META))
        .map(([, m]) => ({
          ...(m as EntryMeta),
          batch: records.get(PAYLOAD + (m as EntryMeta).key) as Payload,
        })),
    run<R>(op: OutboxOp<R>): Promise<R> {
      const next = chain.then(() => apply(op));
      chain = next.catch(() => undefined);
      return next.catch((error: unknown) => Promise.reject(toError(error)));
    },
  };
}

/**
 * Uses `primary` until it fails, then a memory outbox. Every RETRY_MS a run first tries `primary`
 * again and, once it works, copies the memory outbox's records into it before using it, so a passing
 * IndexedDB failure (iOS "connection is closing", a full disk later freed) does not leave events in
 * memory for the rest of the page's life. Runs wait while records move, so none is written behind them.
 */
export function fallbackOutbox(primary: Outbox, onFallback: (error: unknown) => void): Outbox {
  let memory: Outbox | null = null;
  let retryAt = 0;
  let moving: Promise<void> | null = null;
  const RETRY_MS = 30_000;

  async function moveBack(from: Outbox): Promise<void> {
    retryAt = Date.now() + RETRY_MS;
    try {
      await primary.run(moveOp(await from.run(readAllOp)));
      memory = null;
    } catch {
      // still broken: stay in memory, with every record still there
    }
  }

  return {
    get kind() {
      return memory ? 'memory' : primary.kind;
    },
    entries: () => memory?.entries?.() ?? [],
    async run<R>(op: OutboxOp<R>): Promise<R> {
      if (memory && !moving && Date.now() >= retryAt)
        moving = moveBack(memory).finally(() => (moving = null));
      if (moving) await moving;
      if (!memory) {
        try {
          return await primary.run(op);
        } catch (error) {
          // Several runs may fail at once: only the first switches, or later ones would lose its writes.
          if (!memory) {
            const m = (memory = memoryOutbox());
            retryAt = Date.now() + RETRY_MS;
            onFallback(error);
            // What IndexedDB already holds moves to memory too (a full disk still reads and deletes):
            // otherwise it would wait, unsent and uncounted, for the next page or the retry.
            moving = primary
              .run(takeAllOp)
              .then((records) => m.run(moveOp(records)))
              .catch(() => undefined)
              .finally(() => (moving = null));
          }
        }
      }
      if (moving) await moving;
      return memory.run(op);
    },
  };
}

/** Every entry's metadata, oldest first. */
export async function allMetas(tx: OutboxTx): Promise<EntryMeta[]> {
  const metas: EntryMeta[] = [];
  await tx.scan((m) => void metas.push(m));
  return metas;
}

/** Reads every record (entries, totals, consent) of an outbox. */
export const readAllOp: OutboxOp<[string, unknown][]> = async (tx) => {
  const metas = await allMetas(tx);
  const out: [string, unknown][] = [];
  for (const key of ['totals', 'consent']) {
    const v = await tx.get(key);
    if (v !== undefined) out.push([key, v]);
  }
  for (const m of metas) out.push([META + m.key, m], [PAYLOAD + m.key, await tx.get(PAYLOAD + m.key)]);
  return out;
};

/**
 * Moves every entry (and the totals) out: read and deleted in one transaction. Deletes work when
 * writes fail over quota, so a full IndexedDB can hand what it holds to the memory outbox.
 */
export const takeAllOp: OutboxOp<[string, unknown][]> = async (tx) => {
  const records = (await readAllOp(tx)).filter(([key]) => key !== 'consent');
  for (const [key] of records) tx.del(key);
  return records;
};

/** Adds records taken from another outbox, adding their totals to what is there. */
export const moveOp =
  (records: [string, unknown][]): OutboxOp<void> =>
  async (tx) => {
    for (const [key, value] of records) {
      if (key === 'totals') {
        const t = (await tx.get<Totals>('totals')) ?? { events: 0, bytes: 0 };
        const add = value as Totals;
        tx.put('totals', { events: t.events + add.events, bytes: t.bytes + add.bytes });
      } else tx.put(key, value);
    }
  };
