import type { ResolvedOptions } from './config.js';
import { KEEPALIVE_MAX_BYTES } from './keepalive-budget.js';
import { watchLifecycle, watchOptOut } from './lifecycle.js';
import { fallbackOutbox, memoryOutbox, type Outbox, type OutboxEntry, type OutboxOp } from './outbox.js';
import { hasIndexedDb, indexedDbOutbox } from './outbox-idb.js';
import {
  appendOp,
  clearOp,
  exportOp,
  fill,
  optInOp,
  optOutOp,
  restoreOp,
  type EntryTemplate,
  type SizedItem,
} from './outbox-ops.js';
import { defaultLockManager, ownerLocks } from './owner-lock.js';
import { deviceContext } from './context.js';
import { hexId, type Kind, type Resource } from './records.js';
import { measure, shrink, type Item } from './sizing.js';
import { createSender } from './sender.js';
import { keptInPage, readSpill, spill, spillKey, unspill } from './spill.js';
import { emptyStatus, type DropReason, type TelemetryStatus } from './status.js';
import { stormGuard } from './storm.js';

/**
 * The delivery pipeline: memory buffer → outbox (IndexedDB) → sender (sender.ts).
 *
 * Events sit in memory for at most `persistDelayMs` before they are appended to this page's open
 * outbox entry, so a page that is killed loses nothing older than that. The page decides what each
 * write contains before the write starts (`fill`), and keeps those entries until the write commits:
 * a batch id always stands for one content, whether it is sent now or later from storage, so the
 * server's batchId dedupe makes every resend harmless. When the page is hidden or leaving, it sends
 * at once with keepalive what it holds outside the outbox: its open entry, entries still being
 * written, and the buffer.
 */

// Room for the envelope (batchId, sentAt, resource, session, dropped, token) inside maxBatchBytes.
const ENVELOPE_BYTES = 2048;
// Events measured and written per task, so a large buffer never makes a long task.
const CHUNK = 1000;
const offline = (): boolean => globalThis.navigator?.onLine === false;
const nextTask = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));
/**
 * An entry as a later page restores it from the unload spill: closed (an open entry of a gone page
 * would wait out its grace) and unclaimed (the claim was the gone page's).
 */
const closed = ({ claimedBy: _b, claimedAt: _a, claimKind: _k, ...e }: OutboxEntry): OutboxEntry => ({
  ...e,
  open: false,
});

export interface PipelineHooks {
  /**
   * Called before anything is stored or sent: reads consent and sampling once. False means the
   * client has stopped this pipeline.
   */
  ready: () => boolean;
  /** The user opted out in another tab or context: the pipeline has stopped itself. */
  onOptedOut: () => void;
  /** The user has just opted in: clear the stored opt-out before anything else. */
  optIn?: boolean;
  /** Today's anonymous user id, stamped on each batch. */
  anonymousId?: () => string;
  /** The page is hidden (`closing` false) or going away: called before anything is sent. */
  onLeave?: (closing: boolean) => void;
  /** The page is visible again, or back online. */
  onReturn?: () => void;
}

