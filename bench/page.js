// Runs inside the Chromium page (served as is by bench/browser.js, next to the bundled client at
// /telemetry.js): the hot-path loop and the flush measurement. bench/browser.js drives it with
// page.evaluate(() => window.bench...).
import { hotRun, HOT_CASES } from './hot.js';

/** @typedef {import('./hot.js').TelemetryModule} TelemetryModule */
/** @typedef {import('../src/telemetry/index.js').Telemetry} Telemetry */
/** @typedef {{ startTime: number, duration: number }} Task */

/** Events per measured flush. */
export const FLUSH_EVENTS = 1_000;

/**
 * Options of the flush client: real IndexedDB outbox and fetch transport (the defaults); no trigger
 * but flush() (no batch-size, timer or persist flush between the burst and the measured flush), and a
 * cap above the burst so none of the 1,000 events is dropped.
 */
export const FLUSH_OPTIONS = Object.freeze({
  batchSize: 100_000,
  maxQueuedEvents: 100_000,
  // The runs log the same message 1,000 times each, 11,000 times a minute: not a storm to protect from.
  maxRepeatsPerMinute: 1e9,
  persistDelayMs: 600_000,
  flushIntervalMs: 600_000,
});

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @param {TelemetryModule} api
 */
function createBenchApi(api) {
  /** @type {Task[]} */
  const longTasks = [];
  const observer = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) longTasks.push({ startTime: e.startTime, duration: e.duration });
  });
  observer.observe({ type: 'longtask', buffered: true });

  /** @type {Telemetry | null} */
  let flushClient = null;

  /** @param {number} from @param {number} to */
  const tasksIn = (from, to) => longTasks.filter((t) => t.startTime + t.duration > from && t.startTime < to);

  return {
    crossOriginIsolated: globalThis.crossOriginIsolated === true,

    /**
     * @param {string} id a HOT_CASES id
     * @param {{ chunks: number, chunkCalls: number, warmup: number }} plan
     */
    hot(id, plan) {
      const c = HOT_CASES.find((x) => x.id === id);
      if (!c) throw new Error(`no hot case ${id}`);
      const gc = /** @type {{ gc?: () => void }} */ (globalThis).gc;
      gc?.();
      return hotRun(api, c, plan);
    },

    /**
     * A 60 ms busy loop in a page task, to check that the long-task observer reports what it should
     * (it does not see the DevTools task that page.evaluate itself runs in).
     */
    async longTaskProbe() {
      await sleep(0);
      const t0 = performance.now();
      while (performance.now() - t0 < 60) {
        // busy on purpose
      }
      await sleep(300);
      const seen = tasksIn(t0, t0 + 60);
      return seen.length > 0 ? Math.max(...seen.map((t) => t.duration)) : 0;
    },

    /** Creates the flush client and opens its outbox with a small first flush. */
    async flushSetup() {
      flushClient = api.createTelemetry({ endpoint: `${location.origin}/ingest`, ...FLUSH_OPTIONS });
      for (let i = 0; i < 10; i++) flushClient.log('info', 'warm-up', { i });
      await flushClient.flush();
      return flushClient.status();
    },

    /**
     * Buffers FLUSH_EVENTS logs (not part of the flush measurement) and returns how long that took.
     * @param {number} run
     */
    burst(run) {
      const t = flushClient;
      if (!t) throw new Error('flushSetup first');
      const t0 = performance.now();
      for (let i = 0; i < FLUSH_EVENTS; i++) {
        t.log(i % 10 === 0 ? 'warn' : 'info', 'Quiz answered', {
          topic: 'Math',
          run,
          question: i,
          correct: i % 3 !== 0,
          answerMs: 1200 + ((i * 37) % 900),
        });
      }
      return performance.now() - t0;
    },

    /**
     * One measured flush, between the marks `flush-start-<label>` and `flush-end-<label>` (the trace
     * parser in bench/browser.js finds the main-thread tasks between them).
     * @param {string} label
     */
    async flush(label) {
      const t = flushClient;
      if (!t) throw new Error('flushSetup first');
      const before = t.status();
      performance.mark(`flush-start-${label}`);
      const t0 = performance.now();
      await t.flush();
      const t1 = performance.now();
      performance.mark(`flush-end-${label}`);
      const after = t.status();
      // Long-task entries arrive asynchronously.
      await sleep(300);
      const tasks = tasksIn(t0, t1);
      return {
        wallMs: t1 - t0,
        sent: after.sent - before.sent,
        bufferedBefore: before.buffered,
        bufferedAfter: after.buffered,
        queuedAfter: after.queued,
        storage: after.storage,
        lastError: after.lastError,
        longTasks: tasks.length,
        longestLongTaskMs: tasks.length > 0 ? Math.max(...tasks.map((x) => x.duration)) : 0,
      };
    },
  };
}

/** @typedef {ReturnType<typeof createBenchApi>} BenchApi */

/** @param {TelemetryModule} api */
export function setup(api) {
  /** @type {Window & { bench?: BenchApi }} */ (window).bench = createBenchApi(api);
}
