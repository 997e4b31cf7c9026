import type { Random } from './records.js';

/**
 * Delay before retry number `attempt` (1-based): exponential from `baseMs`, capped at `maxMs`, with
 * "equal jitter" (uniform in [ceiling/2, ceiling]) so a fleet of pages recovering from one outage
 * does not retry in step, while no retry comes sooner than half the schedule.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  maxMs: number,
  random: Random = Math.random,
): number {
  const ceiling = Math.min(maxMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
