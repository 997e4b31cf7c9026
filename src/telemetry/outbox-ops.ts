import {
  allMetas,
  entryKey,
  META,
  PAYLOAD,
  type EntryMeta,
  type OutboxEntry,
  type OutboxOp,
  type OutboxTx,
  type Payload,
  type Totals,
} from './outbox.js';
import { emptyItems, type BatchItems, type Kind, type Resource } from './records.js';

/**
 * The outbox's operations, each run inside one atomic transaction by the IndexedDB and memory
 * outboxes alike. Each touches only the records it changes, plus the running totals.
 */

/** Items with their JSON sizes, in the order they were recorded. */
export interface SizedItem {
  kind: Kind;
  item: BatchItems[Kind][number];
  bytes: number;
  /** `item` as JSON, when the caller has it. */
  json?: string;
}

/** What every new entry of a page carries. */
export interface EntryTemplate {
  owner: string;
  sessionId: string;
  anonymousId?: string;
  resource: Resource;
  now: number;
  newId: () => string;
  /** Byte budget for a batch's items. */
  maxBytes: number;
}

const newEntry = (t: EntryTemplate): OutboxEntry => {
  const batchId = t.newId();
  return {
    key: entryKey(t.now, batchId),
    batchId,
    createdAt: t.now,
    count: 0,
    bytes: 0,
    owner: t.owner,
    open: true,
    attempts: 0,
    nextAttemptAt: 0,
    batch: { ...emptyItems(), sessionId: t.sessionId, anonymousId: t.anonymousId, resource: t.resource },
  };
};

/**
 * Appends items to `open` (a copy; null starts a new entry), filling new entries up to `maxBytes`.
 * Pure and synchronous: the page runs it on its own copy to know at once what it is writing, and the
 * write runs it again only if the stored entry turned out to be no longer this page's.
 * Returns every entry it created or changed, the open one (if any) last.
 */
export function fill(open: OutboxEntry | null, items: SizedItem[], t: EntryTemplate): OutboxEntry[] {
  let entry = open && structuredClone(open);
  const out = entry ? [entry] : [];
  // A new session or a new day's anonymous id starts a new batch: a batch has one of each.
  const same = (e: OutboxEntry): boolean =>
    e.batch.sessionId === t.sessionId && e.batch.anonymousId === t.anonymousId;
  for (const s of items) {
    if (!entry || (entry.count > 0 && (entry.bytes + s.bytes + 1 > t.maxBytes || !same(entry)))) {
      if (entry) entry.open = false;
      out.push((entry = newEntry(t)));
    }
    (entry.batch[s.kind] as SizedItem['item'][]).push(s.item);
    entry.count++;
    entry.bytes += s.bytes + 1; // the item's JSON and a comma
  }
  return out;
}

const split = ({ batch, ...meta }: OutboxEntry): [EntryMeta, Payload] => [meta, batch];

async function totalsOf(tx: OutboxTx): Promise<Totals> {
  return (await tx.get<Totals>('totals')) ?? { events: 0, bytes: 0 };
}

/** Writes an entry whole and adds the change in its size to `totals`. */
function write(tx: OutboxTx, totals: Totals, entry: OutboxEntry, before?: EntryMeta): void {
  const [meta, payload] = split(entry);
  tx.put(META + entry.key, meta);
  tx.put(PAYLOAD + entry.key, payload);
  totals.events += entry.count - (before?.count ?? 0);
  totals.bytes += entry.bytes - (before?.bytes ?? 0);
}

function remove(tx: OutboxTx, totals: Totals, meta: EntryMeta): void {
  tx.del(META + meta.key);
  tx.del(PAYLOAD + meta.key);
  totals.events -= meta.count;
  totals.bytes -= meta.bytes;
}

const isOptedOut = async (tx: OutboxTx): Promise<boolean> => (await tx.get('consent')) === 'out';

/** An entry only its page may still append to: open, that page's, not being sent. */
const appendable = (m: EntryMeta | undefined, owner: string): m is EntryMeta =>
  !!m && m.open && m.owner === owner && m.claimedBy === undefined;

export interface AppendParams {
  template: EntryTemplate;
  /** The page's open entry as it last wrote it, or null. */
  open: OutboxEntry | null;
  items: SizedItem[];
  /** What the page expects to write: `fill(open, items)`, computed when the items left its buffer. */
  planned: OutboxEntry[];
  /** Close the last entry too (the page is about to send it). */
  seal: boolean;
  /** Caps on the whole outbox; the oldest unclaimed entries go first. */
  maxEvents: number;
  maxQueueBytes: number;
}

export interface AppendResult {
  /** The page's open entry as stored, or null. */
  open: OutboxEntry | null;
  /** False when the planned entries could not be written as planned (another context took the open one). */
  asPlanned: boolean;
  /** Events deleted to stay under the caps. */
  dropped: number;
  queued: number;
  /** The user opted out (in any tab): nothing was written. */
  optedOut: boolean;
}

