import { describe, expect, it } from 'vitest';
import { stormGuard } from '../../src/telemetry/storm.js';

describe('storm protection', () => {
  it('lets `max` of one message through in a minute, and other messages on their own count', () => {
    const within = stormGuard(3);
    const t = 1_000;
    expect([1, 2, 3, 4, 5].map((i) => within('logs', 'loop', t + i))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    expect(within('logs', 'other', t + 6)).toBe(true);
    // The same name as a metric is another series.
    expect(within('metrics', 'loop', t + 7)).toBe(true);
  });

  it('starts counting again a minute after the window began', () => {
    const within = stormGuard(1);
    expect(within('logs', 'tick', 0)).toBe(true);
    expect(within('logs', 'tick', 60_000)).toBe(false);
    expect(within('logs', 'tick', 60_001)).toBe(true);
    expect(within('logs', 'tick', 60_002)).toBe(false);
  });

  it('starts a new window when the clock is set back', () => {
    const within = stormGuard(1);
    expect(within('logs', 'tick', 100_000)).toBe(true);
    expect(within('logs', 'tick', 100_001)).toBe(false);
    expect(within('logs', 'tick', 40_000)).toBe(true);
  });
});
