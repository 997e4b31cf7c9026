// The Chromium part of the bench: bundles the client for the browser (as scripts/size.js does), serves it
// from 127.0.0.1 with a tiny static server that also answers POST /ingest, and measures in a real page:
// hot-path calls per second and the main-thread cost of flushing 1,000 events through IndexedDB + fetch.
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { gunzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { chromium } from '@playwright/test';
import { bundle } from '../scripts/size.js';
import { HOT_CASES, HOT_RUNS, HOT_WARMUP_RUNS, median, planFor } from './hot.js';
import { CHROMIUM_ARGS as BASE_CHROMIUM_ARGS } from '../scripts/chromium.js';
import { FLUSH_EVENTS, FLUSH_OPTIONS } from './page.js';

/** @typedef {import('./page.js').BenchApi} BenchApi */
/** @typedef {import('@playwright/test').JSHandle<BenchApi>} BenchHandle */

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  ...BASE_CHROMIUM_ARGS,
  '--js-flags=--expose-gc',
  // Nothing but 127.0.0.1 resolves: the bench makes no request beyond this machine.
  '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
];
export const FLUSH_RUNS = 7;
export const THROTTLE_RATE = 4;

const HTML = `<!doctype html>
<meta charset="utf-8">
<title>pwa-telemetry bench</title>
<script type="module">
  import * as api from '/telemetry.js';
  import { setup } from '/page.js';
  setup(api);
</script>
`;

/**
 * @typedef {object} Ingested
 * @property {number} requests
 * @property {number} bytes
 * @property {number} logs
 */

/**
 * Serves the page, the bundle and the bench modules; counts what POST /ingest receives.
 * Cross-origin isolation headers give performance.now() 5 µs resolution instead of 100 µs.
 * @param {Record<string, string>} files path → JavaScript source
 */
