/** The client health view: events received per minute by kind, and drops reported by clients by reason. */
import type { HealthResponse } from './api-types.js';
import { bucketOf, bucketsFor, type Query } from './query.js';
import { passes, type Rows } from './rows.js';
import type { IndexData } from './store-index.js';

export function healthView(data: IndexData, query: Query): HealthResponse {
  const { filter } = query;
  // Per minute at least: "events received per minute" needs minute buckets or coarser.
  const buckets = bucketsFor(filter.from, filter.to, 60_000);
  const perMinute = buckets.step / 60_000;
  const tables: [string, Rows][] = [
    ['logs', data.logs],
    ['metrics', data.metrics],
    ['traces', data.traces],
  ];
  // Marks by interned id rather than Sets: one typed-array write per row.
  const sessions = new Uint8Array(data.sessions.size);
  const versions = new Uint8Array(data.versions.size);
  const received = tables.map(([kind, rows]) => {
    const counts = new Array<number>(buckets.count).fill(0);
    let total = 0;
    if (!filter.none) {
      for (let i = 0; i < rows.count; i++) {
        if (!passes(rows, i, filter)) continue;
        total++;
        sessions[rows.session.data[i]!] = 1;
        versions[rows.version.data[i]!] = 1;
        // By arrival, not event time: this chart is about what the server got when.
        const b = bucketOf(buckets, rows.received.data[i]!);
        if (b >= 0 && b < buckets.count) counts[b]!++;
      }
    }
    return { kind, total, perMinute: counts.map((c) => c / perMinute) };
  });

  const drops = data.drops;
  const byReason = new Map<number, { total: number; values: number[] }>();
  if (!filter.none) {
    for (let i = 0; i < drops.count; i++) {
      if (!passes(drops, i, filter)) continue;
      const reason = drops.reason.data[i]!;
      let entry = byReason.get(reason);
      if (!entry)
        byReason.set(reason, (entry = { total: 0, values: new Array<number>(buckets.count).fill(0) }));
      entry.total += drops.amount.data[i]!;
      const b = bucketOf(buckets, drops.t.data[i]!);
      if (b >= 0 && b < buckets.count) entry.values[b]! += drops.amount.data[i]!;
    }
  }
  sessions[0] = 0;
  return {
    buckets,
    received,
    sessions: sessions.reduce((n, mark) => n + mark, 0),
    versions: data.versions.values
      .filter((_, v) => versions[v] === 1)
      .map((v) => v || '(unknown)')
      .sort(),
    drops: [...byReason]
      .map(([reason, entry]) => ({ reason: drops.reasons.values[reason]!, ...entry }))
      .sort((a, b) => b.total - a.total),
    skippedLines: data.skipped,
  };
}
