/** The web vitals view: p75 over time per app version against web.dev's thresholds, and distributions. */
import type { VitalsResponse } from './api-types.js';
import { bucketOf, quantile, sortedOf, type Query } from './query.js';
import { passes } from './rows.js';
import type { IndexData } from './store-index.js';

/** web.dev's thresholds: at or under `good` is good, over `poor` is poor, between needs improvement. */
export const VITALS = [
  { key: 'LCP', metric: 'web_vital_lcp', unit: 'ms', good: 2500, poor: 4000 },
  { key: 'INP', metric: 'web_vital_inp', unit: 'ms', good: 200, poor: 500 },
  { key: 'CLS', metric: 'web_vital_cls', unit: '', good: 0.1, poor: 0.25 },
  { key: 'FCP', metric: 'web_vital_fcp', unit: 'ms', good: 1800, poor: 3000 },
  { key: 'TTFB', metric: 'web_vital_ttfb', unit: 'ms', good: 800, poor: 1800 },
] as const;

export type Rating = 'good' | 'needs-improvement' | 'poor';
const HISTOGRAM_BINS = 20;

export function rate(vital: (typeof VITALS)[number], value: number): Rating {
  return value <= vital.good ? 'good' : value <= vital.poor ? 'needs-improvement' : 'poor';
}

export function vitalsView(data: IndexData, query: Query): VitalsResponse {
  const { filter, buckets } = query;
  const metrics = data.metrics;
  const nameToVital = new Map<number, number>();
  for (const [v, vital] of VITALS.entries()) {
    const id = metrics.names.find(vital.metric);
    if (id !== -1) nameToVital.set(id, v);
  }
  // values[vital][version][bucket]: plain arrays, filled in one pass over the metric rows.
  const values = VITALS.map(() => new Map<number, number[][]>());
  if (!filter.none) {
    for (let i = 0; i < metrics.count; i++) {
      const v = nameToVital.get(metrics.name.data[i]!);
      if (v === undefined || !passes(metrics, i, filter)) continue;
      const version = metrics.version.data[i]!;
      let perBucket = values[v]!.get(version);
      if (!perBucket) values[v]!.set(version, (perBucket = Array.from({ length: buckets.count }, () => [])));
      perBucket[bucketOf(buckets, metrics.t.data[i]!)]?.push(metrics.value.data[i]!);
    }
  }
  return {
    buckets,
    vitals: VITALS.map((vital, v) => {
      const versions = [...values[v]!].sort(([a], [b]) =>
        compareVersions(data.versions.values[a]!, data.versions.values[b]!),
      );
      const all: number[] = [];
      const byVersion = versions.map(([id, perBucket]) => {
        const flat = sortedOf(perBucket.flat());
        for (const value of flat) all.push(value);
        return {
          version: data.versions.values[id] || '(unknown)',
          count: flat.length,
          p75: quantile(flat, 0.75),
          series: perBucket.map((b) => quantile(sortedOf(b), 0.75)),
        };
      });
      const sorted = sortedOf(all);
      const p75 = quantile(sorted, 0.75);
      return {
        ...vital,
        count: sorted.length,
        p75,
        rating: p75 === null ? null : rate(vital, p75),
        ratings: ratings(vital, sorted),
        byVersion,
        histogram: histogram(vital.poor * 2, sorted),
      };
    }),
  };
}

function ratings(vital: (typeof VITALS)[number], sorted: Float64Array): Record<Rating, number> {
  const out = { good: 0, 'needs-improvement': 0, poor: 0 };
  for (const value of sorted) out[rate(vital, value)]++;
  return out;
}

/** Counts in HISTOGRAM_BINS equal bins over [0, max); the last bin also holds everything above. */
function histogram(max: number, sorted: Float64Array): { edges: number[]; counts: number[] } {
  const width = max / HISTOGRAM_BINS;
  const counts = new Array<number>(HISTOGRAM_BINS).fill(0);
  for (const value of sorted) counts[Math.min(HISTOGRAM_BINS - 1, Math.max(0, Math.floor(value / width)))]!++;
  return { edges: counts.map((_, i) => i * width), counts };
}

/** Numeric-aware version order: 1.10.0 after 1.9.0. */
export function compareVersions(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
