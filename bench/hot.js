// The hot-path loop, shared by the Node run (bench/node-hot.js) and the Chromium page (bench/page.js):
// no Node or DOM APIs here, and no imports, so the page can load it as is.

/** @typedef {typeof import('../src/telemetry/index.js')} TelemetryModule */
/** @typedef {import('../src/telemetry/index.js').Telemetry} Telemetry */

/**
 * @typedef {object} HotCase
 * @property {string} id
 * @property {'log' | 'metric'} call
 * @property {boolean} enabled
 * @property {boolean} [captureUrl] default true, as in the library
 * @property {boolean} [browserOnly] only meaningful in a page (e.g. captureUrl: there is no location in Node)
 */

/**
 * @typedef {object} HotRun
 * @property {number} calls
 * @property {number} ms
 * @property {number} perSec
 */

/**
 * Options of every hot-path client: no flush, persist or timer fires during a run, and no cap is hit, so
 * a call is measured from the gate to the push onto the memory buffer, with no I/O.
 */
export const HOT_OPTIONS = Object.freeze({
  batchSize: 1e9,
  maxQueuedEvents: 1e9,
  persistDelayMs: 1e9,
  flushIntervalMs: 1e9,
});

export const HOT_ENDPOINT = 'http://127.0.0.1:9/ingest';

/** @type {readonly HotCase[]} */
export const HOT_CASES = [
  { id: 'log-enabled', call: 'log', enabled: true },
  { id: 'metric-enabled', call: 'metric', enabled: true },
  { id: 'log-disabled', call: 'log', enabled: false },
  { id: 'metric-disabled', call: 'metric', enabled: false },
  { id: 'log-enabled-no-url', call: 'log', enabled: true, captureUrl: false, browserOnly: true },
];

/** A transport that answers ok at once and keeps nothing. @type {import('../src/telemetry/index.js').Transport} */
export const okTransport = { send: () => Promise.resolve({ outcome: 'ok', status: 200 }) };

/**
 * @param {TelemetryModule} api
 * @param {HotCase} c
 * @returns {Telemetry}
 */
export function hotClient(api, c) {
  return api.createTelemetry({
    endpoint: HOT_ENDPOINT,
    enabled: c.enabled,
    transport: okTransport,
    outbox: api.memoryOutbox(),
    captureUrl: c.captureUrl !== false,
    ...HOT_OPTIONS,
  });
}

/**
 * The calls under test: a log with a two-key context, a metric with one label (as an app would write them).
 * @param {Telemetry} t
 * @param {'log' | 'metric'} call
 * @param {number} from
 * @param {number} n
 */
function loop(t, call, from, n) {
  const end = from + n;
  if (call === 'log') {
    for (let i = from; i < end; i++) t.log('info', 'Quiz answered', { topic: 'Math', question: i });
  } else {
    for (let i = from; i < end; i++) t.metric('quiz.answer_ms', i, { topic: 'Math' });
  }
}

/**
 * One run: a fresh client, `warmup` untimed calls, then `chunks` timed chunks of `chunkCalls` calls,
 * then shutdown().
 * Between chunks (untimed) the client drops its buffer with optOut() and starts again with optIn(), so
 * the buffer never holds more than one chunk: a long run would otherwise measure the garbage
 * collector copying a buffer no real page keeps (it persists within `persistDelayMs`).
 * @param {TelemetryModule} api
 * @param {HotCase} c
 * @param {{ chunks: number, chunkCalls: number, warmup: number }} plan
 * @returns {HotRun}
 */
export function hotRun(api, c, plan) {
  const t = hotClient(api, c);
  if (t.isEnabled() !== c.enabled) throw new Error(`client enabled=${t.isEnabled()}, expected ${c.enabled}`);
  loop(t, c.call, 0, plan.warmup);
  reset(t);
  let ms = 0;
  for (let k = 0; k < plan.chunks; k++) {
    const t0 = performance.now();
    loop(t, c.call, k * plan.chunkCalls, plan.chunkCalls);
    ms += performance.now() - t0;
    if (c.enabled && t.status().buffered !== plan.chunkCalls) {
      throw new Error(`expected ${plan.chunkCalls} buffered, status says ${t.status().buffered}`);
    }
    reset(t);
  }
  // The buffer is empty after reset(): shutdown() stops the timers without writing an opt-out.
  void t.shutdown();
  const calls = plan.chunks * plan.chunkCalls;
  return { calls, ms, perSec: calls / (ms / 1000) };
}

/**
 * Drops the buffer (optOut clears it and stops timers) and starts a fresh pipeline (optIn). In a
 * browser optIn also removes the stored opt-out.
 * @param {Telemetry} t
 */
function reset(t) {
  t.optOut();
  t.optIn();
}

/**
 * Run sizes: enabled chunks stay at 10,000 buffered calls (a few MB); disabled calls cost nanoseconds,
 * so they get more calls for the same timer precision.
 * @param {HotCase} c
 */
export function planFor(c) {
  return c.enabled
    ? { chunks: 20, chunkCalls: 10_000, warmup: WARMUP_CALLS }
    : { chunks: 20, chunkCalls: 250_000, warmup: WARMUP_CALLS };
}

/** Untimed calls at the start of every run. */
export const WARMUP_CALLS = 20_000;
/** Whole runs done first and discarded (JIT tiers, heap sizing). */
export const HOT_WARMUP_RUNS = 2;
/** Measured runs per case; the median is reported. */
export const HOT_RUNS = 7;

/** @typedef {{ runs: number[], median: number, calls: number }} HotSummary */

/**
 * @param {number[]} values
 * @returns {number}
 */
export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
}
