import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../../src/telemetry/backoff.js';

const BASE = 2_000;
const MAX = 300_000;
const top = (): number => 0.999999999;

describe('backoffDelay', () => {
  it('grows exponentially from the base: the ceiling doubles per attempt', () => {
    const ceilings = [1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, BASE, MAX, top));
    expect(ceilings).toEqual([2_000, 4_000, 8_000, 16_000, 32_000]);
    const floors = [1, 2, 3, 4, 5].map((attempt) => backoffDelay(attempt, BASE, MAX, () => 0));
    expect(floors).toEqual([1_000, 2_000, 4_000, 8_000, 16_000]);
  });

  it('never exceeds the maximum, however many attempts', () => {
    expect(backoffDelay(9, BASE, MAX, top)).toBe(MAX); // 2000 * 2^8 = 512,000 > max
    expect(backoffDelay(50, BASE, MAX, top)).toBe(MAX);
    expect(backoffDelay(2000, BASE, MAX, top)).toBe(MAX);
    expect(backoffDelay(2000, BASE, MAX, () => 0)).toBe(MAX / 2);
  });

  it('treats attempt 0 or a negative attempt as the first', () => {
    expect(backoffDelay(0, BASE, MAX, () => 0)).toBe(1_000);
    expect(backoffDelay(-3, BASE, MAX, top)).toBe(2_000);
  });

  it('draws the delay within [ceiling/2, ceiling] from the injected random', () => {
    expect(backoffDelay(3, BASE, MAX, () => 0)).toBe(4_000);
    expect(backoffDelay(3, BASE, MAX, () => 0.5)).toBe(6_000);
    expect(backoffDelay(3, BASE, MAX, () => 0.25)).toBe(5_000);
    for (let attempt = 1; attempt <= 12; attempt++) {
      const ceiling = Math.min(MAX, BASE * 2 ** (attempt - 1));
      for (let r = 0; r < 1; r += 0.05) {
        const delay = backoffDelay(attempt, BASE, MAX, () => r);
        expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });

  it('spreads delays: different random draws give different delays', () => {
    const delays = new Set([0, 0.2, 0.4, 0.6, 0.8].map((r) => backoffDelay(4, BASE, MAX, () => r)));
    expect(delays.size).toBe(5);
  });

  it('returns whole milliseconds', () => {
    expect(Number.isInteger(backoffDelay(2, 333, MAX, () => 0.123))).toBe(true);
  });

  it('stays within the cap with the default Math.random', () => {
    for (let i = 0; i < 100; i++) {
      const delay = backoffDelay(6, BASE, MAX);
      expect(delay).toBeGreaterThanOrEqual(32_000);
      expect(delay).toBeLessThanOrEqual(64_000);
    }
  });
});
