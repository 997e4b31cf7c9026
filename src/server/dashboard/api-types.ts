/** The JSON the dashboard API answers, view by view; the front-end (src/dashboard) reads these types. */

/** A chart's time axis: bucket `i` covers [start + i*step, start + (i+1)*step), epoch ms. */
export interface Buckets {
  start: number;
  step: number;
  count: number;
}

export type Rating = 'good' | 'needs-improvement' | 'poor';

export interface VitalSummary {
  key: 'LCP' | 'INP' | 'CLS' | 'FCP' | 'TTFB';
  metric: string;
  /** 'ms', or '' for CLS (unitless). */
  unit: string;
  /** web.dev: at or under `good` is good; over `poor` is poor. */
  good: number;
  poor: number;
  count: number;
  p75: number | null;
  rating: Rating | null;
  ratings: Record<Rating, number>;
  byVersion: { version: string; count: number; p75: number | null; series: (number | null)[] }[];
  histogram: { edges: number[]; counts: number[] };
}

export interface VitalsResponse {
  buckets: Buckets;
  vitals: VitalSummary[];
}

export interface LogRow {
  time: number;
  level: string;
  message: string;
  session: string;
  version: string;
  context: unknown;
  url: unknown;
  exception: unknown;
  traceId: unknown;
}

export interface LogsResponse {
  buckets: Buckets;
  volume: { level: string; values: number[] }[];
  total: number;
  page: number;
  pageSize: number;
  rows: LogRow[];
}

export interface ErrorGroup {
  type: string;
  message: string;
  frame: string;
  count: number;
  firstSeen: number;
  lastSeen: number;
  sessions: number;
  latest: { time: number; session: string; version: string; url: unknown; stack: string | null };
}

export interface ErrorsResponse {
  buckets: Buckets;
  timeline: number[];
  total: number;
  groupCount: number;
  groups: ErrorGroup[];
}

export interface SpanStats {
  name: string;
  count: number;
  p50: number | null;
  p95: number | null;
  max: number;
  slowestTraceId: string;
}

export interface TracesResponse {
  spans: SpanStats[];
  nameCount: number;
}

export interface WaterfallSpan {
  spanId: string;
  parentSpanId: string | null;
  name: string;
  start: number;
  duration: number;
  status: unknown;
  attributes: unknown;
  session: string;
  depth: number;
  /** Start, ms after the trace's first span started. */
  offset: number;
}

export interface TraceResponse {
  traceId: string;
  start: number;
  duration: number;
  spans: WaterfallSpan[];
}

export interface HealthResponse {
  buckets: Buckets;
  received: { kind: string; total: number; perMinute: number[] }[];
  sessions: number;
  versions: string[];
  drops: { reason: string; total: number; values: number[] }[];
  skippedLines: number;
}

export interface MetaResponse {
  /** Whether the server has a token (the dashboard then needs a login). */
  auth: boolean;
  versions: string[];
  sessions: { id: string; lastSeen: number }[];
  counts: { logs: number; metrics: number; traces: number };
  oldest: number | null;
  newest: number | null;
}
