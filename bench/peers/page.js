// Runs inside each library's Chromium page of the peers bench (served by collector.js at its repository path, next to the
// library's bundle at /lib/<id>.js and bench/delivery-page.js). bench/peers.js drives it through
// window.peers. Every library gets the same calls: the log of bench/delivery-page.js's burst (a
// message and a five-key context, numbered by `question`). Bursts start in their own setTimeout task,
// not in the DevTools task of page.evaluate, so the long-task observer sees them.
import { logBurst } from '../delivery-page.js';

/** @typedef {import('./types.js').Adapter} Adapter */
/** @typedef {(base: string) => Adapter} Start */
/** @typedef {{ startTime: number, duration: number }} Task */

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * logBurst() of the delivery bench, on any library: it only calls `log(level, message, context)`.
 * @param {Adapter} adapter @param {number} from @param {number} n
 */
const burst = (adapter, from, n) =>
  logBurst(
    /** @type {import('../../src/telemetry/index.js').Telemetry} */ (/** @type {unknown} */ (adapter)),
    from,
    n,
    0,
  );

/** @param {Start} start */
function createPeersApi(start) {
  /** @type {Task[]} */
  const longTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ startTime: e.startTime, duration: e.duration });
  }).observe({ type: 'longtask', buffered: true });

  /** @type {Adapter | null} */
  let adapter = null;
  const state = { t0: NaN, t1: NaN };
  const need = () => {
    if (!adapter) throw new Error('init() first');
    return adapter;
  };

  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,

    /**
     * The library's set-up, timed around itself on the main thread (its module is already loaded).
     * @param {string} base the collector's base URL of this run
     */
    init(base) {
      const t0 = performance.now();
      adapter = start(base);
      return performance.now() - t0;
    },

    /** One log, one metric and one span, then the library's own flush where it has one. */
    async kinds() {
      const a = need();
      a.log('info', 'kinds check', { topic: 'Math' });
      a.metric('bench_kinds', 1);
      a.span('bench.kinds', 5);
      await a.flush?.();
    },

    /**
     * Schedules `n` log() calls in one setTimeout task, after the mark `start-<label>`.
     * @param {number} n @param {string} label
     */
    scheduleBurst(n, label) {
      const a = need();
      state.t0 = NaN;
      state.t1 = NaN;
      setTimeout(() => {
        performance.mark(`start-${label}`);
        state.t0 = performance.now();
        burst(a, 0, n);
        state.t1 = performance.now();
      }, 0);
    },

    /** The burst loop's time, once it ran. */
    burstMs: () => state.t1 - state.t0,

    /**
     * `n` log() calls, `every` per task: each chunk in its own setTimeout task, so whatever the library
     * defers runs in between. Wall time from the first call to the end of the last chunk.
     * @param {number} n @param {number} every
     */
    async yielding(n, every) {
      const a = need();
      await sleep(0);
      const t0 = performance.now();
      let loopMs = 0;
      for (let i = 0; i < n; i += every) {
        const c0 = performance.now();
        burst(a, i, Math.min(every, n - i));
        loopMs += performance.now() - c0;
        if (i + every < n) await sleep(0);
      }
      return { wallMs: performance.now() - t0, loopMs };
    },

    /**
     * Ends a measurement: the mark `end-<label>`, then the long tasks ≥ 50 ms seen since the burst
     * started, apart from the burst's own task.
     * @param {string} label
     */
    async finish(label) {
      performance.mark(`end-${label}`);
      const end = performance.now();
      await sleep(300); // long-task entries arrive asynchronously
      const { t0, t1 } = state;
      const seen = longTasks.filter((x) => x.startTime + x.duration > t0 && x.startTime < end);
      const others = seen.filter((x) => !(x.startTime <= t1 && x.startTime + x.duration >= t0));
      return {
        longTasks: others.length,
        longestLongTaskMs: others.length ? Math.max(...others.map((x) => x.duration)) : 0,
      };
    },

    status: () => need().status?.() ?? null,

    /** A 60 ms busy loop in a page task: the long-task observer must report it. */
    async longTaskProbe() {
      await sleep(0);
      const t0 = performance.now();
      while (performance.now() - t0 < 60) {
        // busy on purpose
      }
      await sleep(300);
      const seen = longTasks.filter((x) => x.startTime + x.duration > t0 && x.startTime < t0 + 60);
      return seen.length ? Math.max(...seen.map((x) => x.duration)) : 0;
    },
  };
}

/** @typedef {ReturnType<typeof createPeersApi>} PeersApi */

/** @param {Start} start */
export function setup(start) {
  /** @type {Window & { peers?: PeersApi }} */ (window).peers = createPeersApi(start);
}
