import { afterEach, describe, expect, it } from 'vitest';
import { readSpill, spill, unspill } from '../../src/telemetry/spill.js';
import type { OutboxEntry } from '../../src/telemetry/outbox.js';
import { outboxEntry } from './helpers.js';

afterEach(() => localStorage.clear());

/** An entry with a log, a span and a metric, in that order of recording. */
function mixedEntry(): OutboxEntry {
  const e = outboxEntry(1_000, 'b1', 2);
  e.batch.traces.push({
    timestamp: 1_001,
    traceId: 'a'.repeat(32),
    spanId: 'b'.repeat(16),
    name: 'load',
    duration: 12,
    attributes: { route: '/quiz' },
  });
  e.batch.metrics.push({ timestamp: 1_002, name: 'lcp', value: 1_234.5, labels: { page: '/' } });
  e.batch.dropped = { queue_full: 3 };
  e.batch.anonymousId = 'ab12';
  return e;
}

describe('unload spill', () => {
  it('gives back every entry as it was, items of each kind in order', () => {
    const entries = [mixedEntry(), outboxEntry(2_000, 'b2', 3)];
    const keys = spill(entries);
    expect(keys).toHaveLength(2);
    expect(readSpill().map(([, e]) => e)).toEqual(entries);
    unspill(keys);
    expect(readSpill()).toEqual([]);
  });

  it("writes the caller's JSON of an item instead of serialising it again", () => {
    const e = mixedEntry();
    const log = e.batch.logs[0]!;
    // What the caller measured: the same value, written differently (key order), so the test can tell.
    const measured = JSON.stringify({
      context: log.context,
      message: log.message,
      level: log.level,
      timestamp: log.timestamp,
    });
    spill([e], (item) => (item === log ? measured : undefined));
    const [stored] = Object.values({ ...localStorage }) as string[];
    expect(stored).toContain(measured);
    expect(readSpill()[0]![1]).toEqual(e);
  });

  it('reads an entry spilled whole by an earlier version', () => {
    const e = outboxEntry(3_000, 'old', 2);
    localStorage.setItem(`pwa-telemetry:spill:${e.key}`, JSON.stringify(e));
    expect(readSpill()).toEqual([[`pwa-telemetry:spill:${e.key}`, e]]);
  });

  it('drops a copy it cannot read, and keeps the others', () => {
    const good = outboxEntry(4_000, 'good');
    spill([good]);
    localStorage.setItem('pwa-telemetry:spill:broken', '[{"key":');
    expect(readSpill().map(([, e]) => e)).toEqual([good]);
    expect(localStorage.getItem('pwa-telemetry:spill:broken')).toBeNull();
  });
});