/** Writes a page's new items: into its open entry while that is still the page's, else new entries. */
export function appendOp(p: AppendParams): OutboxOp<AppendResult> {
  return async (tx) => {
    const totals = await totalsOf(tx);
    if (await isOptedOut(tx)) return { open: null, asPlanned: false, dropped: 0, queued: 0, optedOut: true };
    const stored = p.open ? await tx.get<EntryMeta>(META + p.open.key) : undefined;
    const mine = appendable(stored, p.template.owner);
    // The stored open entry must be exactly the one the plan started from, or the plan is void.
    const asPlanned = !p.open || (mine && stored.count === p.open.count);
    const entries = asPlanned ? p.planned : fill(null, p.items, p.template);
    // The drop report the plan carried must travel with the items wherever they go.
    const report = p.planned.find((e) => e.batch.dropped)?.batch.dropped;
    if (!asPlanned && report && entries.length) entries.at(-1)!.batch.dropped = report;
    // An open entry of this page that the plan no longer matches is closed, so a drain can send it.
    if (!asPlanned && mine) tx.put(META + stored.key, { ...stored, open: false });
    const last = entries.at(-1);
    if (p.seal && last) last.open = false;
    for (const e of entries) write(tx, totals, e, asPlanned && e.key === p.open?.key ? stored : undefined);
    const written = new Set(entries.map((e) => e.key));
    let dropped = 0;
    if (totals.events > p.maxEvents || totals.bytes > p.maxQueueBytes) {
      const victims: EntryMeta[] = [];
      let { events, bytes } = totals;
      await tx.scan((m) => {
        if (events <= p.maxEvents && bytes <= p.maxQueueBytes) return false;
        // Open entries are their pages' to send; claimed ones are on the wire.
        if (m.open || m.claimedBy !== undefined || written.has(m.key)) return;
        victims.push(m);
        events -= m.count;
        bytes -= m.bytes;
      });
      for (const m of victims) {
        remove(tx, totals, m);
        dropped += m.count;
      }
    }
    tx.put('totals', totals);
    const open = last?.open ? last : null;
    return { open, asPlanned, dropped, queued: totals.events, optedOut: false };
  };
}

/**
 * Another live page's open entry is left to that page for this long (it seals and sends it itself on
 * its next drain), then any context may take it: a page that never hears `online` (navigator.onLine
 * can lie, PLATFORM.md) must not keep the service worker from delivering its events. The owner's next
 * write then finds the entry taken and starts a new one.
 */
export const OPEN_GRACE_MS = 5_000;

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
  /** When nothing was claimed: the earliest time an entry left waiting becomes due, or null. */
  nextAttemptAt: number | null;
  optedOut: boolean;
}

/**
 * Claims due entries for sending, oldest first, and deletes expired ones. Another page's open entry
 * is left to that page while it lives, for OPEN_GRACE_MS; a dead page's is taken over at once.
 */
export function claimOp(p: ClaimParams): OutboxOp<ClaimResult> {
  return async (tx) => {
    const totals = await totalsOf(tx);
    if (await isOptedOut(tx))
      return { claimed: [], expired: 0, queued: 0, nextAttemptAt: null, optedOut: true };
    const picked: EntryMeta[] = [];
    const expired: EntryMeta[] = [];
    let next = Infinity;
    const gone = (owner: string | undefined): boolean =>
      owner !== undefined && owner !== p.owner && p.live?.has(owner) === false;
    await tx.scan((e) => {
      if (p.now - e.createdAt > p.maxAgeMs) return void expired.push(e);
      // A claim is free once its lease is over or, for a drain's claim, once its page is gone (its
      // Web Lock released). An unload send outlives its page, so that claim keeps its lease.
      const leaseEnd = (e.claimedAt ?? e.createdAt) + p.leaseMs;
      const free =
        e.claimedBy === undefined
          ? !e.open || gone(e.owner) || (e.owner !== p.owner && p.now > e.createdAt + OPEN_GRACE_MS)
          : p.now > leaseEnd || (e.claimKind !== 'unload' && gone(e.claimedBy));
      // Wake up when the lease or the retry delay runs out, or nothing retries until the next timer.
      const due = free
        ? e.nextAttemptAt
        : e.claimedBy !== undefined
          ? leaseEnd + 1
          : e.owner === p.owner
            ? Infinity
            : e.createdAt + OPEN_GRACE_MS + 1;
      if (due > p.now) next = Math.min(next, due);
      else picked.push(e);
      return picked.length < p.limit;
    });
    for (const m of expired) remove(tx, totals, m);
    const claimed: OutboxEntry[] = [];
    let lost = false;
    for (const m of picked) {
      const batch = await tx.get<Payload>(PAYLOAD + m.key);
      if (!batch) {
        remove(tx, totals, m);
        lost = true;
        continue;
      }
      const meta: EntryMeta = { ...m, open: false, claimedBy: p.owner, claimedAt: p.now, claimKind: 'send' };
      tx.put(META + m.key, meta);
      claimed.push({ ...meta, batch });
    }
    if (expired.length || lost) tx.put('totals', totals);
    return {
      claimed,
      expired: expired.reduce((n, m) => n + m.count, 0),
      queued: totals.events,
      nextAttemptAt: claimed.length === 0 && next < Infinity ? next : null,
      optedOut: false,
    };
  };
}

