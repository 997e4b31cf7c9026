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
  let repeats = new Map<string, number>();
  let windowStart = 0;
  return (kind, name, timestamp) => {
    // A clock set back starts a new window too.
    if (timestamp - windowStart > 60_000 || timestamp < windowStart) {
      windowStart = timestamp;
      repeats = new Map();
    }
    const key = kind + name;
    const seen = (repeats.get(key) ?? 0) + 1;
    repeats.set(key, seen);
    return seen <= max;
  };
}
