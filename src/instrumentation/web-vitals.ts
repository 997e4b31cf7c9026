import { onCLS, onFCP, onINP, onLCP, onTTFB } from 'web-vitals';
import type { Telemetry } from '../telemetry/client.js';
import { cleanString } from '../telemetry/privacy.js';

/**
 * Core Web Vitals (web-vitals 6: LCP, INP, CLS, FCP, TTFB; FID is gone since v5) as telemetry metrics
 * `web_vital_<name>`, one point per metric id.
 */

/** The fields of a web-vitals metric this module reads (the real metric types are assignable to it). */
export interface VitalMetric {
  name: string;
  value: number;
  rating: string;
  id: string;
  navigationType?: string;
  /** Present when the metric comes from `web-vitals/attribution`. */
  attribution?: unknown;
}

type OnVital = (callback: (metric: VitalMetric) => void) => void;

/** The five `onX` functions: the `web-vitals` module itself, its attribution build, or a test fake. */
export interface WebVitalsSource {
  onLCP: OnVital;
  onINP: OnVital;
  onCLS: OnVital;
  onFCP: OnVital;
  onTTFB: OnVital;
}

/** Options of `trackWebVitals`. */
export interface WebVitalsOptions {
  /**
   * Add a `target` label (a short CSS selector): the LCP element, the INP interaction target, the largest
   * CLS shift source. Loads `web-vitals/attribution` with a dynamic import, so builds that never ask for
   * it do not ship it. Page-wide, the first call decides which build observes (see `trackWebVitals`).
   * @default false
   */
  attribution?: boolean;
  /** Where the `onX` functions come from; tests pass fakes to drive the callbacks. @default the web-vitals module */
  source?: WebVitalsSource;
}

/** A metric as first reported: kept to replay to clients that subscribe later. */
interface Report {
  key: string;
  name: string;
  value: number;
  labels: Record<string, string>;
  target: string | undefined;
}

interface Subscriber {
  telemetry: Telemetry;
  attribution: boolean;
}

interface Hub {
  subscribers: Set<Subscriber>;
  /** Metric keys each client has recorded: the dedupe set. */
  seen: WeakMap<Telemetry, Set<string>>;
  history: Report[];
}

const NAMES: Record<string, string> = {
  LCP: 'web_vital_lcp',
  INP: 'web_vital_inp',
  CLS: 'web_vital_cls',
  FCP: 'web_vital_fcp',
  TTFB: 'web_vital_ttfb',
};
const TARGET_MAX = 80;
// A page has five metrics per navigation plus one set per bfcache restore; more than this is a leak.
const HISTORY_MAX = 50;

/**
 * Page-wide state, on purpose: web-vitals observers are page-wide and cannot be removed, and calling
 * an `onX` function twice registers a second set of observers (PLATFORM.md, web-vitals 6). So each
 * source is registered once per page and every `trackWebVitals` call only subscribes to it.
 */
const hubs = new WeakMap<object, Hub>();
const DEFAULT_SOURCE = {};

/** The part of a selector that identifies the element is its end, so long selectors keep their tail. */
function shortTarget(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  const s = cleanString(value, 1024);
  return s.length > TARGET_MAX ? `…${s.slice(s.length - TARGET_MAX + 1)}` : s;
}

function targetOf(metric: VitalMetric): string | undefined {
  const a = metric.attribution as
    { target?: unknown; interactionTarget?: unknown; largestShiftTarget?: unknown } | null | undefined;
  if (typeof a !== 'object' || a === null) return undefined;
  if (metric.name === 'LCP') return shortTarget(a.target);
  if (metric.name === 'INP') return shortTarget(a.interactionTarget);
  if (metric.name === 'CLS') return shortTarget(a.largestShiftTarget);
  return undefined;
}

function toReport(metric: VitalMetric): Report | undefined {
  const name = NAMES[metric.name];
  if (name === undefined || typeof metric.value !== 'number' || !Number.isFinite(metric.value)) return;
  // CLS is a unitless score where 0.1 is "good"; the others are milliseconds where a fraction is noise.
  const value = metric.name === 'CLS' ? Math.round(metric.value * 1000) / 1000 : Math.round(metric.value);
  const labels: Record<string, string> = { rating: String(metric.rating), id: String(metric.id) };
  if (typeof metric.navigationType === 'string') labels.navigationType = metric.navigationType;
  return { key: `${metric.name}:${metric.id}`, name, value, labels, target: targetOf(metric) };
}

