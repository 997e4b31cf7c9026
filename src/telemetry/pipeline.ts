import { utf8Length } from './bytes.js';
import type { ResolvedOptions } from './config.js';
import { watchLifecycle } from './lifecycle.js';
import { fallbackOutbox, memoryOutbox, type OutboxEntry } from './outbox.js';
import { hasIndexedDb, indexedDbOutbox } from './outbox-idb.js';
import { appendOp, type SizedItem } from './outbox-ops.js';
import { hexId, type Kind, type LogRecord } from './records.js';
import { createSender } from './sender.js';
import { emptyStatus, type DropReason, type TelemetryStatus } from './status.js';

/**
 * The delivery pipeline: memory buffer → outbox (IndexedDB) → sender (sender.ts).
 *
 * Events sit in memory for at most `persistDelayMs` before they are appended to this page's open
 * outbox entry, so a page that is killed loses nothing older than that. Sending is separate: on
 * batch size, timer, start-up, `online` and `flush()`, the sender claims due entries and sends them.
 * When the page is hidden or leaving, it sends what it holds at once with keepalive: the open entry
 * (mirrored here, so no storage read is needed) and the events not yet in the outbox.
 */

type Item = Omit<SizedItem, 'bytes'>;

// Room for the envelope (batchId, sentAt, resource, session, token) inside maxBatchBytes.
const ENVELOPE_BYTES = 2048;
// Where each kind keeps its free-form payload.
const PAYLOAD = { logs: 'context', traces: 'attributes', metrics: 'labels' } as const;
const cut = (text: unknown): unknown => (typeof text === 'string' ? text.slice(0, 256) : text);

/** JSON bytes of an item as sent: ISO timestamps on the wire are 16 bytes longer than epoch numbers. */
const measure = (item: Item['item']): number => utf8Length(JSON.stringify(item)) + 16;

/**
 * One event larger than a whole batch: keep the event and its identity, replace its payload with a
 * marker and cut its strings, so it fits any batch (each string then holds at most 1 KiB of UTF-8).
 */
function shrink({ kind, item }: Item, bytes: number): Item['item'] {
  const { url: _url, exception, ...rest } = item as Partial<LogRecord>;
  const out: Record<string, unknown> = { ...rest, [PAYLOAD[kind]]: { _truncated: `${bytes} bytes` } };
  for (const key of ['message', 'name']) if (key in out) out[key] = cut(out[key]);
  if (exception) out.exception = { type: cut(exception.type), message: cut(exception.message) };
  return out as unknown as Item['item'];
}

