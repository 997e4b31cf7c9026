import type { Kind } from './records.js';

/**
 * Storm protection: the same log message (or metric or span name) recorded more than `max` times in a
 * minute is a runaway loop, not data; past that it is dropped (and counted by the caller as `storm`).
 * Counts reset every minute of event time, so memory is bounded by what one minute sees.
 * Returns `seen(kind, name, timestamp)`: true while this one is within the limit.
 */
export function stormGuard(
  max: number,
): (kind: Kind, name: string | undefined, timestamp: number) => boolean {
  // One map per kind, keyed by the name itself: a key built as `kind + name` was a new string on
  // every call, hashed afresh, and a fifth of a log() call's time; a name passed as a literal keeps
  // its hash.
  let repeats: Partial<Record<Kind, Map<string | undefined, number>>> = {};
  let windowStart = 0;
  return (kind, name, timestamp) => {
    // A clock set back starts a new window too.
    if (timestamp - windowStart > 60_000 || timestamp < windowStart) {
      windowStart = timestamp;
      repeats = {};
    }
    const counts = (repeats[kind] ??= new Map<string | undefined, number>());
    const seen = (counts.get(name) ?? 0) + 1;
    counts.set(name, seen);
    return seen <= max;
  };
}
