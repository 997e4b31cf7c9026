// One measurement of the peers bench in one fresh browser context (its own storage) and page: the
// library's set-up timed, then a burst in one task, or calls yielding every 1,000, until every log
// reached the collector or none arrived for QUIET_MS.
import { traceEvents, traceTasks } from '../delivery.js';

/** @typedef {import('./page.js').PeersApi} PeersApi */
/** @typedef {Awaited<ReturnType<typeof import('./collector.js').startCollector>>} Collector */

/** Left to the library after its set-up: first requests, config loads, session start. */
export const SETTLE_MS = 1_000;
/**
 * A library that has not delivered every log is waited for until none arrived for this long: longer
 * than the longest idle flush timer among the peers (Sentry's 5 s for logs).
 */
export const QUIET_MS = 6_000;
export const WAIT_LIMIT_MS = 60_000;

/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const epoch = () => performance.timeOrigin + performance.now();

/**
 * @typedef {object} Measure
 * @property {string} run the collector's run id
 * @property {number} events log() calls made
 * @property {number} initMs the library's set-up on the main thread
 * @property {number} delivered distinct logs that reached the collector
 * @property {number} duplicates logs that arrived more than once
 * @property {number} callMs the burst loop (burst) or the first call to the last chunk's end (yielding)
 * @property {number} loopMs the time inside log() calls only
 * @property {number} mainThreadMs CDP TaskDuration from just before the burst to the last new log's arrival
 * @property {number} lastEventMs wall time from the burst to the last new log's arrival
 * @property {number} burstTaskMs the task that ran the burst loop (trace; burst only)
 * @property {number} longestOtherMs the longest other main-thread task until the end (trace; burst only)
 * @property {string} longestOtherSrc where that task was posted from
 * @property {number} longTasks PerformanceObserver long tasks ≥ 50 ms other than the burst's own
 * @property {number} wireBytes request bodies as sent from the burst to the end
 * @property {number} requests requests that carried events, from the burst to the end
 * @property {boolean} timedOut
 * @property {unknown} status the library's own counters at the end (ours: status())
 */

/**
 * @param {object} a
 * @param {import('@playwright/test').Browser} a.browser
 * @param {Collector} a.collector
 * @param {string} a.lib library id
 * @param {string} a.run collector run id
 * @param {'burst' | 'yielding'} a.mode
 * @param {number} a.events
 * @param {boolean} [a.trace] record a Chromium trace for the longest task
 * @param {number} [a.every] yielding: calls per task
 * @param {number} [a.quietMs] how long no new log may arrive before the library is taken to be done
 * @param {number} [a.firstMs] how long to wait for the first log (default: quietMs)
 * @param {number} [a.settleMs] left to the library after its set-up
 * @returns {Promise<Measure>}
 */
export async function measure({
  browser,
  collector,
  lib,
  run,
  mode,
  events,
  trace = false,
  every = 1_000,
  quietMs = QUIET_MS,
  firstMs = quietMs,
  settleMs = SETTLE_MS,
}) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(collector.pageUrl(lib));
    await page.waitForFunction(() => 'peers' in window);
    /** @type {import('@playwright/test').JSHandle<PeersApi>} */
    const p = await page.evaluateHandle(() => {
      const w = /** @type {Window & { peers?: PeersApi }} */ (window).peers;
      if (!w) throw new Error('bench/peers/page.js did not set window.peers');
      return w;
    });
    const initMs = await p.evaluate((x, base) => x.init(base), collector.base(run));
    await sleep(settleMs);
    const cdp = await context.newCDPSession(page);
    await cdp.send('Performance.enable');
    const taskMs = async () => {
      const { metrics } = await cdp.send('Performance.getMetrics');
      return (metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN) * 1000;
    };
    const before = collector.stats(run);
    const bytes0 = before.wireBytes;
    const requests0 = before.requests;
    if (trace)
      await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing', '__metadata'] });
    const task0 = await taskMs();
    const t0 = epoch();
    let callMs = NaN;
    let loopMs = NaN;
    if (mode === 'burst') {
      await p.evaluate((x, [n, l]) => x.scheduleBurst(n, l), /** @type {const} */ ([events, run]));
    } else {
      const y = await p.evaluate((x, [n, e]) => x.yielding(n, e), /** @type {const} */ ([events, every]));
      callMs = y.wallMs;
      loopMs = y.loopMs;
    }
    // Until every log arrived, or none for quietMs (firstMs before the first); TaskDuration is read whenever a new one arrived.
    let seen = collector.stats(run).bench.size;
    let taskAtLast = seen > 0 ? await taskMs() : task0;
    let timedOut = false;
    for (;;) {
      await sleep(50);
      const s = collector.stats(run);
      if (s.bench.size !== seen) {
        seen = s.bench.size;
        taskAtLast = await taskMs();
      }
      if (seen >= events) break;
      const now = epoch();
      if (Number.isNaN(s.lastBenchAt) ? now - t0 > firstMs : now - s.lastBenchAt > quietMs) break;
      if (now - t0 > WAIT_LIMIT_MS) {
        timedOut = true;
        break;
      }
    }
    if (mode === 'burst') {
      callMs = await p.evaluate((x) => x.burstMs());
      loopMs = callMs;
    }
    const fin = await p.evaluate((x, l) => x.finish(l), run);
    const tasks = trace ? traceTasks(traceEvents(await browser.stopTracing()), run) : undefined;
    const s = collector.stats(run);
    return {
      run,
      events,
      initMs,
      delivered: s.bench.size,
      duplicates: s.benchArrivals - s.bench.size,
      callMs,
      loopMs,
      mainThreadMs: taskAtLast - task0,
      lastEventMs: s.lastBenchAt - t0,
      burstTaskMs: tasks?.ownTaskMs ?? NaN,
      longestOtherMs: tasks?.longestOtherMs ?? NaN,
      longestOtherSrc: tasks?.longestOtherSrc ?? '',
      longTasks: fin.longTasks,
      wireBytes: s.wireBytes - bytes0,
      requests: s.requests - requests0,
      timedOut,
      status: await p.evaluate((x) => x.status()),
    };
  } finally {
    await context.close();
  }
}

/**
 * Whether the library delivers each kind: one log, one metric and one span, then its own flush where
 * it has one; waits until all three arrived or `waitMs` passed.
 * @param {object} a
 * @param {import('@playwright/test').Browser} a.browser
 * @param {Collector} a.collector
 * @param {string} a.lib
 * @param {string} a.run
 * @param {number} a.waitMs
 */
export async function kinds({ browser, collector, lib, run, waitMs }) {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    await page.goto(collector.pageUrl(lib));
    await page.waitForFunction(() => 'peers' in window);
    const t0 = epoch();
    await page.evaluate((base) => {
      const w = /** @type {Window & { peers?: PeersApi }} */ (window).peers;
      w?.init(base);
    }, collector.base(run));
    await sleep(SETTLE_MS);
    await page.evaluate(() => /** @type {Window & { peers?: PeersApi }} */ (window).peers?.kinds());
    const found = () => {
      const n = collector.stats(run).names;
      return {
        log: (n['log:kinds check'] ?? 0) > 0,
        metric: (n['metric:bench_kinds'] ?? 0) > 0,
        span: (n['span:bench.kinds'] ?? 0) > 0,
      };
    };
    while (epoch() - t0 < waitMs) {
      const f = found();
      if (f.log && f.metric && f.span) break;
      await sleep(100);
    }
    return { ...found(), names: collector.stats(run).names, errors: collector.stats(run).errors };
  } finally {
    await context.close();
  }
}
