/** The traces view: slowest span names (p50/p95), and one trace's spans as a waterfall. */
import type { TraceResponse, TracesResponse } from './api-types.js';
import { str, toMs } from './add-line.js';
import { quantile, sortedOf, type Query } from './query.js';
import { passes } from './rows.js';
import type { StoreIndex } from './store-index.js';

/** @default 50 span names, slowest p95 first */
const MAX_NAMES = 50;
/** Spans read for one waterfall; a runaway trace is cut rather than read whole. */
const MAX_SPANS = 2000;

export function tracesView(index: StoreIndex, query: Query): TracesResponse {
  const data = index.data;
  const traces = data.traces;
  const { filter } = query;
  const byName = new Map<number, { durations: number[]; slowest: number }>();
  if (!filter.none) {
    for (let i = 0; i < traces.count; i++) {
      if (!passes(traces, i, filter)) continue;
      const name = traces.name.data[i]!;
      const duration = traces.duration.data[i]!;
      let entry = byName.get(name);
      if (!entry) byName.set(name, (entry = { durations: [], slowest: i }));
      entry.durations.push(duration);
      if (duration > traces.duration.data[entry.slowest]!) entry.slowest = i;
    }
  }
  const names = [...byName].map(([name, { durations, slowest }]) => {
    const sorted = sortedOf(durations);
    return {
      name: traces.names.values[name]!,
      count: sorted.length,
      p50: quantile(sorted, 0.5),
      p95: quantile(sorted, 0.95),
      max: sorted[sorted.length - 1]!,
      slowestTraceId: traces.traceIds.values[traces.trace.data[slowest]!]!,
    };
  });
  names.sort((a, b) => (b.p95 ?? 0) - (a.p95 ?? 0));
  return { spans: names.slice(0, MAX_NAMES), nameCount: names.length };
}

/** Every stored span of `traceId`, ordered by start, with its depth under its parents. */
export async function traceView(index: StoreIndex, traceId: string): Promise<TraceResponse> {
  const traces = index.data.traces;
  const id = traces.traceIds.find(traceId);
  const rows: number[] = [];
  if (id !== -1 && id < traces.head.length) {
    for (let i = traces.head.data[id]!; i !== -1 && rows.length < MAX_SPANS; i = traces.next.data[i]!)
      rows.push(i);
  }
  const items = await index.items(traces, rows);
  const spans = rows.map((row, n) => {
    const item = items[n] ?? {};
    return {
      spanId: str(item.spanId),
      parentSpanId: typeof item.parentSpanId === 'string' ? item.parentSpanId : null,
      name: traces.names.values[traces.name.data[row]!]!,
      start: toMs(item.timestamp) ?? traces.t.data[row]!,
      duration: traces.duration.data[row]!,
      status: item.status ?? null,
      attributes: item.attributes ?? {},
      session: index.data.sessions.values[traces.session.data[row]!]!,
      depth: 0,
      offset: 0,
    };
  });
  spans.sort((a, b) => a.start - b.start || b.duration - a.duration);
  const start = spans.length ? Math.min(...spans.map((s) => s.start)) : 0;
  const end = spans.length ? Math.max(...spans.map((s) => s.start + s.duration)) : 0;
  const byId = new Map(spans.map((s) => [s.spanId, s]));
  for (const span of spans) {
    span.offset = span.start - start;
    // Depth by walking up the parents that were stored (a parent may be missing: sampled or lost).
    let depth = 0;
    for (let p = byId.get(span.parentSpanId ?? ''); p && depth < 50; p = byId.get(p.parentSpanId ?? ''))
      depth++;
    span.depth = depth;
  }
  return { traceId, start, duration: end - start, spans };
}