/**
 * At leave: records what the page just sent with keepalive (`sent`, claimed for the lease) and writes
 * what it could not send (`unsent`, due at once for the next page or the service worker). Entries in
 * `fresh` were never written before; any other entry is updated only while it is still this page's,
 * so a stale copy never brings back a batch another context delivered.
 */
export function leaveOp(
  owner: string,
  now: number,
  sent: OutboxEntry[],
  unsent: OutboxEntry[],
  fresh: Set<string>,
): OutboxOp<number> {
  return async (tx) => {
    const totals = await totalsOf(tx);
    if (await isOptedOut(tx)) return 0;
    for (const [list, claimed] of [
      [sent, true],
      [unsent, false],
    ] as const) {
      for (const e of list) {
        const stored = await tx.get<EntryMeta>(META + e.key);
        if (stored ? stored.owner !== owner || stored.claimedBy !== undefined : !fresh.has(e.key)) continue;
        const claim = claimed ? { claimedBy: owner, claimedAt: now, claimKind: 'unload' as const } : {};
        write(tx, totals, { ...e, open: false, ...claim }, stored);
      }
    }
    tx.put('totals', totals);
    return totals.events;
  };
}

/** What a send decided for one entry: delete it (`next` null) or put it back with this state. */
export type Settlement = [
  key: string,
  next: { attempts: number; nextAttemptAt: number; sentKinds?: Kind[] } | null,
];

/**
 * After sends: delete each entry (`next` null) or put it back with a new attempt count and time, in
 * one transaction. Only the claim's owner may settle an entry: a claim taken over after its lease
 * belongs to the new owner.
 */
export function settleManyOp(owner: string, settlements: Settlement[]): OutboxOp<number> {
  return async (tx) => {
    const totals = await totalsOf(tx);
    let changed = false;
    for (const [key, next] of settlements) {
      const e = await tx.get<EntryMeta>(META + key);
      if (!e || e.claimedBy !== owner) continue;
      if (next) {
        const { claimedBy: _c, claimedAt: _a, claimKind: _k, ...rest } = e;
        tx.put(META + key, { ...rest, open: false, ...next });
      } else {
        remove(tx, totals, e);
        changed = true;
      }
    }
    if (changed) tx.put('totals', totals);
    return totals.events;
  };
}

/** `settleManyOp` for one entry. */
export const settleOp = (owner: string, key: string, next: Settlement[1]): OutboxOp<number> =>
  settleManyOp(owner, [[key, next]]);
/**
 * Writes whole entries planned elsewhere (the unload spill), each only if its key is not stored yet:
 * an entry that was written, or sent and deleted, before is not written again. Resolves with the
 * events written; nothing when the user opted out.
 */
export const restoreOp =
  (entries: OutboxEntry[]): OutboxOp<number> =>
  async (tx) => {
    if (await isOptedOut(tx)) return 0;
    const totals = await totalsOf(tx);
    let n = 0;
    for (const e of entries) {
      if (await tx.get(META + e.key)) continue;
      write(tx, totals, e);
      n += e.count;
    }
    tx.put('totals', totals);
    return n;
  };

/** Deletes every entry (`clearQueued()`); resolves with the events removed. */
export const clearOp: OutboxOp<number> = async (tx) => {
  const metas = await allMetas(tx);
  const totals = { events: 0, bytes: 0 };
  for (const m of metas) remove(tx, totals, m);
  tx.put('totals', { events: 0, bytes: 0 });
  return metas.reduce((n, m) => n + m.count, 0);
};

/** Opt-out: deletes every entry and records the choice where every tab and the worker read it. */
export const optOutOp: OutboxOp<number> = async (tx) => {
  tx.put('consent', 'out');
  return clearOp(tx);
};

/** Every queued batch, oldest first (`exportQueued()`). */
export const exportOp: OutboxOp<{ batchId: string; batch: Payload }[]> = async (tx) => {
  const out = [];
  for (const m of await allMetas(tx)) {
    const batch = await tx.get<Payload>(PAYLOAD + m.key);
    if (batch) out.push({ batchId: m.batchId, batch });
  }
  return out;
};

/** Opt-in: removes the stored choice. */
export const optInOp: OutboxOp<void> = async (tx) => {
  tx.del('consent');
  return Promise.resolve();
};

/** Whether the user opted out, as stored beside the outbox. */
export const consentOp: OutboxOp<boolean> = isOptedOut;
