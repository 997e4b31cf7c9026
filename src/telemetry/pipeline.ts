import { backoffDelay } from './backoff.js';
import { utf8Length } from './bytes.js';
import type { ResolvedOptions } from './config.js';
import { encodeNative } from './encoders/native.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import type { OwnerLocks } from './owner-lock.js';
import { appendOp, claimOp, markClaimedOp, settleOp, type SizedItem } from './outbox-ops.js';
import type { BatchItems, Kind, LogRecord, MetricRecord, Resource, SpanRecord } from './records.js';
import { emptyDropped, type DropReason, type TelemetryStatus } from './status.js';
import type { SendResult, Transport } from './transport.js';

/**
 * The delivery pipeline: memory buffer → outbox (IndexedDB) → transport → settle.
 *
 * Events sit in memory for at most `persistDelayMs` before they are appended to this page's open
 * outbox entry, so a page that is killed loses nothing older than that. Sending is separate: on
 * batch size, timer, start-up, `online` and `flush()`, the page claims due entries in one atomic
 * outbox operation and sends them. When the page is hidden or leaving, it sends what it holds at
 * once with keepalive (an IndexedDB write started then often never completes, PLATFORM.md) and
 * records those entries as claimed afterwards; a batch that arrives twice is stored once by batchId.
 */

export interface PipelineDeps {
  options: ResolvedOptions;
  outbox: Outbox;
  transport: Transport;
  resource: Resource;
  sessionId: string;
  /** This page's id: owner of its open entry and of its claims. */
  pageId: string;
  newId: () => string;
  locks: OwnerLocks;
}

type Item = { kind: Kind; item: BatchItems[Kind][number] };

// Room for the envelope (batchId, sentAt, resource, session, token) inside maxBatchBytes.
const ENVELOPE_BYTES = 2048;
// A claim older than this is taken over: Chrome cancels keepalive requests 30 s after the page is gone.
const CLAIM_LEASE_MS = 60_000;
const CLAIMS_PER_ROUND = 4;
const TIMESTAMP_GROWTH = 16;
const cut = (text: string): string => text.slice(0, 256);

/**
 * One event larger than a whole batch: keep the event and its identity, replace its payload with a
 * marker and cut its strings, so it fits any batch (each string then holds at most 1 KiB of UTF-8).
 */
function shrink(kind: Kind, item: Item['item'], bytes: number): Item['item'] {
  const marker = { _truncated: `${bytes} bytes` };
  if (kind === 'logs') {
    const log = item as LogRecord;
    const out: LogRecord = {
      timestamp: log.timestamp,
      level: log.level,
      message: cut(log.message),
      context: marker,
    };
    if (log.exception) out.exception = { type: cut(log.exception.type), message: cut(log.exception.message) };
    if (log.traceId !== undefined) out.traceId = log.traceId;
    if (log.spanId !== undefined) out.spanId = log.spanId;
    return out;
  }
  if (kind === 'traces')
    return { ...(item as SpanRecord), name: cut((item as SpanRecord).name), attributes: marker };
  return { ...(item as MetricRecord), name: cut((item as MetricRecord).name), labels: marker };
}

