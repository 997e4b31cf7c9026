/** What every dashboard query shares: reading the filter from the URL, time buckets, quantiles. */
import type { IndexData } from './store-index.js';
import type { RowFilter } from './rows.js';

/** Bucket widths a chart may use, smallest first; the first that gives at most MAX_BUCKETS wins. */
const STEPS = [60_000, 300_000, 900_000, 3_600_000, 10_800_000, 21_600_000, 86_400_000, 604_800_000];
const MAX_BUCKETS = 120;
const DEFAULT_RANGE_MS = 86_400_000;

/** The time axis of a chart: bucket `i` covers [start + i*step, start + (i+1)*step). */
export interface Buckets {
  start: number;
  step: number;
  count: number;
}

export interface Query {
  filter: RowFilter;
  buckets: Buckets;
  params: URLSearchParams;
}

/**
 * `from` and `to` (epoch ms; default: the last 24 hours up to now), `version` and `session` (exact
 * values; absent or empty for all). `from=0` means from the oldest data indexed.
 */
export function parseQuery(params: URLSearchParams, data: IndexData, now: number, minStep = 0): Query {
  const to = number(params.get('to')) ?? now;
  let from = number(params.get('from')) ?? to - DEFAULT_RANGE_MS;
  if (from <= 0) {
    const oldest = Math.min(data.logs.minT, data.metrics.minT, data.traces.minT, data.drops.minT);
    from = Number.isFinite(oldest) ? oldest : to - DEFAULT_RANGE_MS;
  }
  // A range that ends before it starts is empty (a negative bucket count would throw).
  if (from > to) from = to;
  const versionName = params.get('version') ?? '';
  const sessionName = params.get('session') ?? '';
  const version = versionName === '' ? -1 : data.versions.find(versionName);
  const session = sessionName === '' ? -1 : data.sessions.find(sessionName);
  const filter: RowFilter = {
    from,
    to,
    version,
    session,
    none: (versionName !== '' && version === -1) || (sessionName !== '' && session === -1),
  };
  return { filter, buckets: bucketsFor(from, to, minStep), params };
}

export function bucketsFor(from: number, to: number, minStep = 0): Buckets {
  const span = Math.max(1, to - from);
  // Past the widest step (years, or a range typed by hand as 1e20), the step widens with the span:
  // the chart never gets more than MAX_BUCKETS buckets, whatever the URL asks.
  const step =
    STEPS.find((s) => s >= minStep && span / s <= MAX_BUCKETS) ??
    Math.max(STEPS[STEPS.length - 1]!, minStep, Math.ceil(span / MAX_BUCKETS));
  // Aligned to the step (UTC), so buckets do not shift as "now" moves in live mode.
  const start = Math.floor(from / step) * step;
  return { start, step, count: Math.floor((to - start) / step) + 1 };
}

export function bucketOf(buckets: Buckets, t: number): number {
  return Math.floor((t - buckets.start) / buckets.step);
}

/** The `q` quantile (0..1) of ascending `sorted` values, linearly interpolated; null when empty. */
export function quantile(sorted: ArrayLike<number>, q: number): number | null {
  const n = sorted.length;
  if (n === 0) return null;
  const pos = (n - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(n - 1, lo + 1);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export function sortedOf(values: number[]): Float64Array {
  return Float64Array.from(values).sort();
}

function number(value: string | null): number | undefined {
  if (value === null || value === '') return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}
