/** The web vitals view: p75 over time per app version against web.dev's thresholds, and distributions. */
import type { Rating, VitalsResponse, VitalSummary } from './api-types.js';
import { bucketOf, type Buckets, type Query } from './query.js';
import { i32, type Column } from './columns.js';
import { passes } from './rows.js';
import { quantileIn } from './select.js';
import type { IndexData } from './store-index.js';

/** web.dev's thresholds: at or under `good` is good, over `poor` is poor, between needs improvement. */
export const VITALS = [
  { key: 'LCP', metric: 'web_vital_lcp', unit: 'ms', good: 2500, poor: 4000 },
  { key: 'INP', metric: 'web_vital_inp', unit: 'ms', good: 200, poor: 500 },
  { key: 'CLS', metric: 'web_vital_cls', unit: '', good: 0.1, poor: 0.25 },
  { key: 'FCP', metric: 'web_vital_fcp', unit: 'ms', good: 1800, poor: 3000 },
  { key: 'TTFB', metric: 'web_vital_ttfb', unit: 'ms', good: 800, poor: 1800 },
] as const;

type Vital = (typeof VITALS)[number];
const HISTOGRAM_BINS = 20;

export function rate(vital: Vital, value: number): Rating {
  return value <= vital.good ? 'good' : value <= vital.poor ? 'needs-improvement' : 'poor';
}

export function vitalsView(data: IndexData, query: Query): VitalsResponse {
  const { filter, buckets } = query;
  const metrics = data.metrics;
  // Metric name id → vital index, dense, so the per-row lookup is an array read.
  const vitalOf = new Int8Array(metrics.names.size).fill(-1);
  for (const [v, vital] of VITALS.entries()) {
    const id = metrics.names.find(vital.metric);
    if (id !== -1) vitalOf[id] = v;
  }
  // The rows of each vital that pass the filter, as typed arrays (no boxed numbers per sample).
  const rows = VITALS.map(() => i32());
  if (!filter.none) {
    for (let i = 0; i < metrics.count; i++) {
      const v = vitalOf[metrics.name.data[i]!]!;
      if (v !== -1 && passes(metrics, i, filter)) rows[v]!.push(i);
    }
  }
  return { buckets, vitals: VITALS.map((vital, v) => summarise(data, vital, rows[v]!, buckets)) };
}

function summarise(data: IndexData, vital: Vital, rows: Column<Int32Array>, buckets: Buckets): VitalSummary {
  const metrics = data.metrics;
  const n = rows.length;
  const all = new Float64Array(n);
  for (let k = 0; k < n; k++) all[k] = metrics.value.data[rows.data[k]!]!;
  const ratings = { good: 0, 'needs-improvement': 0, poor: 0 };
  const width = (vital.poor * 2) / HISTOGRAM_BINS;
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const value of all) {
    ratings[value <= vital.good ? 'good' : value <= vital.poor ? 'needs-improvement' : 'poor']++;
    counts[Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(value / width)))]!++;
  }
  const p75 = quantileIn(all, 0, n, 0.75);

  // Group samples by (version, bucket) with a counting sort into one array, then select per segment.
  const seen = new Uint8Array(data.versions.size);
  for (let k = 0; k < n; k++) seen[metrics.version.data[rows.data[k]!]!] = 1;
  const versionIds = [...seen.keys()]
    .filter((id) => seen[id] === 1)
    .sort((a, b) => compareVersions(data.versions.values[a]!, data.versions.values[b]!));
  const slot = new Int32Array(data.versions.size).fill(-1);
  for (const [k, id] of versionIds.entries()) slot[id] = k;
  const groups = versionIds.length * buckets.count;
  const keys = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const row = rows.data[k]!;
    keys[k] = slot[metrics.version.data[row]!]! * buckets.count + bucketOf(buckets, metrics.t.data[row]!);
  }
  const starts = new Int32Array(groups + 1);
  for (let k = 0; k < n; k++) starts[keys[k]! + 1]!++;
  for (let g = 0; g < groups; g++) starts[g + 1]! += starts[g]!;
  const grouped = new Float64Array(n);
  const fill = starts.slice(0, groups);
  for (let k = 0; k < n; k++) grouped[fill[keys[k]!]!++] = metrics.value.data[rows.data[k]!]!;

  const byVersion = versionIds.map((id, k) => {
    const lo = starts[k * buckets.count]!;
    const hi = starts[(k + 1) * buckets.count]!;
    const series: (number | null)[] = [];
    for (let b = 0; b < buckets.count; b++) {
      const g = k * buckets.count + b;
      series.push(quantileIn(grouped, starts[g]!, starts[g + 1]!, 0.75));
    }
    // The per-bucket selections only reorder within buckets: the version's segment is still its own.
    return {
      version: data.versions.values[id] || '(unknown)',
      count: hi - lo,
      p75: quantileIn(grouped, lo, hi, 0.75),
      series,
    };
  });
  return {
    ...vital,
    count: n,
    p75,
    rating: p75 === null ? null : rate(vital, p75),
    ratings,
    byVersion,
    histogram: { edges: counts.map((_, i) => i * width), counts },
  };
}

/** Numeric-aware version order: 1.10.0 after 1.9.0. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