function deliver(hub: Hub, subscriber: Subscriber, report: Report): void {
  let seen = hub.seen.get(subscriber.telemetry);
  if (!seen) hub.seen.set(subscriber.telemetry, (seen = new Set()));
  // web-vitals reports a metric again with the same id on a later hide (CLS, INP and LCP keep changing)
  // and with a new id after a bfcache restore: the first report of an id wins, so hides never double count.
  if (seen.has(report.key)) return;
  seen.add(report.key);
  const labels =
    subscriber.attribution && report.target !== undefined
      ? { ...report.labels, target: report.target }
      : report.labels;
  subscriber.telemetry.metric(report.name, report.value, labels);
}

function dispatch(hub: Hub, metric: VitalMetric): void {
  try {
    const report = toReport(metric);
    if (!report) return;
    if (!hub.history.some((r) => r.key === report.key)) {
      hub.history.push(report);
      if (hub.history.length > HISTORY_MAX) hub.history.shift();
    }
    for (const subscriber of hub.subscribers) {
      try {
        deliver(hub, subscriber, report);
      } catch {
        // One broken client must not cost the others their metric.
      }
    }
  } catch {
    // A callback that throws would surface as an uncaught error in the page.
  }
}

function register(hub: Hub, source: WebVitalsSource): void {
  const callback = (metric: VitalMetric): void => dispatch(hub, metric);
  for (const on of [source.onLCP, source.onINP, source.onCLS, source.onFCP, source.onTTFB]) {
    try {
      on(callback);
    } catch {
      // An environment without the needed observers: that metric is simply not reported.
    }
  }
}

function defaultHub(attribution: boolean): Hub {
  const hub: Hub = { subscribers: new Set(), seen: new WeakMap(), history: [] };
  hubs.set(DEFAULT_SOURCE, hub);
  // web-vitals reads document and performance: nothing to observe during SSR or in a worker.
  if (typeof document === 'undefined') return hub;
  const plain: WebVitalsSource = { onLCP, onINP, onCLS, onFCP, onTTFB };
  if (!attribution) {
    register(hub, plain);
  } else {
    // Dynamic, so only apps that ask for attribution download it. If the chunk fails to load (offline,
    // a deploy replaced it), observe without attribution rather than not at all.
    import('web-vitals/attribution').then(
      (module) => register(hub, module),
      () => register(hub, plain),
    );
  }
  return hub;
}

/**
 * Records web-vitals for `telemetry`. Observers are registered once per page, however often this is
 * called; each client gets each metric id once, including metrics reported before it subscribed.
 *
 * With the default source, the first call decides whether the attribution build observes: a later
 * `attribution: true` after a plain first call gets no `target` labels (registering a second build would
 * double the observers). Call it first with the option you need.
 *
 * A client that is disabled at the time of the call (telemetry off, opted out, not sampled) gets nothing
 * and no observers are registered for it: a disabled client opens no observers (DESIGN.md section 4).
 * Call it after `configure()` / `optIn()`.
 *
 * Returns a function that stops recording for this client. The observers themselves stay: web-vitals
 * offers no way to remove them.
 */
export function trackWebVitals(telemetry: Telemetry, options: WebVitalsOptions = {}): () => void {
  try {
    if (!telemetry.isConfigured()) return () => {};
    const key = options.source ?? DEFAULT_SOURCE;
    let hub = hubs.get(key);
    if (!hub) {
      if (options.source) {
        hub = { subscribers: new Set(), seen: new WeakMap(), history: [] };
        hubs.set(key, hub);
        register(hub, options.source);
      } else {
        hub = defaultHub(options.attribution === true);
      }
    }
    const subscriber: Subscriber = { telemetry, attribution: options.attribution === true };
    const current = hub;
    current.subscribers.add(subscriber);
    for (const report of current.history) deliver(current, subscriber, report);
    return () => {
      current.subscribers.delete(subscriber);
    };
  } catch {
    return () => {};
  }
}