async function startServer(files) {
  /** @type {Ingested} */
  const ingested = { requests: 0, bytes: 0, logs: 0 };
  const server = createServer((req, res) => {
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    if (req.method === 'POST' && req.url === '/ingest') {
      /** @type {Buffer[]} */
      const chunks = [];
      req.on('data', (/** @type {Buffer} */ c) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks);
        ingested.requests++;
        ingested.bytes += body.length;
        try {
          // The client gzips bodies over 1 KiB (CompressionStream): count the events inside.
          const text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
          /** @type {unknown} */
          const parsed = JSON.parse(new TextDecoder().decode(text));
          const logs = typeof parsed === 'object' && parsed !== null && 'logs' in parsed ? parsed.logs : null;
          ingested.logs += Array.isArray(logs) ? logs.length : 0;
        } catch {
          // counted as bytes only
        }
        res.writeHead(200, { ...headers, 'Content-Type': 'application/json' });
        res.end('{"status":"ok"}');
      });
      return;
    }
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (req.method === 'GET' && path === '/') {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/html; charset=utf-8' });
      res.end(HTML);
      return;
    }
    const js = req.method === 'GET' ? files[path] : undefined;
    if (js !== undefined) {
      res.writeHead(200, { ...headers, 'Content-Type': 'text/javascript; charset=utf-8' });
      res.end(js);
      return;
    }
    res.writeHead(404, headers);
    res.end();
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('server has no port');
  return {
    url: `http://127.0.0.1:${address.port}/`,
    ingested,
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

/**
 * @typedef {object} TraceEvent
 * @property {string} name
 * @property {string} [cat]
 * @property {string} ph
 * @property {number} ts
 * @property {number} [dur]
 * @property {number} pid
 * @property {number} tid
 * @property {{ name?: string }} [args]
 */

// Chromium's trace event for one task of a thread's run loop (older versions: `RunTask`).
const RUN_TASK = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);

/**
 * Main-thread tasks of the page between two user-timing marks, from a Chromium trace: run-loop task
 * events (category `toplevel`) on the renderer's main thread, clipped to the window. The longest task
 * is the whole task's duration, even when it began before the window.
 * @param {TraceEvent[]} events
 * @param {string} startMark
 * @param {string} endMark
 */
export function mainThreadTasks(events, startMark, endMark) {
  const start = events.find((e) => e.name === startMark);
  const end = events.find((e) => e.name === endMark);
  if (!start || !end) throw new Error(`marks ${startMark} / ${endMark} not in the trace`);
  const mainTids = new Set(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .filter((e) => e.pid === start.pid)
      .map((e) => e.tid),
  );
  let busyUs = 0;
  let longestUs = 0;
  let tasks = 0;
  let outerEnd = -Infinity;
  const runTasks = events
    .filter((e) => e.ph === 'X' && RUN_TASK.has(e.name) && e.pid === start.pid && mainTids.has(e.tid))
    .sort((a, b) => a.ts - b.ts);
  for (const e of runTasks) {
    const eEnd = e.ts + (e.dur ?? 0);
    // A task run inside another one (a nested run loop) is already counted in its parent.
    if (eEnd <= outerEnd) continue;
    outerEnd = eEnd;
    const from = Math.max(e.ts, start.ts);
    const to = Math.min(eEnd, end.ts);
    if (to <= from) continue;
    tasks++;
    busyUs += to - from;
    longestUs = Math.max(longestUs, e.dur ?? 0);
  }
  return {
    tasks,
    busyMs: busyUs / 1000,
    longestTaskMs: longestUs / 1000,
    windowMs: (end.ts - start.ts) / 1000,
  };
}

/**
 * @typedef {object} FlushRun
 * @property {number} burstMs
 * @property {number} wallMs
 * @property {number} busyMs
 * @property {number} longestTaskMs
 * @property {number} tasks
 * @property {number} longTasks
 * @property {number} longestLongTaskMs
 * @property {number} sent
 */

/**
 * @param {import('@playwright/test').Browser} browser
 * @param {import('@playwright/test').Page} page
 * @param {BenchHandle} bench
 * @param {string} prefix
 * @returns {Promise<FlushRun[]>}
 */
async function flushRuns(browser, page, bench, prefix) {
  /** @type {{ burstMs: number, flush: Awaited<ReturnType<BenchApi['flush']>> }[]} */
  const raw = [];
  await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing', '__metadata'] });
  for (let i = 0; i < FLUSH_RUNS; i++) {
    const label = `${prefix}-${i}`;
    const burstMs = await bench.evaluate((b, run) => b.burst(run), i);
    const flush = await bench.evaluate((b, l) => b.flush(l), label);
    if (flush.sent !== FLUSH_EVENTS || flush.bufferedAfter !== 0) {
      throw new Error(
        `flush ${label}: sent ${flush.sent}, buffered ${flush.bufferedAfter}: ${flush.lastError}`,
      );
    }
    raw.push({ burstMs, flush });
  }
  const trace = await browser.stopTracing();
  /** @type {unknown} */
  const parsed = JSON.parse(trace.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || !('traceEvents' in parsed)) {
    throw new Error('trace without traceEvents');
  }
  const events = /** @type {TraceEvent[]} */ (parsed.traceEvents);
  return raw.map(({ burstMs, flush }, i) => {
    const main = mainThreadTasks(events, `flush-start-${prefix}-${i}`, `flush-end-${prefix}-${i}`);
    return {
      burstMs,
      wallMs: flush.wallMs,
      busyMs: main.busyMs,
      longestTaskMs: main.longestTaskMs,
      tasks: main.tasks,
      longTasks: flush.longTasks,
      longestLongTaskMs: flush.longestLongTaskMs,
      sent: flush.sent,
    };
  });
}

/**
 * @param {FlushRun[]} runs
 */
function summarizeFlush(runs) {
  return {
    runs,
    medianWallMs: median(runs.map((r) => r.wallMs)),
    medianBusyMs: median(runs.map((r) => r.busyMs)),
    maxBusyMs: Math.max(...runs.map((r) => r.busyMs)),
    medianLongestTaskMs: median(runs.map((r) => r.longestTaskMs)),
    maxLongestTaskMs: Math.max(...runs.map((r) => r.longestTaskMs)),
    longTasks: runs.reduce((n, r) => n + r.longTasks, 0),
    longestLongTaskMs: Math.max(...runs.map((r) => r.longestLongTaskMs)),
    medianBurstMs: median(runs.map((r) => r.burstMs)),
  };
}

export async function runBrowser() {
  const benchDir = fileURLToPath(new URL('.', import.meta.url));
  const files = {
    '/telemetry.js': await bundle('src/telemetry/index.ts', { inline: true }),
    '/hot.js': await readFile(`${benchDir}/hot.js`, 'utf8'),
    '/page.js': await readFile(`${benchDir}/page.js`, 'utf8'),
  };
  const server = await startServer(files);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  /** @type {string[]} */
  const offHost = [];
  try {
    const page = await browser.newPage();
    page.on('request', (r) => {
      if (!r.url().startsWith(server.url)) offHost.push(r.url());
    });
    await page.goto(server.url);
    await page.waitForFunction(() => 'bench' in window);
    /** @type {BenchHandle} */
    const bench = await page.evaluateHandle(() => {
      const b = /** @type {Window & { bench?: BenchApi }} */ (window).bench;
      if (!b) throw new Error('bench/page.js did not set window.bench');
      return b;
    });
    const isolated = await bench.evaluate((b) => b.crossOriginIsolated);

    /** @type {Record<string, import('./hot.js').HotSummary>} */
    const hot = {};
    for (const c of HOT_CASES) {
      /** @type {number[]} */
      const runs = [];
      let calls = 0;
      const plan = planFor(c);
      for (let i = 0; i < HOT_WARMUP_RUNS + HOT_RUNS; i++) {
        const r = await bench.evaluate((b, [id, p]) => b.hot(id, p), /** @type {const} */ ([c.id, plan]));
        if (i < HOT_WARMUP_RUNS) continue;
        runs.push(r.perSec);
        calls = r.calls;
      }
      hot[c.id] = { runs, median: median(runs), calls };
    }

    const probeMs = await bench.evaluate((b) => b.longTaskProbe());
    const setup = await bench.evaluate((b) => b.flushSetup());
    if (setup.storage !== 'indexeddb') throw new Error(`flush client uses ${setup.storage}, not IndexedDB`);
    const flush = summarizeFlush(await flushRuns(browser, page, bench, 'normal'));

    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE_RATE });
    const throttled = summarizeFlush(await flushRuns(browser, page, bench, 'throttled'));
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });

    return {
      version: browser.version(),
      crossOriginIsolated: isolated,
      hot,
      longTaskProbeMs: probeMs,
      flushOptions: FLUSH_OPTIONS,
      flushEvents: FLUSH_EVENTS,
      flush,
      throttled,
      throttleRate: THROTTLE_RATE,
      ingested: { ...server.ingested },
      offHostRequests: offHost,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}
