import { backoffDelay } from './backoff.js';
import { utf8Length } from './bytes.js';
import type { ResolvedOptions } from './config.js';
import type { EncodedRequest, Encoder } from './encoders/encoder.js';
import { nativeEncoder } from './encoders/native-encoder.js';
import { gzip } from './gzip.js';
import { pageKeepaliveBudget } from './keepalive-budget.js';
import type { OutboxEntry, OutboxOp } from './outbox.js';
import { claimOp, leaveOp, settleManyOp, type ClaimResult, type Settlement } from './outbox-ops.js';
import type { OwnerLocks } from './owner-lock.js';
import type { Kind } from './records.js';
import type { TelemetryStatus } from './status.js';
import { fetchTransport, type SendResult } from './transport.js';

/**
 * Sending, the second half of the pipeline: claims due outbox entries in one atomic operation, sends
 * them, and settles each by its result: delete on success, drop and count on refusal, keep and retry
 * with backoff otherwise (honouring Retry-After). A claim keeps other pages from sending the same
 * batch; a batch that still arrives twice is stored once by batchId.
 */

// A claim older than this is taken over: Chrome cancels keepalive requests 30 s after the page is gone.
export const CLAIM_LEASE_MS = 60_000;
// A round's claims are sent together, each within REQUEST_TIMEOUT_MS, so all are settled well inside
// the lease and no other page takes one over while it is in flight.
const CLAIMS_PER_ROUND = 6;
export const REQUEST_TIMEOUT_MS = 10_000;

/** A send's result and the kinds the server has accepted so far. */
type Sent = SendResult & { done: Kind[] };

export interface SenderDeps {
  options: ResolvedOptions;
  /** This page's id: owner of its claims and name of its Web Lock. */
  pageId: string;
  locks: OwnerLocks;
  /** The pipeline's counters, updated here. */
  stats: TelemetryStatus;
  /** Runs an outbox operation after the ones before it; a failure is recorded, and gives undefined. */
  run: <R>(op: OutboxOp<R>) => Promise<R | undefined>;
  /** Writes the memory buffer to the outbox and seals this page's open entry: done first in every round. */
  persist: () => Promise<void>;
  /** Another context recorded an opt-out: stop. */
  onOptedOut: () => void;
  /** Events the outbox dropped (expired), to report. */
  onDropped: (reason: 'expired' | 'rejected' | 'max_attempts', n: number) => void;
  /** Keys of entries settled for good (delivered or dropped) and deleted from the outbox. */
  onSettled?: (keys: string[]) => void;
}

