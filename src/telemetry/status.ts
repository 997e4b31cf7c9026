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
  /** Cleared by `optOut()`. */
  | 'opted_out'
  /** Neither IndexedDB nor the memory fallback could take them. */
  | 'storage_error';

export const DROP_REASONS: readonly DropReason[] = [
  'queue_full',
  'max_attempts',
  'expired',
  'rejected',
  'invalid',
  'opted_out',
  'storage_error',
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
  return {
    queue_full: 0,
    max_attempts: 0,
    expired: 0,
    rejected: 0,
    invalid: 0,
    opted_out: 0,
    storage_error: 0,
  };
}
