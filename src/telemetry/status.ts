/** Why events were dropped. Every drop is counted under one of these, never silently. */
export type DropReason =
  /** The memory buffer or the outbox was at `maxQueuedEvents`; the oldest events went. */
  | 'queue_full'
  /** A batch met `maxAttempts` server failures. */
  | 'max_attempts'
  /** A batch stayed undelivered longer than `maxAgeMs`. */
  | 'expired'
  /** The server refused the batch with a 4xx other than 408/429. */
  | 'rejected'
  /** The call's input could not make an event (a non-finite metric value or duration). */
  | 'invalid'
  /** The same message (or metric or span name) past `maxRepeatsPerMinute`: a runaway loop. */
  | 'storm'
  /** The app's `beforeSend` hook returned null or false. */
  | 'before_send'
  /** The app's `beforeSend` hook threw, or returned something that is not a record. */
  | 'before_send_error'
  /** Cleared by `optOut()`. */
  | 'opted_out'
  /** Neither IndexedDB nor the memory fallback could take them. */
  | 'storage_error'
  /** Removed by `clearQueued()`. */
  | 'cleared';

export const DROP_REASONS: readonly DropReason[] = [
  'queue_full',
  'max_attempts',
  'expired',
  'rejected',
  'invalid',
  'storm',
  'before_send',
  'before_send_error',
  'opted_out',
  'storage_error',
  'cleared',
];

/** A snapshot of the client's counters, from `telemetry.status()`. Counts are events, not batches. */
export interface TelemetryStatus {
  enabled: boolean;
  /** Where unsent batches wait. */
  storage: 'indexeddb' | 'memory' | 'none';
  /** In memory, not yet in the outbox. */
  buffered: number;
  /** In the outbox, as of the last outbox operation (includes batches being sent). */
  queued: number;
  /** In requests that have not answered yet. */
  inFlight: number;
  /** Acknowledged by the server. */
  sent: number;
  dropped: Record<DropReason, number>;
  /** Events whose context was too large for one batch and was replaced by a marker. */
  truncated: number;
  lastError: string | null;
  /** When a Retry-After pause ends (epoch ms), or null. */
  pausedUntil: number | null;
}

export function emptyDropped(): Record<DropReason, number> {
  return Object.fromEntries(DROP_REASONS.map((reason) => [reason, 0])) as Record<DropReason, number>;
}

/** The status of a client that is off, and the counters a running one starts from. */
export function emptyStatus(): TelemetryStatus {
  return {
    enabled: false,
    storage: 'none',
    buffered: 0,
    queued: 0,
    inFlight: 0,
    sent: 0,
    dropped: emptyDropped(),
    truncated: 0,
    lastError: null,
    pausedUntil: null,
  };
}
