import { byKey, entryKey, type OutboxEntry, type OutboxOp } from './outbox.js';
import { emptyItems, KINDS, type BatchItems, type Kind } from './records.js';

/**
 * The outbox's operations as pure functions over the stored entries, so the IndexedDB and memory
 * outboxes share one tested implementation and each runs inside one atomic transaction.
 */

/** Items with their JSON sizes, in the order they were recorded. */
export interface SizedItem {
  kind: Kind;
  item: BatchItems[Kind][number];
  bytes: number;
}

export interface AppendParams {
  owner: string;
  /** Key of the entry this page appended to last; reused while it is still open and unclaimed. */
  openKey: string | null;
  items: SizedItem[];
  sessionId: string;
  now: number;
  newId: () => string;
  /** Byte budget for a batch's items. */
  maxBytes: number;
  /** Cap on events across all entries. */
  maxEvents: number;
}

export interface AppendResult {
  /** The entry to append to next time, or null when the last one is full. */
  openKey: string | null;
  /** The open entry as stored, so the page can send it at unload without reading storage. */
  open: OutboxEntry | null;
  dropped: number;
  queued: number;
}

/** Appends items to the page's open entry (if still unclaimed), filling new entries up to `maxBytes`. */
export function appendOp(p: AppendParams): OutboxOp<AppendResult> {
  return (stored) => {
    const found = stored.find((e) => e.key === p.openKey);
    // Only the page's own open entry, and not while a page is sending it (that content is on the wire).
    let entry =
      found?.open && found.owner === p.owner && !found.claimedBy ? structuredClone(found) : undefined;
    // What to write, by key: new entries, changed copies of stored ones.
    const put = new Map(entry ? [[entry.key, entry]] : []);
    for (const s of p.items) {
      if (!entry || (entry.count > 0 && entry.bytes + s.bytes + 1 > p.maxBytes)) {
        if (entry) entry.open = false;
        const batchId = p.newId();
        entry = {
          key: entryKey(p.now, batchId),
          batch: { batchId, createdAt: p.now, sessionId: p.sessionId, ...emptyItems() },
          count: 0,
          bytes: 0,
          owner: p.owner,
          open: true,
          attempts: 0,
          nextAttemptAt: 0,
        };
        put.set(entry.key, entry);
      }
      (entry.batch[s.kind] as SizedItem['item'][]).push(s.item);
      entry.count++;
      entry.bytes += s.bytes + 1; // the item's JSON and a comma
    }

    // Over maxEvents: drop the oldest events of entries no page is sending.
    const all = stored
      .filter((e) => !put.has(e.key))
      .concat([...put.values()])
      .sort(byKey);
    let queued = all.reduce((n, e) => n + e.count, 0);
    let dropped = 0;
    const del: string[] = [];
    for (const e of all) {
      if (queued <= p.maxEvents) break;
      if (e.claimedBy !== undefined) continue;
      const n = Math.min(queued - p.maxEvents, e.count);
      queued -= n;
      dropped += n;
      if (n === e.count) {
        put.delete(e.key);
        del.push(e.key);
      } else {
        const trimmed = put.get(e.key) ?? structuredClone(e);
        dropOldestItems(trimmed, n);
        put.set(e.key, trimmed);
      }
    }
    const last = entry && put.get(entry.key);
    const open = last?.open ? last : null;
    return { put: [...put.values()], del, result: { openKey: open?.key ?? null, open, dropped, queued } };
  };
}

/** Removes the `n` items with the earliest timestamps, across kinds. */
export function dropOldestItems(entry: OutboxEntry, n: number): void {
  const { batch } = entry;
  for (let i = 0; i < n; i++) {
    let oldest: Kind | undefined;
    for (const k of KINDS)
      if (batch[k][0] && (!oldest || batch[k][0].timestamp < batch[oldest][0]!.timestamp)) oldest = k;
    if (!oldest) break;
    batch[oldest].shift();
    entry.count--;
  }
  entry.bytes = Math.round((entry.bytes * entry.count) / Math.max(1, entry.count + n));
}

export interface ClaimParams {
  owner: string;
  now: number;
  /** A claim older than this is treated as abandoned (its page died mid-send). */
  leaseMs: number;
  /** Pages known to be alive (Web Locks), or null when unknown: then only the lease frees claims. */
  live?: Set<string> | null;
  maxAgeMs: number;
  /** Claim at most this many entries. */
  limit: number;
}

export interface ClaimResult {
  claimed: OutboxEntry[];
  expired: number;
  queued: number;
  /** Earliest `nextAttemptAt` among entries left waiting, or null. */
  nextAttemptAt: number | null;
}

/** Claims due entries for sending (closing them to appends) and deletes expired ones. */
export function claimOp(p: ClaimParams): OutboxOp<ClaimResult> {
  return (entries) => {
    const claimed: OutboxEntry[] = [];
    const del: string[] = [];
    let expired = 0;
    let queued = 0;
    let next = Infinity;
    for (const e of entries) {
      if (p.now - e.batch.createdAt > p.maxAgeMs) {
        del.push(e.key);
        expired += e.count;
        continue;
      }
      queued += e.count;
      // A claim is free once its lease is over or, for a drain's claim, once its page is gone (its
      // Web Lock released). An unload send outlives its page, so that claim keeps its lease.
      const leaseEnd = (e.claimedAt ?? 0) + p.leaseMs;
      const free =
        e.claimedBy === undefined ||
        p.now > leaseEnd ||
        (e.claimKind !== 'unload' && e.claimedBy !== p.owner && p.live?.has(e.claimedBy) === false);
      // Wake up when the lease or the retry delay runs out, or nothing retries until the next timer.
      const due = free ? e.nextAttemptAt : leaseEnd + 1;
      if (due > p.now) next = Math.min(next, due);
      else if (claimed.length < p.limit)
        claimed.push({ ...e, open: false, claimedBy: p.owner, claimedAt: p.now, claimKind: 'send' });
    }
    return {
      put: claimed,
      del,
      result: { claimed, expired, queued, nextAttemptAt: next < Infinity ? next : null },
    };
  };
}

/** Writes entries as claimed by `owner`: at unload the page sends first and records the claim after. */
export function markClaimedOp(owner: string, now: number, sent: OutboxEntry[]): OutboxOp<void> {
  return () => ({
    put: sent.map((e) => ({ ...e, open: false, claimedBy: owner, claimedAt: now, claimKind: 'unload' })),
    del: [],
    result: undefined,
  });
}

/** After a send: delete the entry (`next` null) or put it back with a new attempt count and time. */
export function settleOp(
  key: string,
  next: { attempts: number; nextAttemptAt: number } | null,
): OutboxOp<number> {
  return (entries) => {
    const e = entries.find((x) => x.key === key);
    if (!e || !next) return { put: [], del: e ? [key] : [], result: e?.count ?? 0 };
    const { claimedBy: _c, claimedAt: _a, claimKind: _k, ...rest } = e;
    return { put: [{ ...rest, open: false, ...next }], del: [], result: e.count };
  };
}