/** Starts delivery for an enabled client: outbox, sender, listeners and timers. */
export function createPipeline(options: ResolvedOptions, sessionId: string) {
  const { now, maxQueuedEvents } = options;
  const newId = (): string => hexId(16, options.random);
  const pageId = newId();
  const outbox =
    options.outbox ??
    (hasIndexedDb()
      ? fallbackOutbox(indexedDbOutbox(), (e) => options.onDiagnostic('IndexedDB failed; using memory', e))
      : memoryOutbox());
  const maxBytes = options.maxBatchBytes - ENVELOPE_BYTES;
  // Counters for status(): queued, inFlight, sent, dropped, truncated, lastError.
  const stats = emptyStatus();
  let buffer: Item[] = [];
  // Buffers being written to the outbox: still this page's to send if it leaves meanwhile.
  let pending: Item[][] = [];
  // This page's open entry as stored, and a count of leaves so a write that finishes after one
  // does not bring back an entry already sent.
  let open: OutboxEntry | null = null;
  let generation = 0;
  let chain: Promise<unknown> = Promise.resolve();
  let persistTimer: ReturnType<typeof setTimeout> | undefined;
  let drainSoon: ReturnType<typeof setTimeout> | undefined;
  let stopped = false;

  const drop = (reason: DropReason, n: number): void => {
    stats.dropped[reason] += n;
  };
  const outboxError = (error: unknown): undefined => {
    stats.lastError = `outbox: ${String(error)}`;
  };
  const buffered = (): number => pending.reduce((n, p) => n + p.length, buffer.length);

  /** Runs outbox work one step at a time; a failed step never breaks the chain. */
  function enqueue<R>(work: () => Promise<R>): Promise<R> {
    const next = chain.then(work, work);
    chain = next.catch(() => undefined);
    return next;
  }

  const sender = createSender({
    options,
    pageId,
    stats,
    run: (op) => enqueue(() => outbox.run(op)).catch(outboxError),
    persist,
    onClaim: (claimed) => {
      if (claimed.some((c) => c.key === open?.key)) open = null;
    },
  });
  const { drain } = sender;

  function append(items: Item[], openKey: string | null, maxEvents: number) {
    const sized = items.map((i): SizedItem => {
      const bytes = measure(i.item);
      if (bytes <= maxBytes) return { ...i, bytes };
      stats.truncated++;
      const item = shrink(i, bytes);
      return { kind: i.kind, item, bytes: measure(item) };
    });
    return appendOp({
      owner: pageId,
      openKey,
      items: sized,
      sessionId,
      now: now(),
      newId,
      maxBytes,
      maxEvents,
    });
  }

  function add(kind: Kind, item: Item['item']): void {
    if (stopped) return;
    if (buffer.length >= maxQueuedEvents) {
      buffer.shift();
      drop('queue_full', 1);
    }
    if (buffer.push({ kind, item }) >= options.batchSize) {
      drainSoon ??= setTimeout(() => {
        drainSoon = undefined;
        void drain();
      }, 0);
    } else {
      persistTimer ??= setTimeout(() => void persist(), options.persistDelayMs);
    }
  }

  function persist(): Promise<void> {
    clearTimeout(persistTimer);
    persistTimer = undefined;
    const items = buffer;
    if (items.length === 0) return enqueue(async () => {});
    buffer = [];
    pending.push(items);
    const gen = generation;
    return enqueue(async () => {
      try {
        const r = await outbox.run(append(items, open?.key ?? null, maxQueuedEvents));
        // After a leave, the open entry was sent and marked claimed: do not append to it again.
        open = gen === generation ? r.open : null;
        drop('queue_full', r.dropped);
        stats.queued = r.queued;
      } catch (error) {
        drop('storage_error', items.length);
        outboxError(error);
      } finally {
        pending = pending.filter((p) => p !== items);
      }
    });
  }

  /** The page is hidden or leaving: send everything this page holds now, with keepalive. */
  function leave(): void {
    if (stopped) return;
    // Offline, a send fails at once and leaves its batches leased to a dead page for a minute, out
    // of reach of the next page and the service worker. Writing the outbox is all that can help.
    if (typeof navigator !== 'undefined' && navigator.onLine === false) return void persist();
    clearTimeout(persistTimer);
    persistTimer = undefined;
    const items = pending.flat().concat(buffer);
    buffer = [];
    generation++;
    const entries = (open ? [open] : []).concat(items.length ? append(items, null, Infinity)([]).put : []);
    open = null;
    if (entries.length) sender.sendNow(entries);
  }

  const detach = watchLifecycle(leave, sender.resume);
  const interval = setInterval(() => {
    if (buffer.length || stats.queued) void drain();
  }, options.flushIntervalMs);
  // Drain batches left by earlier page loads, after the current task so start-up stays cheap.
  setTimeout(() => void drain(), 0);

  return {
    add,
    drop,
    drain,
    status: (): TelemetryStatus => ({
      ...stats,
      enabled: !stopped,
      storage: outbox.kind,
      buffered: buffered(),
      dropped: { ...stats.dropped },
      pausedUntil: sender.pausedUntil(),
    }),
    stop(): void {
      stopped = true;
      sender.stop();
      clearTimeout(persistTimer);
      clearTimeout(drainSoon);
      clearInterval(interval);
      detach();
    },
    /** Drops everything this page holds and the whole outbox (opt-out). Never rejects. */
    clear(): Promise<void> {
      drop('opted_out', buffered() + stats.queued);
      buffer = [];
      open = null;
      stats.queued = 0;
      return enqueue(() => outbox.clear()).catch(outboxError);
    },
  };
}

export type Pipeline = ReturnType<typeof createPipeline>;