export function createSender({
  options,
  pageId,
  locks,
  stats,
  run,
  persist,
  onOptedOut,
  onDropped,
  onSettled,
}: SenderDeps) {
  const { now, token, random } = options;
  const transport = options.transport ?? fetchTransport({ now, timeoutMs: REQUEST_TIMEOUT_MS });
  const budget = options.keepaliveBudget ?? pageKeepaliveBudget;
  let draining: Promise<void> | null = null;
  let drainAgain = false;
  let forceAgain = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let pausedUntil = 0;
  // After a network error, automatic triggers only persist until the retry timer or `online`.
  let backoffUntil = 0;
  let stopped = false;
  // Entries a drain is sending (without keepalive), by key; `again`: their keepalive resend at leave.
  const out = new Map<string, { entry: OutboxEntry; again?: Promise<Sent> }>();

  // The wire format. OTLP and PostHog are loaded on first use, so the native client never carries them.
  let encoder: Encoder | undefined =
    options.encoder ??
    (options.format === 'native' ? nativeEncoder({ endpoint: options.endpoint ?? '' }) : undefined);
  let loading: Promise<Encoder> | undefined;
  const loadEncoder = (): Promise<Encoder> =>
    encoder
      ? Promise.resolve(encoder)
      : (loading ??= (
          options.format === 'otlp'
            ? import('./encoders/otlp.js').then((m) => m.otlpEncoder({ endpoint: options.endpoint ?? '' }))
            : import('./encoders/posthog.js').then((m) =>
                m.posthogEncoder({ endpoint: options.endpoint ?? '' }),
              )
        ).then((e) => (encoder = e)));

  /** One request: gzip where it helps and the page is not leaving (compression is async). */
  async function sendOne(request: EncodedRequest, unloading: boolean): Promise<SendResult> {
    const zipped =
      !unloading && options.compress && request.body.length > 1024 ? await gzip(request.body) : null;
    return transport.send({
      url: request.url,
      body: zipped ?? request.body,
      ...(zipped && { encoding: 'gzip' as const }),
      unloading,
      contentType: request.contentType,
      headers: request.headers,
    });
  }

  /**
   * Sends one entry: the kinds it still needs (an OTLP batch is one request per kind, and a collector
   * does not dedupe, so kinds already accepted are not sent again). `unload` holds the requests of a
   * keepalive send made as the page leaves. The result is the worst of the requests' results.
   */
  async function send(entry: OutboxEntry, unload?: EncodedRequest[]): Promise<Sent> {
    stats.inFlight += entry.count;
    try {
      return await sendEntry(entry, unload);
    } finally {
      stats.inFlight -= entry.count;
    }
  }

  async function sendEntry(entry: OutboxEntry, unload?: EncodedRequest[]): Promise<Sent> {
    const done = [...(entry.sentKinds ?? [])];
    try {
      const requests =
        unload ??
        (await loadEncoder())
          .encode(entry, { sentAt: now(), token })
          .filter((r) => !r.kinds.every((k) => done.includes(k)));
      const results = await Promise.all(requests.map((r) => sendOne(r, unload !== undefined)));
      results.forEach((r, i) => r.outcome === 'ok' && done.push(...requests[i]!.kinds));
      const worst = results.find((r) => r.outcome === 'retry') ??
        results.find((r) => r.outcome === 'drop') ??
        results[0] ?? { outcome: 'ok' as const, status: 200 };
      return { ...worst, done };
    } catch (error) {
      return { outcome: 'retry', status: 0, error: String(error), countsAsAttempt: false, done };
    }
  }

  /** Counts a send result and decides what becomes of the stored entry. */
  function judge(entry: OutboxEntry, result: Sent): Settlement {
    let next: Settlement[1] = null;
    if (result.outcome === 'ok') {
      stats.sent += entry.count;
      failures = 0;
    } else {
      stats.lastError = result.error;
      const attempts = entry.attempts + (result.outcome === 'retry' && result.countsAsAttempt ? 1 : 0);
      if (result.outcome === 'drop') onDropped('rejected', entry.count);
      else if (attempts >= options.maxAttempts) onDropped('max_attempts', entry.count);
      else {
        failures++;
        const delay =
          result.retryAfterMs ?? backoffDelay(failures, options.retryBaseMs, options.retryMaxMs, random);
        if (result.retryAfterMs !== undefined) pausedUntil = now() + delay;
        // Network errors leave the entry due at once (another tab or the next page may be online);
        // this page waits on its own retry timer instead.
        if (result.status === 0) backoffUntil = now() + delay;
        next = { attempts, nextAttemptAt: result.status === 0 ? 0 : now() + delay, sentKinds: result.done };
        scheduleRetry(now() + delay);
      }
    }
    return [entry.key, next];
  }

  /** Writes what the sends decided, in one transaction. */
  async function settle(settlements: Settlement[]): Promise<void> {
    const queued = await run(settleManyOp(pageId, settlements));
    if (queued !== undefined) stats.queued = queued;
    onSettled?.(settlements.filter(([, next]) => next === null).map(([key]) => key));
  }

  function scheduleRetry(at: number): void {
    if (stopped) return;
    clearTimeout(retryTimer);
    retryTimer = setTimeout(() => void drain(true), Math.max(0, at - now()));
  }

  async function drainOnce(force: boolean): Promise<void> {
    // Loaded now (the start-up drain), so a leave can encode synchronously.
    loadEncoder().catch(() => {});
    await persist();
    if (stopped) return;
    if (now() < pausedUntil) return scheduleRetry(pausedUntil);
    if (!force && now() < backoffUntil) return;
    for (;;) {
      const live = await locks.liveOwners();
      const r: ClaimResult | undefined = await run(
        claimOp({
          owner: pageId,
          now: now(),
          live,
          leaseMs: CLAIM_LEASE_MS,
          maxAgeMs: options.maxAgeMs,
          limit: CLAIMS_PER_ROUND,
        }),
      );
      if (!r) return;
      if (r.optedOut) return onOptedOut();
      if (r.expired) onDropped('expired', r.expired);
      stats.queued = r.queued;
      if (r.claimed.length === 0) {
        if (r.nextAttemptAt !== null) scheduleRetry(r.nextAttemptAt);
        return;
      }
      // A round's batches go out together: encoding and compressing one overlaps the others' network
      // time. Any failure ends the drain; the retry timer or `online` starts the next. A batch sent
      // again with keepalive as the page left (out.again) is settled by the better of the two results.
      const results = await Promise.all(
        r.claimed.map(async (entry) => {
          out.set(entry.key, { entry });
          const first = await send(entry);
          const again = out.get(entry.key)?.again;
          out.delete(entry.key);
          return first.outcome === 'ok' || !again ? first : again;
        }),
      );
      await settle(results.map((result, i) => judge(r.claimed[i]!, result)));
      if (stopped || results.some((x) => x.outcome === 'retry')) return;
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
      do {
        drainAgain = false;
        try {
          // Hold this page's lock while its claims are out, so other pages know it is alive.
          await locks.acquire();
          await drainOnce(force);
          force = forceAgain;
          forceAgain = false;
        } catch (error) {
          stats.lastError = String(error);
        }
      } while (drainAgain && !stopped);
    })().finally(() => {
      draining = null;
    });
    return draining;
  }

  return {
    drain,
    /** Resolves when no drain is running (its requests settled). Never rejects. */
    idle: (): Promise<void> => draining ?? Promise.resolve(),
    /**
     * The page is leaving: send these entries at once with keepalive while they fit the page's
     * keepalive budget, then record the ones sent as claimed (for the lease) and write the others
     * unclaimed and due, for the next page or the service worker. During a Retry-After pause nothing
     * is sent. The write comes last because an IndexedDB write started now often never completes
     * (PLATFORM.md); entries in `fresh` were never written before. `dies`: the outbox dies with the
     * page (memory), so what a drain is sending goes again with keepalive too, as the document's
     * teardown aborts its fetch and no other context will take the claim over.
     */
    sendNow(entries: OutboxEntry[], fresh: Set<string>, dies = false): void {
      const fits = (bytes: number): boolean => {
        const release = budget.reserve(bytes);
        release?.();
        return !!release;
      };
      const paused = now() < pausedUntil;
      /** Encodes an entry for a keepalive send and reserves its bytes; null when it must wait. */
      const unload = (entry: OutboxEntry): [EncodedRequest[], () => void] | null => {
        // Without its encoder yet (still loading), an entry waits in the outbox like one over budget.
        // So does one the budget has clearly no room for: encoding every batch of a large burst at
        // unload, only to find it cannot go, cost tens of ms (its body is at least about half its
        // measured size in any format; a wrong guess only leaves a batch for the next load).
        if (paused || !encoder || !fits(Math.max(0, entry.bytes - 17 * entry.count) / 2)) return null;
        const requests = encoder
          .encode(entry, { sentAt: now(), token, unloading: true })
          .filter((r) => !r.kinds.every((k) => entry.sentKinds?.includes(k)));
        const release = budget.reserve(
          requests.reduce((n, r) => n + utf8Length(r.body), 0),
          requests.length,
        );
        return release ? [requests, release] : null;
      };
      if (dies)
        for (const o of out.values()) {
          const go = !o.again && unload(o.entry);
          if (go) o.again = sendEntry(o.entry, go[0]).finally(go[1]);
        }
      const sent: OutboxEntry[] = [];
      const unsent: OutboxEntry[] = [];
      for (const entry of entries) {
        const go = unload(entry);
        if (!go) {
          unsent.push(paused ? { ...entry, nextAttemptAt: pausedUntil } : entry);
          continue;
        }
        sent.push(entry);
        void send(entry, go[0])
          .then((result) => {
            go[1]();
            return settle([judge(entry, result)]);
          })
          .catch(() => {});
      }
      if (!entries.length) return;
      void run(leaveOp(pageId, now(), sent, unsent, fresh)).then((queued) => {
        if (queued !== undefined) stats.queued = queued;
      });
    },
    /** Connectivity or visibility came back: forget the network backoff and send. */
    resume: (): void => {
      failures = 0;
      backoffUntil = 0;
      clearTimeout(retryTimer);
      void drain();
    },
    /** When a Retry-After pause ends, or null. */
    pausedUntil: (): number | null => (pausedUntil > now() ? pausedUntil : null),
    stop(): void {
      stopped = true;
      clearTimeout(retryTimer);
    },
  };
}