/** Starts delivery for an enabled client: outbox, sender, listeners and timers. */
export function createPipeline(options: ResolvedOptions, sessionId: () => string, hooks: PipelineHooks) {
  const { now, maxQueuedEvents } = options;
  const newId = (): string => hexId(16, options.random);
  const pageId = newId();
  // Made on first use, after start-up: touching `indexedDB` costs the caller's task otherwise.
  let box: Outbox | undefined;
  const outbox = (): Outbox =>
    (box ??=
      options.outbox ??
      (hasIndexedDb()
        ? fallbackOutbox(indexedDbOutbox(), (e) => options.onDiagnostic('IndexedDB failed; using memory', e))
        : memoryOutbox()));
  const locks = ownerLocks(
    () => (options.locks === undefined ? defaultLockManager() : options.locks),
    pageId,
  );
  const resource: Resource = {
    ...options.resource,
    ...(options.captureContext && deviceContext()),
    ...(options.environment && { environment: options.environment }),
    app: options.app,
    version: options.version,
  };
  const { airGapped } = options;
  const maxBytes = options.maxBatchBytes - ENVELOPE_BYTES;
  // Counters for status(): queued, inFlight, sent, dropped, truncated, lastError.
  const stats = emptyStatus();
  // Drops not yet reported to the server: they travel in the next batch written.
  let unreported: Record<string, number> | undefined;
  let buffer: Item[] = [];
  // This page's open entry as last planned, and the writes not yet committed (with the leave count
  // they were planned in, so a write that finishes after a leave changes nothing here).
  let open: OutboxEntry | null = null;
  // Writes planned and not yet committed; `spilled`: store() copied them to the unload spill already.
  let writing: { generation: number; entries: OutboxEntry[]; count: number; spilled?: boolean }[] = [];
  let generation = 0;
  // Unload spill copies of what a memory outbox held at the last leave (keepSpilled()).
  const kept = new Set<string>();
  let chain: Promise<unknown> = Promise.resolve();
  let persistTimer: ReturnType<typeof setTimeout> | undefined;
  let drainSoon: ReturnType<typeof setTimeout> | undefined;
  let lastSizeDrain = -Infinity;
  let stopped = false;

  const drop = (reason: DropReason, n: number): void => {
    if (n <= 0) return;
    stats.dropped[reason] += n;
    // An opted-out user's data, counts included, stays on the page.
    if (reason !== 'opted_out') (unreported ??= {})[reason] = (unreported[reason] ?? 0) + n;
  };
  const outboxError = (error: unknown): undefined => {
    stats.lastError = `outbox: ${String(error)}`;
  };
  const buffered = (): number =>
    writing.reduce((n, w) => n + (w.generation === generation ? w.count : 0), buffer.length);
  const template = (): EntryTemplate => ({
    owner: pageId,
    sessionId: sessionId(),
    anonymousId: hooks.anonymousId?.(),
    resource,
    now: now(),
    newId,
    maxBytes,
  });

  /** Runs outbox work one step at a time; a failed step never breaks the chain. */
  function enqueue<R>(work: () => Promise<R>): Promise<R> {
    const next = chain.then(work, work);
    chain = next.catch(() => undefined);
    return next;
  }
  /** Runs one outbox operation in turn. */
  const run = <R>(op: OutboxOp<R>): Promise<R> => enqueue(() => outbox().run(op));

  const sender = createSender({
    options,
    pageId,
    locks,
    stats,
    run: (op) => run(op).catch(outboxError),
    persist: () => persist(true),
    onOptedOut: () => optedOutElsewhere(),
    onDropped: drop,
    onSettled: (keys) => unkeep(keys.map(spillKey)),
  });
  // Air-gapped: everything goes to the outbox and stays there for exportQueued().
  const drain = airGapped ? () => persist(true) : sender.drain;

  function sized(items: Item[]): SizedItem[] {
    return items.map((i): SizedItem => {
      const s = measure(i.kind, i.item);
      if (s.bytes <= maxBytes) return s;
      stats.truncated++;
      return measure(i.kind, shrink(i, s.bytes));
    });
  }

  /** Plans entries for `items` on top of `from`, carrying the drops not yet reported. */
  function plan(from: OutboxEntry | null, items: SizedItem[], t: EntryTemplate): OutboxEntry[] {
    const entries = fill(from, items, t);
    const last = entries.at(-1);
    if (last && unreported) {
      const d = (last.batch.dropped ??= {});
      for (const [reason, n] of Object.entries(unreported)) d[reason] = (d[reason] ?? 0) + n;
      unreported = undefined;
    }
    return entries;
  }

  const withinStorm = stormGuard(options.maxRepeatsPerMinute);

  function add(kind: Kind, item: Item['item']): void {
    if (stopped) return;
    const name = (item as { message?: string }).message ?? (item as { name?: string }).name;
    if (!withinStorm(kind, name, item.timestamp)) return drop('storm', 1);
    if (buffer.length >= maxQueuedEvents) {
      // Drop the oldest tenth at once (at least one: the cap is at least 1): shifting one at a time
      // costs O(n) per event in a runaway loop.
      const n = Math.ceil(maxQueuedEvents / 10);
      buffer.splice(0, n);
      drop('queue_full', n);
    }
    // The size trigger counts every unsent event of this page: the buffer and its open entry.
    if (buffer.push({ kind, item }) + (open?.count ?? 0) >= options.batchSize && !drainSoon) {
      // Paced: a size-triggered send at most every minBatchIntervalMs; what comes meanwhile is
      // persisted on the usual delay (below) and joins the next batch. (Capped: a clock set back must
      // not hold the send longer than the interval.)
      const gap = options.minBatchIntervalMs;
      const wait = Math.min(gap, Math.max(0, lastSizeDrain + gap - now()));
      drainSoon = setTimeout(() => {
        drainSoon = undefined;
        lastSizeDrain = now();
        void drain();
      }, wait);
      if (wait === 0) return;
    }
    persistTimer ??= setTimeout(() => void persist(), options.persistDelayMs);
  }

  /**
   * Writes the buffer to the outbox, CHUNK events per task; with `seal`, closes the open entry after
   * the last chunk so a drain can claim it. Resolves when every chunk is written. Never rejects.
   */
  function persist(seal = false): Promise<void> {
    clearTimeout(persistTimer);
    persistTimer = undefined;
    if (stopped || !hooks.ready()) return Promise.resolve();
    // The write waits for this page's lock (see owner-lock.ts); planning does not.
    const held = locks.acquire();
    const items = buffer.splice(0, CHUNK);
    const more = buffer.length > 0;
    // Offline, every write is closed at once: the service worker's Background Sync can then deliver
    // it when connectivity returns, even while this page lives (it leaves a live page's open entry
    // alone) and even if this page never hears `online`.
    const close = (seal || offline()) && !more;
    if (!items.length && !(close && open)) return enqueue(async () => {});
    const from = open;
    const t = template();
    const list = sized(items);
    const planned = plan(from, list, t);
    const last = planned.at(-1)!;
    if (close) last.open = false;
    open = last.open ? last : null;
    const w = { generation, entries: planned, count: items.length };
    writing.push(w);
    const done = enqueue(async () => {
      try {
        await held;
        const r = await outbox().run(
          appendOp({
            template: t,
            open: from,
            items: list,
            planned,
            seal: close,
            maxEvents: maxQueuedEvents,
            maxQueueBytes: options.maxQueuedBytes,
          }),
        );
        if (r.optedOut) return optedOutElsewhere();
        drop('queue_full', r.dropped);
        stats.queued = r.queued;
        // Another context took the open entry the plan built on: the items went to new entries.
        if (!r.asPlanned && open === last) open = r.open;
      } catch (error) {
        drop('storage_error', items.length);
        outboxError(error);
        if (open === last) open = null;
      } finally {
        writing = writing.filter((x) => x !== w);
      }
    });
    return more ? done.then(nextTask).then(() => persist(seal)) : done;
  }

  /** The page is hidden or leaving: send what this page holds outside the outbox now, with keepalive. */
  function leave(closing = false): void {
    if (stopped || !hooks.ready()) return;
    hooks.onLeave?.(closing);
    // A memory outbox (no IndexedDB, or it failed) dies with the page: what it holds, claimed or not.
    const stored = outbox().entries?.() ?? [];
    const dies = outbox().kind === 'memory';
    // Writes planned but not committed may never commit now (the document may be destroyed), and what
    // does not fit the keepalive budget below would be lost with them: copy them to the unload spill
    // too, and remove the copy once those writes are done (the chain runs in order). Into a memory
    // outbox, committing saves nothing: keepSpilled() copies them with the rest.
    // (What store() wrote at the hide is in the spill already: the pagehide that follows in the same
    // task serialised all of it again, 18 ms after a burst of 10,000 events.)
    const pending = new Map<string, OutboxEntry>();
    for (const w of writing)
      if (w.generation === generation && !w.spilled) for (const e of w.entries) pending.set(e.key, e);
    const copied = dies ? [] : spill([...pending.values()].map(closed));
    if (copied.length) void enqueue(async () => {}).then(() => unspill(copied));
    // Offline, a send fails at once: writing the outbox is all that can help.
    if (offline() || airGapped) {
      keep(0);
      return keepSpilled([...stored, ...pending.values()]);
    }
    // The newest copy of each entry this page planned and has not seen committed, and its open entry.
    // Writes planned before an earlier leave were handed over then (pagehide follows visibilitychange
    // in the same task: the second leave must not send them again).
    const held = new Map<string, OutboxEntry>();
    for (const w of writing) if (w.generation === generation) for (const e of w.entries) held.set(e.key, e);
    generation++;
    if (open) held.set(open.key, open);
    open = null;
    // What waits in a memory outbox goes now too (its claimed entries are the sender's: sendNow).
    for (const e of stored) if (!e.claimedBy && !held.has(e.key)) held.set(e.key, e);
    // Buffered events, as many as one keepalive budget can carry; the rest go to the outbox.
    let room = KEEPALIVE_MAX_BYTES;
    const list: SizedItem[] = [];
    for (const s of sized(buffer.slice(0, CHUNK))) {
      if ((room -= s.bytes + 1) < 0) break;
      list.push(s);
    }
    const fresh = list.length ? plan(null, list, template()) : [];
    const entries = [...held.values(), ...fresh];
    sender.sendNow(entries, new Set(fresh.map((e) => e.key)), dies);
    keep(list.length);
    keepSpilled([...stored, ...entries]);
    // Everything this page held is sent or written: it need not look alive to others any more (a
    // page holding a Web Lock cannot enter the back/forward cache). But a drain's requests may still
    // be in flight: until they settle, another context would take their claims and send them again.
    void sender.idle().then(() => {
      if (!open && !buffer.length && writing.every((w) => w.generation !== generation)) locks.release();
    });
  }

  /**
   * A memory outbox dies with the page, and a keepalive send may still fail after it: everything it
   * holds at a leave (`entries`; store() holds what it writes there) is kept in the unload spill for a
   * later page, even what was sent (the server stores a batch once). A copy goes when its entry is
   * settled (sent or dropped), or at a leave once the outbox is IndexedDB again (moved back).
   */
  function keepSpilled(entries: OutboxEntry[]): void {
    if (outbox().kind !== 'memory') return unkeep([...kept]);
    // A closed entry never changes: one copy is enough (pagehide follows visibilitychange at once).
    const unique = new Map(
      entries.filter((e) => e.open || !kept.has(spillKey(e.key))).map((e) => [e.key, closed(e)]),
    );
    hold(spill([...unique.values()]));
  }

  /** Spill copies this client keeps for its memory outbox: not restored by the page's other clients. */
  function hold(keys: string[]): void {
    for (const key of keys) {
      kept.add(key);
      keptInPage.add(key);
    }
  }

  function unkeep(keys: string[]): void {
    const gone = keys.filter((k) => kept.delete(k));
    for (const key of gone) keptInPage.delete(key);
    unspill(gone);
  }

  /**
   * What leave() did not send (the buffer from `sent` on) goes to the outbox at once, copied to the
   * unload spill first: a hide is often the last event a page gets (mobile), and a write started as
   * the page is destroyed may never commit. Then the open entry is sealed (which also cancels the
   * persist timer).
   */
  function keep(sent: number): void {
    store(buffer.slice(sent));
    buffer = [];
    void persist(true);
  }

  /**
   * Plans `items` as closed entries, copies them to the unload spill (spill.ts) and writes them; the
   * copy goes once the write commits.
   */
  function store(items: Item[]): void {
    if (!items.length) return;
    const list = sized(items);
    const entries = plan(null, list, template());
    for (const e of entries) e.open = false;
    const json = new Map(list.map((x) => [x.item, x.json]));
    const keys = spill(entries, (item) => json.get(item as SizedItem['item']));
    const w = { generation, entries, count: 0, spilled: keys.length > 0 };
    writing.push(w);
    // Into a memory outbox the copy stays until the entry is settled (keepSpilled()).
    const dies = outbox().kind === 'memory';
    if (dies) hold(keys);
    void run(restoreOp(entries))
      .then(() => dies || unspill(keys), outboxError)
      .finally(() => (writing = writing.filter((x) => x !== w)));
  }

  /** Entries an earlier page spilled at unload and may not have written: restored, then sent. */
  function restoreSpill(): void {
    const spilled = readSpill();
    if (!spilled.length) return;
    void run(restoreOp(spilled.map(([, e]) => e))).then(
      () => unspill(spilled.map(([key]) => key)),
      outboxError,
    );
  }

  function optedOutElsewhere(): void {
    if (stopped) return;
    drop('opted_out', buffered());
    buffer = [];
    open = null;
    generation++;
    stop();
    hooks.onOptedOut();
  }

  function stop(): void {
    stopped = true;
    sender.stop();
    clearTimeout(persistTimer);
    clearTimeout(drainSoon);
    clearTimeout(startup);
    clearInterval(interval);
    detach();
    unwatchOptOut();
    locks.release();
    // What this client kept in the spill is no longer its to send: another client may restore it.
    for (const key of kept) keptInPage.delete(key);
  }

  const detach = watchLifecycle(leave, () => {
    hooks.onReturn?.();
    if (!airGapped) sender.resume();
  });
  let unwatchOptOut = (): void => {};
  const interval = setInterval(() => {
    if (buffer.length || open || stats.queued) void drain();
  }, options.flushIntervalMs);
  if (hooks.optIn) void run(optInOp).catch(outboxError);
  // Decide consent and drain batches left by earlier page loads after the current task, so start-up
  // stays cheap.
  const startup = setTimeout(() => {
    if (!hooks.ready()) return;
    unwatchOptOut = watchOptOut(optedOutElsewhere);
    restoreSpill();
    void drain();
  }, 0);

  /** Removes every queued batch and what this page holds; resolves with the events removed. */
  function removeAll(op: typeof clearOp, reason: DropReason): Promise<void> {
    const held = buffered() + (open?.count ?? 0);
    buffer = [];
    open = null;
    generation++;
    stats.queued = 0;
    unkeep([...kept]);
    return run(op)
      .then((n) => drop(reason, held + n))
      .catch(outboxError);
  }

  return {
    add,
    drop,
    drain,
    leave,
    /** Plans what is buffered now, with the current session, and closes the open entry. */
    seal: (): void => void persist(true),
    /** Every queued batch (the buffer written first). Never rejects. */
    exportQueued: () =>
      persist(true)
        .then(() => run(exportOp))
        .catch((error: unknown) => (outboxError(error), [])),
    clearQueued: (): Promise<void> => removeAll(clearOp, 'cleared'),
    status: (): TelemetryStatus => ({
      ...stats,
      enabled: !stopped,
      storage: outbox().kind,
      buffered: buffered(),
      dropped: { ...stats.dropped },
      pausedUntil: sender.pausedUntil(),
    }),
    stop,
    /** Opt-out: drops everything this page holds and the whole outbox, in every tab. Never rejects. */
    clear: (): Promise<void> => removeAll(optOutOp, 'opted_out'),
  };
}

export type Pipeline = ReturnType<typeof createPipeline>;
