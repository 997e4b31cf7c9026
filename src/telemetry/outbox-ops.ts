import type { OutboxChange, OutboxEntry, OutboxOp } from './outbox.js';
import { entryKey } from './outbox.js';
import { emptyItems, KINDS, type Batch, type BatchItems, type Kind } from './records.js';

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

function newEntry(p: AppendParams): OutboxEntry {
  const batchId = p.newId();
  const batch: Batch = { batchId, createdAt: p.now, sessionId: p.sessionId, ...emptyItems() };
  return {
    key: entryKey(p.now, batchId),
    batch,
    count: 0,
    bytes: 0,
    owner: p.owner,
    open: true,
    attempts: 0,
    nextAttemptAt: 0,
  };
}

function pushItem(entry: OutboxEntry, s: SizedItem): void {
  (entry.batch[s.kind] as SizedItem['item'][]).push(s.item);
  entry.count++;
  entry.bytes += s.bytes + 1;
}

/** Appends items to the page's open entry (if still unclaimed), filling new entries up to `maxBytes`. */
export function appendOp(p: AppendParams): OutboxOp<AppendResult> {
  return (entries) => {
    const current = p.openKey === null ? undefined : entries.find((e) => e.key === p.openKey);
    let entry =
      current && current.open && current.owner === p.owner && current.claimedBy === undefined
        ? structuredClone(current)
        : undefined;
    const touched: OutboxEntry[] = [];
    for (const s of p.items) {
      if (!entry || (entry.count > 0 && entry.bytes + s.bytes + 1 > p.maxBytes)) {
        if (entry) {
          entry.open = false;
          if (!touched.includes(entry)) touched.push(entry);
        }
        entry = newEntry(p);
      }
      pushItem(entry, s);
      if (!touched.includes(entry)) touched.push(entry);
    }
    const all = entries.filter((e) => !touched.some((t) => t.key === e.key)).concat(touched);
    all.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    const capped = capChange(all, p.maxEvents);
    const put = touched.filter((t) => !capped.del.includes(t.key));
    for (const c of capped.put) {
      const i = put.findIndex((e) => e.key === c.key);
      if (i >= 0) put[i] = c;
      else put.push(c);
    }
    const last =
      entry && !capped.del.includes(entry.key)
        ? (capped.put.find((c) => c.key === entry.key) ?? entry)
        : null;
    const open = last && last.open ? last : null;
    return {
      put,
      del: capped.del,
      result: { openKey: open ? open.key : null, open, dropped: capped.dropped, queued: capped.queued },
    };
  };
}

/** Drops the oldest unclaimed events until at most `maxEvents` remain. */
function capChange(
  entries: OutboxEntry[],
  maxEvents: number,
): { put: OutboxEntry[]; del: string[]; dropped: number; queued: number } {
  let total = entries.reduce((n, e) => n + e.count, 0);
  const put: OutboxEntry[] = [];
  const del: string[] = [];
  let dropped = 0;
  for (const e of entries) {
    if (total <= maxEvents) break;
    if (e.claimedBy !== undefined) continue;
    const excess = total - maxEvents;
    if (e.count <= excess) {
      del.push(e.key);
      dropped += e.count;
      total -= e.count;
    } else {
      const trimmed = structuredClone(e);
      dropOldestItems(trimmed, excess);
      put.push(trimmed);
      dropped += excess;
      total -= excess;
    }
  }
  return { put, del, dropped, queued: total };
}

/** Removes the `n` items with the earliest timestamps, across kinds. */
export function dropOldestItems(entry: OutboxEntry, n: number): void {
  for (let i = 0; i < n; i++) {
    let oldest: Kind | undefined;
    for (const kind of KINDS) {
      const first = entry.batch[kind][0];
      if (first && (oldest === undefined || first.timestamp < entry.batch[oldest][0]!.timestamp))
        oldest = kind;
    }
    if (oldest === undefined) break;
    entry.batch[oldest].shift();
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

function isFree(e: OutboxEntry, p: ClaimParams): boolean {
  if (e.claimedBy === undefined || p.now - (e.claimedAt ?? 0) > p.leaseMs) return true;
  // A drain's claim dies with its page; an unload send outlives the page, so it keeps its lease.
  return e.claimKind !== 'unload' && e.claimedBy !== p.owner && p.live != null && !p.live.has(e.claimedBy);
}

/** Claims due entries for sending (closing them to appends) and deletes expired ones. */
export function claimOp(p: ClaimParams): OutboxOp<ClaimResult> {
  return (entries) => {
    const change: OutboxChange<ClaimResult> = {
      put: [],
      del: [],
      result: { claimed: [], expired: 0, queued: 0, nextAttemptAt: null },
    };
    const r = change.result;
    for (const e of entries) {
      if (p.now - e.batch.createdAt > p.maxAgeMs) {
        change.del.push(e.key);
        r.expired += e.count;
        continue;
      }
      r.queued += e.count;
      if (!isFree(e, p)) {
        // Wake up when the lease runs out, or nothing would retry this entry until the next timer.
        r.nextAttemptAt = Math.min(r.nextAttemptAt ?? Infinity, (e.claimedAt ?? 0) + p.leaseMs + 1);
        continue;
      }
      if (e.nextAttemptAt > p.now || r.claimed.length >= p.limit) {
        if (e.nextAttemptAt > p.now) r.nextAttemptAt = Math.min(r.nextAttemptAt ?? Infinity, e.nextAttemptAt);
        continue;
      }
      const claimed: OutboxEntry = {
        ...e,
        open: false,
        claimedBy: p.owner,
        claimedAt: p.now,
        claimKind: 'send',
      };
      change.put.push(claimed);
      r.claimed.push(claimed);
    }
    return change;
  };
}

/** Writes entries as claimed by `owner`: at unload the page sends first and records the claim after. */
export function markClaimedOp(owner: string, now: number, sent: OutboxEntry[]): OutboxOp<void> {
  return () => ({
    put: sent.map((e) => ({
      ...e,
      open: false,
      claimedBy: owner,
      claimedAt: now,
      claimKind: 'unload' as const,
    })),
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
    if (!e) return { put: [], del: [], result: 0 };
    if (next === null) return { put: [], del: [key], result: e.count };
    const { claimedBy: _c, claimedAt: _a, claimKind: _k, ...rest } = e;
    return { put: [{ ...rest, open: false, ...next }], del: [], result: e.count };
  };
}

/** Counts queued events. */
export function countOp(): OutboxOp<number> {
  return (entries) => ({ put: [], del: [], result: entries.reduce((n, e) => n + e.count, 0) });
}
