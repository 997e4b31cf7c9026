import { backoffDelay } from './backoff.js';
import type { ResolvedOptions } from './config.js';
import { encodeNative } from './encoders/native.js';
import type { OutboxEntry, OutboxOp } from './outbox.js';
import { claimOp, markClaimedOp, settleOp } from './outbox-ops.js';
import { defaultLockManager, ownerLocks } from './owner-lock.js';
import type { TelemetryStatus } from './status.js';
import { fetchTransport, type SendResult } from './transport.js';

/**
 * Sending, the second half of the pipeline: claims due outbox entries in one atomic operation, sends
 * them, and settles each by its result: delete on success, drop and count on refusal, keep and retry
 * with backoff otherwise (honouring Retry-After). A claim keeps other pages from sending the same
 * batch; a batch that still arrives twice is stored once by batchId.
 */

// A claim older than this is taken over: Chrome cancels keepalive requests 30 s after the page is gone.
const CLAIM_LEASE_MS = 60_000;
const CLAIMS_PER_ROUND = 4;

export interface SenderDeps {
  options: ResolvedOptions;
  /** This page's id: owner of its claims and name of its Web Lock. */
  pageId: string;
  /** The pipeline's counters, updated here. */
  stats: TelemetryStatus;
  /** Runs an outbox operation after the ones before it; a failure is recorded, and gives undefined. */
  run: <R>(op: OutboxOp<R>) => Promise<R | undefined>;
  /** Writes the memory buffer to the outbox: done first in every round, so it is sent too. */
  persist: () => Promise<void>;
  /** Told which entries a round claimed: the page must not append to them any more. */
  onClaim: (entries: OutboxEntry[]) => void;
}

export function createSender({ options, pageId, stats, run, persist, onClaim }: SenderDeps) {
  const { now, token, random } = options;
  const transport = options.transport ?? fetchTransport({ now });
  const locks = ownerLocks(options.locks === undefined ? defaultLockManager() : options.locks);
  const resource = { app: options.app, version: options.version };
  let draining: Promise<void> | null = null;
  let drainAgain = false;
  let forceAgain = false;
  let retryTimer: ReturnType<typeof setTimeout> | undefined;
  let failures = 0;
  let pausedUntil = 0;
  // After a network error, automatic triggers only persist until the retry timer or `online`.
  let backoffUntil = 0;
  let stopped = false;

  async function send(entry: OutboxEntry, unloading: boolean): Promise<SendResult> {
    let body: string;
    try {
      body = encodeNative(entry.batch, { resource, sentAt: now(), token: unloading ? token : undefined });
    } catch (error) {
      // It would fail the same way every time.
      return { outcome: 'drop', status: 0, error: `encode: ${String(error)}` };
    }
    stats.inFlight += entry.count;
    try {
      // Unload sends use a CORS-safelisted content type and no custom header, so no preflight.
      return await transport.send({
        url: options.endpoint ?? '',
        body,
        unloading,
        contentType: unloading ? 'text/plain;charset=UTF-8' : 'application/json',
        headers: !unloading && token ? { 'X-Telemetry-Token': token } : {},
      });
    } catch (error) {
      return { outcome: 'retry', status: 0, error: String(error), countsAsAttempt: false };
    } finally {
      stats.inFlight -= entry.count;
    }
  }

  /** Applies a send result to the stored entry; returns false when sending should pause. */
  async function settle(entry: OutboxEntry, result: SendResult): Promise<boolean> {
    let next: { attempts: number; nextAttemptAt: number } | null = null;
    if (result.outcome === 'ok') {
      stats.sent += entry.count;
      failures = 0;
    } else {
      stats.lastError = result.error;
      const attempts = entry.attempts + (result.outcome === 'retry' && result.countsAsAttempt ? 1 : 0);
      if (result.outcome === 'drop') stats.dropped.rejected += entry.count;
      else if (attempts >= options.maxAttempts) stats.dropped.max_attempts += entry.count;
      else {
        failures++;
        const delay =
          result.retryAfterMs ?? backoffDelay(failures, options.retryBaseMs, options.retryMaxMs, random);
        if (result.retryAfterMs !== undefined) pausedUntil = now() + delay;
        // Network errors leave the entry due at once (another tab or the next page may be online);
        // this page waits on its own retry timer instead.
        if (result.status === 0) backoffUntil = now() + delay;
        next = { attempts, nextAttemptAt: result.status === 0 ? 0 : now() + delay };
        scheduleRetry(now() + delay);
      }
    }
    if (!next) stats.queued = Math.max(0, stats.queued - entry.count);
    await run(settleOp(entry.key, next));
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
      const live = await locks.liveOwners();
      const r = await run(
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
      stats.dropped.expired += r.expired;
      stats.queued = r.queued;
      onClaim(r.claimed);
      if (r.claimed.length === 0) {
        if (r.nextAttemptAt !== null) scheduleRetry(r.nextAttemptAt);
        return;
      }
      for (const [i, entry] of r.claimed.entries()) {
        if (!(await settle(entry, await send(entry, false)))) {
          // Give the rest back unclaimed: the network or server is failing now.
          for (const { key, attempts, nextAttemptAt } of r.claimed.slice(i + 1))
            await run(settleOp(key, { attempts, nextAttemptAt }));
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
      do {
        drainAgain = false;
        try {
          // Hold this page's lock while its claims are out, so other pages know it is alive.
          await locks.hold(pageId, () => drainOnce(force));
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
    /**
     * The page is leaving: send these entries at once with keepalive, and only then record them as
     * claimed (an IndexedDB write started now often never completes, PLATFORM.md).
     */
    sendNow(entries: OutboxEntry[]): void {
      const sends = entries.map((entry) => send(entry, true));
      void run(markClaimedOp(pageId, now(), entries));
      entries.forEach((entry, i) => {
        sends[i]!.then((result) => settle(entry, result)).catch(() => {});
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