export function createPipeline(deps: PipelineDeps) {
  const { options, outbox, transport } = deps;
  const now = options.now;
  let buffer: Item[] = [];
  let pending: Item[][] = [];
  let open: OutboxEntry | null = null;
  let generation = 0;
  let chain: Promise<unknown> = Promise.resolve();
  let draining: Promise<void> | null = null;
  let drainAgain = false;
  let forceAgain = false;
  let persistTimer: ReturnType<typeof setTimeout> | undefined;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let drainSoon: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let pausedUntil = 0;
  // After a network error, automatic triggers only persist until the retry timer or `online`.
  let backoffUntil = 0;
  let stopped = false;
  const counts = { queued: 0, inFlight: 0, sent: 0, truncated: 0, lastError: null as string | null };
  const dropped = emptyDropped();

  /** Runs outbox work one step at a time; a failed step never breaks the chain. */
  function enqueue<R>(work: () => Promise<R>): Promise<R> {
    const next = chain.then(work, work);
    chain = next.catch(() => undefined);
    return next;
  }

  function drop(reason: DropReason, n: number): void {
    if (n > 0) dropped[reason] += n;
  }

  function sized(items: Item[]): SizedItem[] {
    const limit = options.maxBatchBytes - ENVELOPE_BYTES;
    return items.map(({ kind, item }) => {
      // ISO timestamps on the wire are longer than the epoch numbers stored.
      let bytes = utf8Length(JSON.stringify(item)) + TIMESTAMP_GROWTH;
      if (bytes <= limit) return { kind, item, bytes };
      const small = shrink(kind, item, bytes);
      counts.truncated++;
      bytes = utf8Length(JSON.stringify(small)) + TIMESTAMP_GROWTH;
      return { kind, item: small, bytes };
    });
  }

  function add(kind: Kind, item: Item['item']): void {
    if (stopped) return;
    if (buffer.length >= options.maxQueuedEvents) {
      buffer.shift();
      dropped.queue_full++;
    }
    buffer.push({ kind, item });
    if (buffer.length >= options.batchSize) {
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
    if (buffer.length === 0) return enqueue(() => Promise.resolve());
    const items = buffer;
    buffer = [];
    pending.push(items);
    const gen = generation;
    return enqueue(async () => {
      try {
        const r = await outbox.run(
          appendOp({
            owner: deps.pageId,
            openKey: open?.key ?? null,
            items: sized(items),
            sessionId: deps.sessionId,
            now: now(),
            newId: deps.newId,
            maxBytes: options.maxBatchBytes - ENVELOPE_BYTES,
            maxEvents: options.maxQueuedEvents,
          }),
        );
        // After a leave, the mirror was sent and marked claimed: do not append to it again.
        open = gen === generation ? r.open : null;
        drop('queue_full', r.dropped);
        counts.queued = r.queued;
      } catch (error) {
        drop('storage_error', items.length);
        counts.lastError = `outbox: ${String(error)}`;
      } finally {
        pending = pending.filter((p) => p !== items);
      }
    });
  }

  async function send(entry: OutboxEntry, unloading: boolean): Promise<SendResult> {
    const token = options.token;
    let body: string;
    try {
      body = encodeNative(entry.batch, {
        resource: deps.resource,
        sentAt: now(),
        ...(unloading && token !== undefined ? { token } : {}),
      });
    } catch (error) {
      return { outcome: 'drop', status: 0, error: `encode: ${String(error)}` };
    }
    counts.inFlight += entry.count;
    try {
      // Unload sends use a CORS-safelisted content type and no custom header, so no preflight.
      return await transport.send({
        url: options.endpoint ?? '',
        body,
        unloading,
        contentType: unloading ? 'text/plain;charset=UTF-8' : 'application/json',
        headers: !unloading && token !== undefined ? { 'X-Telemetry-Token': token } : {},
      });
    } catch (error) {
      return { outcome: 'retry', status: 0, error: String(error), countsAsAttempt: false };
    } finally {
      counts.inFlight -= entry.count;
    }
  }

  /** Applies a send result to the stored entry; returns false when sending should pause. */
  async function settle(entry: OutboxEntry, result: SendResult): Promise<boolean> {
    let next: { attempts: number; nextAttemptAt: number } | null = null;
    if (result.outcome === 'ok') {
      counts.sent += entry.count;
      failures = 0;
    } else if (result.outcome === 'drop') {
      drop('rejected', entry.count);
      counts.lastError = result.error;
    } else {
      counts.lastError = result.error;
      const attempts = entry.attempts + (result.countsAsAttempt ? 1 : 0);
      if (attempts >= options.maxAttempts) {
        drop('max_attempts', entry.count);
      } else {
        failures++;
        const delay =
          result.retryAfterMs ??
          backoffDelay(failures, options.retryBaseMs, options.retryMaxMs, options.random);
        if (result.retryAfterMs !== undefined) pausedUntil = now() + result.retryAfterMs;
        // Network errors leave the entry due at once (another tab or the next page may be online);
        // this page waits on its own retry timer instead.
        next = { attempts, nextAttemptAt: result.status === 0 ? 0 : now() + delay };
        if (result.status === 0) backoffUntil = now() + delay;
        scheduleRetry(now() + delay);
      }
    }
    if (next === null) counts.queued = Math.max(0, counts.queued - entry.count);
    try {
      await enqueue(() => outbox.run(settleOp(entry.key, next)));
    } catch (error) {
      counts.lastError = `outbox: ${String(error)}`;
    }
    return result.outcome !== 'retry';
  }

  function scheduleRetry(at: number): void {
    if (stopped) return;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void drain(true), Math.max(0, at - now()));
  }

  async function drainOnce(force: boolean): Promise<void> {
    await persist();
    if (now() < pausedUntil) return scheduleRetry(pausedUntil);
    if (!force && now() < backoffUntil) return;
    for (;;) {
      const live = await deps.locks.liveOwners();
      const r = await enqueue(() =>
        outbox.run(
          claimOp({
            owner: deps.pageId,
            now: now(),
            live,
            leaseMs: CLAIM_LEASE_MS,
            maxAgeMs: options.maxAgeMs,
            limit: CLAIMS_PER_ROUND,
          }),
        ),
      );
      drop('expired', r.expired);
      counts.queued = r.queued;
      if (open && r.claimed.some((c) => c.key === open?.key)) open = null;
      if (r.claimed.length === 0) {
        if (r.nextAttemptAt !== null) scheduleRetry(r.nextAttemptAt);
        return;
      }
      for (let i = 0; i < r.claimed.length; i++) {
        const entry = r.claimed[i]!;
        const result = await send(entry, false);
        if (!(await settle(entry, result))) {
          // Give the rest back unclaimed: the network or server is failing now.
          for (const rest of r.claimed.slice(i + 1)) {
            await enqueue(() =>
              outbox.run(settleOp(rest.key, { attempts: rest.attempts, nextAttemptAt: rest.nextAttemptAt })),
            );
          }
          return;
        }
      }
    }
  }

  /** Persists the buffer and sends every due entry; concurrent calls share one run. Never rejects. */
  function drain(force = false): Promise<void> {
    if (stopped) return Promise.resolve();
    if (draining) {
      drainAgain = true;
      forceAgain ||= force;
      return draining;
    }
    draining = (async () => {
      let forced = force;
      do {
        drainAgain = false;
        try {
          // Hold this page's lock while its claims are out, so other pages know it is alive.
          await deps.locks.hold(deps.pageId, () => drainOnce(forced));
          forced = forceAgain;
          forceAgain = false;
        } catch (error) {
          counts.lastError = String(error);
        }
      } while (drainAgain && !stopped);
    })().finally(() => {
      draining = null;
    });
    return draining;
  }

  /** The page is hidden or leaving: send everything this page holds now, with keepalive. */
  function leave(): void {
    if (stopped) return;
    clearTimeout(persistTimer);
    persistTimer = undefined;
    const items = pending.flat().concat(buffer);
    buffer = [];
    generation++;
    const fresh = items.length
      ? appendOp({
          owner: deps.pageId,
          openKey: null,
          items: sized(items),
          sessionId: deps.sessionId,
          now: now(),
          newId: deps.newId,
          maxBytes: options.maxBatchBytes - ENVELOPE_BYTES,
          maxEvents: Number.MAX_SAFE_INTEGER,
        })([]).put
      : [];
    const entries = (open ? [open] : []).concat(fresh);
    open = null;
    if (entries.length === 0) return;
    const sends = entries.map((entry) => send(entry, true));
    enqueue(() => outbox.run(markClaimedOp(deps.pageId, now(), entries))).catch((error: unknown) => {
      counts.lastError = `outbox: ${String(error)}`;
    });
    entries.forEach((entry, i) => {
      sends[i]!.then((result) => settle(entry, result)).catch(() => undefined);
    });
  }

  function status(): Omit<TelemetryStatus, 'enabled'> {
    return {
      storage: outbox.kind,
      buffered: buffer.length + pending.reduce((n, p) => n + p.length, 0),
      queued: counts.queued,
      inFlight: counts.inFlight,
      sent: counts.sent,
      dropped: { ...dropped },
      truncated: counts.truncated,
      lastError: counts.lastError,
      pausedUntil: pausedUntil > now() ? pausedUntil : null,
    };
  }

  /** Connectivity or visibility came back: forget the network backoff and send. */
  function resume(): Promise<void> {
    failures = 0;
    backoffUntil = 0;
    clearTimeout(retryTimer);
    return drain();
  }

  function stop(): void {
    stopped = true;
    clearTimeout(persistTimer);
    clearTimeout(retryTimer);
    clearTimeout(drainSoon);
  }

  /** Drops everything this page holds and the whole outbox (opt-out). */
  async function clear(): Promise<void> {
    drop('opted_out', buffer.length + pending.reduce((n, p) => n + p.length, 0) + counts.queued);
    buffer = [];
    open = null;
    counts.queued = 0;
    await enqueue(() => outbox.clear());
  }

  return {
    add,
    drop,
    persist,
    drain,
    leave,
    resume,
    status,
    stop,
    clear,
    hasWork: () => buffer.length > 0 || counts.queued > 0,
  };
}

export type Pipeline = ReturnType<typeof createPipeline>;
