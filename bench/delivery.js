// Delivery under load, in one Chromium run (issue 6): `npm run bench:delivery` (node bench/delivery.js).
//   1. createTelemetry() on the main thread, 5 fresh pages
//   2. bursts of 1k / 10k / 100k log() calls in one task, until delivered (100k with the default cap and raised)
//   3. flush() of 200,000 buffered events
//   4. outbox append / claim / settle at 10 and 10,000 queued batches (real IndexedDB)
//   5. request bytes per event for 1,000 logs, gzip on and off
// The client is bundled for the browser (scripts/size.js `bundle()`), served from 127.0.0.1 with a
// stand-in for POST /ingest that decodes gzip, counts events, requests and bytes, and dedupes by batchId.
// BENCH_SMOKE=1: tiny sizes, one run, no BENCHMARKS.md write, exits 1 if delivery broke (for CI).
// bench/run.js (npm run bench) calls runDelivery() and renders deliveryMarkdown() into BENCHMARKS.md.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { chromium } from '@playwright/test';
import { bundle, shippedSize } from '../scripts/size.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.js';

/** @typedef {import('./delivery-page.js').DeliveryApi} DeliveryApi */
/** @typedef {import('@playwright/test').JSHandle<DeliveryApi>} DeliveryHandle */
/** @typedef {import('../src/telemetry/index.js').TelemetryStatus} TelemetryStatus */

export const SECTION_TITLE = '## Delivery under load (Chromium)';
const SMOKE = process.env.BENCH_SMOKE === '1';
const WAIT_LIMIT_MS = 60_000;
/** Left to a new client before measuring: its first drain opens IndexedDB. */
const SETTLE_MS = SMOKE ? 200 : 500;

/** Sizes of a full run and of the smoke run. */
export const PLAN = SMOKE
  ? {
      startupPages: 1,
      bursts: [1_000],
      bigBurst: 2_000,
      flushEvents: 5_000,
      outboxSizes: [10, 200],
      outboxReps: 3,
      outboxWarmup: 1,
      bytesEvents: 1_000,
      trickleEvents: 200,
      hideEvents: 1_000,
      hidePages: 1,
    }
  : {
      startupPages: 5,
      bursts: [1_000, 10_000],
      bigBurst: 100_000,
      flushEvents: 200_000,
      outboxSizes: [10, 10_000],
      outboxReps: 60,
      outboxWarmup: 3,
      bytesEvents: 1_000,
      trickleEvents: 1_000,
      hideEvents: 10_000,
      hidePages: 5,
    };

/** Options of the flush client: nothing happens until flush(), and no cap is reached. */
export const FLUSH_OPTIONS = Object.freeze({
  maxQueuedEvents: 300_000,
  maxQueuedBytes: 512 * 2 ** 20,
  // Storm protection (same message past this many a minute) would otherwise keep 10,000 of them.
  maxRepeatsPerMinute: 300_000,
  batchSize: 1e9,
  persistDelayMs: 1e9,
  flushIntervalMs: 1e9,
});

const HTML = `<!doctype html>
<meta charset="utf-8">
<title>pwa-telemetry delivery bench</title>
<script type="module">
  import * as api from '/telemetry.js';
  import * as outbox from '/outbox.js';
  import { setup } from '/delivery-page.js';
  setup(api, outbox);
</script>
`;

/** Epoch ms with Node's high-resolution clock (comparable with the page's timeOrigin + now()). */
const epoch = () => performance.timeOrigin + performance.now();
/** @param {number} ms */
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * @typedef {object} RunStats what POST /ingest?run=<id> received
 * @property {number} requests
 * @property {number} gzipRequests
 * @property {number} wireBytes request bodies as sent (gzip when encoded)
 * @property {number} jsonBytes request bodies decoded
 * @property {number} events events in every request
 * @property {number} stored events in batches seen for the first time (the server stores each batchId once)
 * @property {number} duplicateBatches
 * @property {number} duplicateEvents
 * @property {Record<string, number>} dropped drop reports in stored envelopes, by reason
 * @property {number} badRequests bodies that could not be decoded
 * @property {number} lastStoredAt epoch ms when the last new event arrived
 * @property {Set<string>} batchIds
 */

/** @returns {RunStats} */
const emptyRun = () => ({
  requests: 0,
  gzipRequests: 0,
  wireBytes: 0,
  jsonBytes: 0,
  events: 0,
  stored: 0,
  duplicateBatches: 0,
  duplicateEvents: 0,
  dropped: {},
  badRequests: 0,
  lastStoredAt: NaN,
  batchIds: new Set(),
});

/**
 * Serves the page and the bundles; POST /ingest?run=<id> is the ingest stand-in, counted per run.
 * Cross-origin isolation gives performance.now() 5 µs resolution.
 * @param {Record<string, string>} files
 */
async function startServer(files) {
  /** @type {Map<string, RunStats>} */
  const runs = new Map();
  const headers = {
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Embedder-Policy': 'require-corp',
    'Cache-Control': 'no-store',
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    if (req.method === 'POST' && url.pathname === '/ingest') {
      const id = url.searchParams.get('run') ?? '';
      const r = runs.get(id) ?? emptyRun();
      runs.set(id, r);
      /** @type {Buffer[]} */
      const chunks = [];
      req.on('data', (/** @type {Buffer} */ c) => chunks.push(c));
      req.on('end', () => {
        const wire = Buffer.concat(chunks);
        r.requests++;
        r.wireBytes += wire.length;
        try {
          const gz = req.headers['content-encoding'] === 'gzip';
          if (gz) r.gzipRequests++;
          const text = (gz ? gunzipSync(wire) : wire).toString('utf8');
          r.jsonBytes += Buffer.byteLength(text);
          /** @type {unknown} */
          const parsed = JSON.parse(text);
          const body = /** @type {Record<string, unknown>} */ (parsed);
          let n = 0;
          for (const kind of ['logs', 'metrics', 'traces']) {
            const list = body[kind];
            if (Array.isArray(list)) n += list.length;
          }
          r.events += n;
          const batchId = String(body.batchId);
          if (r.batchIds.has(batchId)) {
            r.duplicateBatches++;
            r.duplicateEvents += n;
          } else {
            r.batchIds.add(batchId);
            r.stored += n;
            if (n > 0) r.lastStoredAt = epoch();
            const dropped = body.dropped;
            if (typeof dropped === 'object' && dropped !== null) {
              for (const [k, v] of Object.entries(dropped)) {
                if (typeof v === 'number') r.dropped[k] = (r.dropped[k] ?? 0) + v;
              }
            }
          }
        } catch {
          r.badRequests++;
        }
        res.writeHead(200, { ...headers, 'Content-Type': 'application/json' });
        res.end('{"status":"ok"}');
      });
      return;
    }
    const path = url.pathname;
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
  const origin = `http://127.0.0.1:${address.port}`;
  return {
    url: `${origin}/`,
    /** @param {string} id */
    endpoint: (id) => `${origin}/ingest?run=${encodeURIComponent(id)}`,
    /** @param {string} id */
    stats: (id) => runs.get(id) ?? emptyRun(),
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}

/**
 * @typedef {object} TraceEvent
 * @property {string} name
 * @property {string} ph
 * @property {number} ts
 * @property {number} [dur]
 * @property {number} [tdur] thread (CPU) time of the task
 * @property {number} pid
 * @property {number} tid
 * @property {{ name?: string, src_func?: string }} [args]
 */

const RUN_TASK = new Set(['ThreadControllerImpl::RunTask', 'RunTask']);

/**
 * The page's main-thread tasks between the marks start-<label> and end-<label>: the busy time, and the
 * longest task apart from the one that ran the burst loop or the flush() call (the caller's own task).
 * @param {TraceEvent[]} events
 * @param {string} label
 */
export function traceTasks(events, label) {
  const start = events.find((e) => e.name === `start-${label}`);
  const end = events.find((e) => e.name === `end-${label}`);
  if (!start || !end) throw new Error(`marks of ${label} not in the trace`);
  const mainTids = new Set(
    events
      .filter((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain')
      .filter((e) => e.pid === start.pid)
      .map((e) => e.tid),
  );
  const tasks = events
    .filter((e) => e.ph === 'X' && RUN_TASK.has(e.name) && e.pid === start.pid && mainTids.has(e.tid))
    .sort((a, b) => a.ts - b.ts);
  let busyUs = 0;
  let longestUs = 0;
  let longestCpuUs = 0;
  let longestSrc = '';
  let maxCpuUs = 0;
  let cpuUs = 0;
  let ownUs = 0;
  let ownCpuUs = 0;
  let count = 0;
  let outerEnd = -Infinity;
  for (const e of tasks) {
    const eEnd = e.ts + (e.dur ?? 0);
    if (eEnd <= outerEnd) continue; // nested run loop: counted in its parent
    outerEnd = eEnd;
    const from = Math.max(e.ts, start.ts);
    const to = Math.min(eEnd, end.ts);
    if (to <= from) continue;
    count++;
    busyUs += to - from;
    // CPU (thread) time, the share of the task inside the window.
    cpuUs += ((e.tdur ?? 0) * (to - from)) / Math.max(1, e.dur ?? 0);
    if (e.ts <= start.ts && eEnd >= start.ts) {
      if ((e.dur ?? 0) > ownUs) ownCpuUs = e.tdur ?? NaN;
      ownUs = Math.max(ownUs, e.dur ?? 0);
      continue;
    }
    if ((e.dur ?? 0) > longestUs) {
      longestUs = e.dur ?? 0;
      longestCpuUs = e.tdur ?? NaN;
      longestSrc = e.args?.src_func ?? '';
    }
    maxCpuUs = Math.max(maxCpuUs, e.tdur ?? 0);
  }
  return {
    tasks: count,
    busyMs: busyUs / 1000,
    cpuMs: cpuUs / 1000,
    ownTaskMs: ownUs / 1000,
    ownTaskCpuMs: ownCpuUs / 1000,
    longestOtherMs: longestUs / 1000,
    longestOtherCpuMs: longestCpuUs / 1000,
    longestOtherSrc: longestSrc,
    maxOtherCpuMs: maxCpuUs / 1000,
  };
}

/** @param {Buffer} trace */
export function traceEvents(trace) {
  /** @type {unknown} */
  const parsed = JSON.parse(trace.toString('utf8'));
  if (typeof parsed !== 'object' || parsed === null || !('traceEvents' in parsed)) {
    throw new Error('trace without traceEvents');
  }
  return /** @type {TraceEvent[]} */ (parsed.traceEvents);
}

/** @param {TelemetryStatus['dropped']} d */
const dropTotal = (d) => Object.values(d).reduce((n, v) => n + v, 0);

/**
 * @typedef {object} Delivery one burst or flush, until delivered
 * @property {string} id
 * @property {number} events logged
 * @property {Record<string, number | boolean>} options
 * @property {number} stored events the server stored (deduped by batchId)
 * @property {number} duplicateEvents
 * @property {number} duplicateBatches
 * @property {Record<string, number>} dropped status().dropped, non-zero reasons only
 * @property {Record<string, number>} reported drop counts that reached the server in envelopes
 * @property {boolean} complete every event stored or counted as dropped, nothing left in the client
 * @property {boolean} timedOut
 * @property {number} wallMs start of the burst (or flush) → last new event stored
 * @property {number} callMs the burst loop (or the flush() call) itself
 * @property {number} flushMs flush() resolved (flush only)
 * @property {number} taskDurationMs CDP Performance.getMetrics TaskDuration, after − before
 * @property {number} traceBusyMs main-thread tasks between the marks (trace)
 * @property {number} ownTaskMs the task that ran the burst loop (trace)
 * @property {number} ownTaskCpuMs its CPU (thread) time
 * @property {number} cpuMs main-thread CPU (thread) time between the marks (trace)
 * @property {number} longestOtherMs longest other main-thread task, wall time (trace)
 * @property {number} longestOtherCpuMs that task's thread (CPU) time
 * @property {string} longestOtherSrc where that task was posted from (trace `src_func`)
 * @property {number} maxOtherCpuMs most thread (CPU) time of any other task
 * @property {number} longTasks long tasks ≥ 50 ms other than the burst's own (PerformanceObserver)
 * @property {number} longestLongTaskMs
 * @property {number} requests
 * @property {number} wireBytes
 * @property {TelemetryStatus} status
 */

/**
 * Opens a fresh context (its own storage) and page with the delivery API.
 * @param {import('@playwright/test').Browser} browser
 * @param {string} url
 * @param {string[]} offHost
 */
async function freshPage(browser, url, offHost) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('request', (r) => {
    if (!r.url().startsWith(url)) offHost.push(r.url());
  });
  await page.goto(url);
  await page.waitForFunction(() => 'delivery' in window);
  /** @type {DeliveryHandle} */
  const d = await page.evaluateHandle(() => {
    const w = /** @type {Window & { delivery?: DeliveryApi }} */ (window).delivery;
    if (!w) throw new Error('bench/delivery-page.js did not set window.delivery');
    return w;
  });
  const cdp = await context.newCDPSession(page);
  await cdp.send('Performance.enable');
  const taskSeconds = async () => {
    const { metrics } = await cdp.send('Performance.getMetrics');
    return metrics.find((m) => m.name === 'TaskDuration')?.value ?? NaN;
  };
  return { context, page, d, taskSeconds };
}

/**
 * Items 2 and 3: one burst (or flush) in a fresh page, then waits until every event is stored by the
 * server or counted as dropped, and nothing is left in the client, for at most WAIT_LIMIT_MS.
 * @param {object} a
 * @param {import('@playwright/test').Browser} a.browser
 * @param {Awaited<ReturnType<typeof startServer>>} a.server
 * @param {string[]} a.offHost
 * @param {string} a.id
 * @param {number} a.events
 * @param {Record<string, number | boolean>} a.options
 * @param {'burst' | 'flush' | 'trickle'} a.mode
 * @returns {Promise<Delivery>}
 */
async function deliver({ browser, server, offHost, id, events, options, mode }) {
  const { context, page, d, taskSeconds } = await freshPage(browser, server.url, offHost);
  try {
    const endpoint = server.endpoint(id);
    const enabled = await d.evaluate((x, o) => x.start(o), { endpoint, ...options });
    if (!enabled) throw new Error(`${id}: client not enabled`);
    // The first drain (after creation) opens IndexedDB; let it finish before measuring.
    await sleep(SETTLE_MS);
    if (mode === 'flush') {
      const s = await d.evaluate((x, n) => x.bufferQuietly(n), events);
      if (s.buffered !== events)
        throw new Error(`${id}: ${s.buffered} buffered of ${events}: ${JSON.stringify(s)}`);
      await sleep(500);
    }
    await browser.startTracing(page, { categories: ['toplevel', 'blink.user_timing', '__metadata'] });
    const before = await taskSeconds();
    if (mode === 'flush') await d.evaluate((x, l) => x.scheduleFlush(l), id);
    else if (mode === 'trickle')
      await d.evaluate((x, [n, l]) => x.scheduleTrickle(n, 10, 20, l), /** @type {const} */ ([events, id]));
    else await d.evaluate((x, [n, l]) => x.scheduleBurst(n, l), /** @type {const} */ ([events, id]));
    const t0 = performance.now();
    let timedOut = false;
    let lastStatus = 0;
    for (;;) {
      await sleep(50);
      const stats = server.stats(id);
      const waited = performance.now() - t0;
      if (waited > WAIT_LIMIT_MS) {
        timedOut = true;
        break;
      }
      // status() costs the page a small DevTools task: ask only when the server count says done, or every 500 ms.
      const maybeDone = stats.stored >= events || waited - lastStatus > 500;
      if (!maybeDone) continue;
      lastStatus = waited;
      const s = await d.evaluate((x) => x.status());
      const idle = s.started && s.buffered === 0 && s.queued === 0 && s.inFlight === 0;
      const flushed = mode !== 'flush' || s.flushed;
      if (idle && flushed && stats.stored + dropTotal(s.dropped) >= events) break;
    }
    const after = await taskSeconds();
    const fin = await d.evaluate((x, l) => x.finish(l), id);
    const trace = traceTasks(traceEvents(await browser.stopTracing()), id);
    const stats = server.stats(id);
    const dropped = Object.fromEntries(Object.entries(fin.status.dropped).filter(([, v]) => v > 0));
    return {
      id,
      events,
      options,
      stored: stats.stored,
      duplicateEvents: stats.duplicateEvents,
      duplicateBatches: stats.duplicateBatches,
      dropped,
      reported: { ...stats.dropped },
      complete: stats.stored + dropTotal(fin.status.dropped) === events && !timedOut,
      timedOut,
      wallMs: stats.lastStoredAt - fin.startEpoch,
      callMs: fin.callMs,
      flushMs: fin.flushMs,
      taskDurationMs: (after - before) * 1000,
      traceBusyMs: trace.busyMs,
      ownTaskMs: trace.ownTaskMs,
      ownTaskCpuMs: trace.ownTaskCpuMs,
      cpuMs: trace.cpuMs,
      longestOtherMs: trace.longestOtherMs,
      longestOtherCpuMs: trace.longestOtherCpuMs,
      longestOtherSrc: trace.longestOtherSrc,
      maxOtherCpuMs: trace.maxOtherCpuMs,
      longTasks: fin.longTasks,
      longestLongTaskMs: fin.longestLongTaskMs,
      requests: stats.requests,
      wireBytes: stats.wireBytes,
      status: fin.status,
    };
  } finally {
    await context.close();
  }
}

/** @param {number[]} values */
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};

/** The commit the client was bundled from, and whether src/ had uncommitted changes (read-only git). */
function sourceVersion() {
  try {
    const git = (/** @type {string[]} */ ...args) =>
      execFileSync('git', args, {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
      }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src') ? `${commit} with uncommitted changes in src/` : commit;
  } catch {
    return 'unknown';
  }
}

function cpuModel() {
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    return line?.split(':')[1]?.trim() ?? os.cpus()[0]?.model ?? 'unknown';
  } catch {
    return os.cpus()[0]?.model ?? 'unknown';
  }
}

/**
 * Bytes per event (item 5): 1,000 logs in one task with default options but `compress`, until delivered.
 * @param {Parameters<typeof deliver>[0]} a
 */
async function bytesRun(a) {
  const r = await deliver(a);
  const s = a.server.stats(a.id);
  return {
    pattern: a.mode === 'trickle' ? '10 per task, every 20 ms' : 'all in one task',
    compress: a.options.compress !== false,
    unpaced: a.options.minBatchIntervalMs === 0,
    events: a.events,
    stored: r.stored,
    requests: s.requests,
    gzipRequests: s.gzipRequests,
    wireBytes: s.wireBytes,
    jsonBytes: s.jsonBytes,
    perEvent: s.wireBytes / Math.max(1, r.stored),
    jsonPerEvent: s.jsonBytes / Math.max(1, r.stored),
  };
}

/** Runs every delivery measurement in one Chromium. */
export async function runDelivery() {
  const started = new Date();
  const source = sourceVersion();
  const loadStart = os.loadavg();
  const t0 = performance.now();
  const benchDir = fileURLToPath(new URL('.', import.meta.url));
  const files = {
    '/telemetry.js': await bundle('src/telemetry/index.ts', { inline: true }),
    '/outbox.js': await bundle('bench/delivery-outbox.ts'),
    '/delivery-page.js': await readFile(`${benchDir}/delivery-page.js`, 'utf8'),
  };
  const server = await startServer(files);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  /** @type {string[]} */
  const offHost = [];
  const common = { browser, server, offHost };
  try {
    /** @param {string} what */
    const step = (what) =>
      console.log(`delivery: ${what} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);

    step('createTelemetry() in fresh pages');
    /** @type {number[]} */
    const startup = [];
    /** @type {number[]} */
    const startupWarm = [];
    let isolated = false;
    let probeMs = 0;
    for (let i = 0; i < PLAN.startupPages; i++) {
      const { context, d } = await freshPage(browser, server.url, offHost);
      const r = await d.evaluate((x, e) => x.createTimed(e), server.endpoint('startup'));
      if (!r.enabled) throw new Error('startup client not enabled');
      startup.push(r.ms);
      startupWarm.push(r.warmMs);
      if (i === 0) {
        isolated = await d.evaluate((x) => x.crossOriginIsolated);
        probeMs = await d.evaluate((x) => x.longTaskProbe());
      }
      await context.close();
    }

    /** @typedef {{ n: number, options: Record<string, number>, what: string, id: string }} BurstCase */
    /** @type {BurstCase[]} */
    const allBursts = [
      ...PLAN.bursts.map((n) => ({ n, options: {}, what: 'defaults', id: `burst-${n}` })),
      { n: PLAN.bigBurst, options: {}, what: 'defaults', id: `burst-${PLAN.bigBurst}` },
      {
        n: PLAN.bigBurst,
        options: { maxQueuedEvents: 2 * PLAN.bigBurst },
        what: 'maxQueuedEvents raised',
        id: `burst-${PLAN.bigBurst}-raised`,
      },
      {
        n: PLAN.bigBurst,
        options: { maxQueuedEvents: 2 * PLAN.bigBurst, maxRepeatsPerMinute: 2 * PLAN.bigBurst },
        what: 'maxQueuedEvents and maxRepeatsPerMinute raised',
        id: `burst-${PLAN.bigBurst}-raised-storm`,
      },
      {
        n: PLAN.bigBurst,
        options: {
          maxQueuedEvents: 2 * PLAN.bigBurst,
          maxRepeatsPerMinute: 2 * PLAN.bigBurst,
          maxQueuedBytes: 64 * 2 ** 20,
        },
        what: 'maxQueuedEvents, maxRepeatsPerMinute and maxQueuedBytes raised',
        id: `burst-${PLAN.bigBurst}-raised-all`,
      },
    ];
    const burstCases = allBursts.filter((c) => !SMOKE || Object.keys(c.options).length === 0);
    /** @type {Delivery[]} */
    const bursts = [];
    for (const c of burstCases) {
      step(`burst of ${c.n}, ${c.what}`);
      bursts.push(await deliver({ ...common, id: c.id, events: c.n, options: c.options, mode: 'burst' }));
    }

    step(`flush of ${PLAN.flushEvents}`);
    const flush = await deliver({
      ...common,
      id: 'flush',
      events: PLAN.flushEvents,
      options: { ...FLUSH_OPTIONS },
      mode: 'flush',
    });

    step('bytes per event');
    /** @type {{ id: string, events: number, options: Record<string, boolean | number>, mode: 'burst' | 'trickle' }[]} */
    const byteCases = [
      { id: 'bytes-gzip', events: PLAN.bytesEvents, options: {}, mode: 'burst' },
      { id: 'bytes-plain', events: PLAN.bytesEvents, options: { compress: false }, mode: 'burst' },
      { id: 'trickle-gzip', events: PLAN.trickleEvents, options: {}, mode: 'trickle' },
      { id: 'trickle-plain', events: PLAN.trickleEvents, options: { compress: false }, mode: 'trickle' },
      // Unpaced: one send per batchSize events, as before minBatchIntervalMs (for comparison).
      {
        id: 'trickle-unpaced',
        events: PLAN.trickleEvents,
        options: { minBatchIntervalMs: 0 },
        mode: 'trickle',
      },
    ];
    const bytes = [];
    for (const c of byteCases.filter((x) => !SMOKE || x.options.compress !== false)) {
      bytes.push(await bytesRun({ ...common, ...c }));
    }

    step(`hidden and unloaded right after a burst of ${PLAN.hideEvents}`);
    /** @type {{ buffered: number, hideMs: number, pagehideMs: number }[]} */
    const hide = [];
    for (let i = 0; i < PLAN.hidePages; i++) {
      const page = await freshPage(browser, server.url, offHost);
      await page.d.evaluate((x, e) => x.start({ endpoint: e }), server.endpoint(`hide-${i}`));
      await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
      hide.push(await page.d.evaluate((x, n) => x.hideAfterBurst(n), PLAN.hideEvents));
      await page.context.close();
    }

    step(`outbox ops at ${PLAN.outboxSizes.join(' and ')} batches`);
    const { context, d } = await freshPage(browser, server.url, offHost);
    const outbox = await d.evaluate((x, p) => x.outboxOps(p), {
      sizes: PLAN.outboxSizes,
      perEntry: 10,
      seedChunk: 500,
      reps: PLAN.outboxReps,
      warmup: PLAN.outboxWarmup,
    });
    await context.close();
    step('done');

    if (offHost.length > 0) throw new Error(`requests beyond 127.0.0.1: ${offHost.join(', ')}`);
    // The entry as scripts/size.js measures it (npm run size), from the same source as this run.
    const size = await shippedSize('src/telemetry/client.ts');
    return {
      smoke: SMOKE,
      started: started.toISOString(),
      source,
      seconds: (performance.now() - t0) / 1000,
      machine: {
        cpu: cpuModel(),
        cores: os.cpus().length,
        loadStart,
        loadEnd: os.loadavg(),
        node: process.version,
        chromium: browser.version(),
      },
      crossOriginIsolated: isolated,
      longTaskProbeMs: probeMs,
      startup: {
        runs: startup,
        median: median(startup),
        min: Math.min(...startup),
        max: Math.max(...startup),
      },
      startupWarm: {
        runs: startupWarm,
        median: median(startupWarm),
        min: Math.min(...startupWarm),
        max: Math.max(...startupWarm),
      },
      bursts,
      flush,
      bytes,
      hide,
      outbox,
      size,
    };
  } finally {
    await browser.close();
    await server.close();
  }
}

/**
 * @param {{ buffered: number, hideMs: number, pagehideMs: number }[]} runs
 */
function hideSection(runs) {
  if (!runs.length) return 'not measured';
  /** @param {number[]} a */
  const cell = (a) => `**${ms(median(a))}** (${ms(Math.min(...a))} – ${ms(Math.max(...a))})`;
  return `${int(PLAN.hideEvents)} \`log()\` calls in one task (defaults), then \`visibilitychange\` (hidden) and \`pagehide\` in the
next task, dispatched in the page and timed around \`dispatchEvent\`; ${runs.length} fresh pages. The client's handlers
send what fits the keepalive budget, copy the rest to the synchronous unload spill (localStorage) and start its
IndexedDB write; the \`pagehide\` handler finds it all handed over.

| events in memory at the hide | \`visibilitychange\` handler: median (min – max) | \`pagehide\` handler: median (min – max) |
|---:|---:|---:|
| ${int(median(runs.map((x) => x.buffered)))} | ${cell(runs.map((x) => x.hideMs))} | ${cell(runs.map((x) => x.pagehideMs))} |

The work scales with what is still in memory: a hide 100 ms after the burst finds it persisted and costs a few ms.
The page is hidden by then: no input can wait on this task, but it is a long task when over 50 ms.`;
}

/** @typedef {Awaited<ReturnType<typeof runDelivery>>} DeliveryResults */

/** @param {number} n */
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
/** @param {number} n @param {number} [digits] */
const ms = (n, digits = 1) => (Number.isFinite(n) ? `${n.toFixed(digits)} ms` : 'n/a');
/** @param {number} n */
const sec = (n) => (Number.isFinite(n) ? `${(n / 1000).toFixed(2)} s` : 'n/a');
/** @param {number} a @param {number} b */
const pct = (a, b) => `${((100 * a) / Math.max(1, b)).toFixed(1)} %`;
/** @param {boolean} ok */
const met = (ok) => (ok ? 'met' : '**not met**');
/** @param {Record<string, number>} d */
const reasons = (d) =>
  Object.entries(d)
    .map(([k, v]) => `${k} ${int(v)}`)
    .join(', ') || 'none';

/**
 * The longest main-thread task other than the caller's own: wall time, and its CPU (thread) time.
 * @param {Delivery} b
 */
const longest = (b) =>
  `${ms(b.longestOtherMs)} (CPU ${ms(b.longestOtherCpuMs)}${b.longestOtherSrc ? `, \`${b.longestOtherSrc}\`` : ''})`;

const OPS = /** @type {const} */ (['append', 'claim', 'settle']);
const ROUNDS = 3;

/**
 * Ratio of the large outbox's op time to the small one's: of the medians over every repetition, per
 * round of consecutive repetitions (min – max), and of the minimums.
 * @param {DeliveryResults['outbox'][number]} small
 * @param {DeliveryResults['outbox'][number]} large
 * @param {typeof OPS[number]} op
 */
function opRatio(small, large, op) {
  const a = small.runs[op];
  const b = large.runs[op];
  const per = Math.floor(Math.min(a.length, b.length) / ROUNDS);
  const rounds =
    per >= 3
      ? Array.from({ length: ROUNDS }, (_, i) => {
          const slice = (/** @type {number[]} */ x) => x.slice(i * per, (i + 1) * per);
          return median(slice(b)) / median(slice(a));
        })
      : [];
  return {
    median: large[op].median / small[op].median,
    rounds,
    min: large[op].min / small[op].min,
  };
}

/**
 * The "Delivery under load (Chromium)" section of BENCHMARKS.md.
 * @param {DeliveryResults} r
 */
export function deliveryMarkdown(r) {
  const m = r.machine;
  const loads = (/** @type {number[]} */ a) => a.map((x) => x.toFixed(2)).join(', ');
  const deliveredOk = (/** @type {Delivery} */ b) =>
    b.stored === b.events && b.duplicateEvents === 0 && !b.timedOut;
  const range = (/** @type {number[]} */ a, digits = 2) =>
    a.length ? `${Math.min(...a).toFixed(digits)} – ${Math.max(...a).toFixed(digits)}` : 'n/a';
  const burstRows = r.bursts.map((b) => {
    const opts = Object.keys(b.options).length
      ? Object.entries(b.options)
          .map(([k, v]) => `\`${k}: ${typeof v === 'number' ? int(v) : String(v)}\``)
          .join(', ')
      : 'defaults';
    return (
      `| ${int(b.events)} | ${opts} | **${pct(b.stored, b.events)}** (${int(b.stored)}) | ${reasons(b.dropped)} | ` +
      `${reasons(b.reported)} | ${int(b.duplicateEvents)} | ${ms(b.callMs)} (CPU ${ms(b.ownTaskCpuMs)}) | ` +
      `**${ms(b.taskDurationMs, 0)}** (CPU ${ms(b.cpuMs, 0)}) | ${longest(b)} | ${ms(b.maxOtherCpuMs)} | ` +
      `${b.longTasks}${b.longTasks ? ` (${ms(b.longestLongTaskMs, 0)})` : ''} | ${sec(b.wallMs)}${b.timedOut ? ' (timed out)' : ''} | ${int(b.requests)} |`
    );
  });
  const f = r.flush;
  const b10k = r.bursts.find((b) => b.events === 10_000 && Object.keys(b.options).length === 0);
  const [small, large] = r.outbox;
  const ratios = small && large ? OPS.map((op) => ({ op, ...opRatio(small, large, op) })) : [];
  const opRows =
    small && large
      ? ratios.map(({ op, median: ratio, rounds, min }) => {
          const cell = (/** @type {typeof small} */ o) =>
            `${ms(o[op].median, 2)} (${ms(o[op].min, 2)} – ${ms(o[op].max, 2)})`;
          return (
            `| \`${op}Op\`${op === 'claim' ? ' (limit 4)' : ''} | ${cell(small)} | ${cell(large)} | ` +
            `**${ratio.toFixed(2)}×** | ${range(rounds)} | ${min.toFixed(2)}× | ${met(ratio <= 2)} |`
          );
        })
      : [];
  const [gz, plain] = r.bytes;
  const trickle = r.bytes.find((x) => x.pattern !== 'all in one task' && x.compress && !x.unpaced);
  const byteRows = r.bytes.map(
    (x) =>
      `| ${x.pattern} | \`compress: ${x.compress}\`${x.unpaced ? ', `minBatchIntervalMs: 0`' : ''} | ${int(x.stored)} | ${int(x.requests)} (${int(x.gzipRequests)} gzip) | ` +
      `${int(x.wireBytes)} | **${x.perEvent.toFixed(1)}** | ${x.jsonPerEvent.toFixed(1)} |`,
  );
  const startupOk = r.startup.median < 1;
  const flushOk = deliveredOk(f) && f.wallMs < 10_000 && f.longTasks === 0;
  const opsOk = ratios.length > 0 && ratios.every((x) => x.median <= 2);

  return `${SECTION_TITLE}

Measured by \`npm run bench:delivery\` (\`bench/delivery.js\`, \`bench/delivery-page.js\`)${r.smoke ? ' in **smoke mode** (tiny sizes)' : ''} on ${r.started};
the whole run took ${r.seconds.toFixed(0)} s, in one Chromium ${m.chromium}; client source at ${r.source}.
Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}; load average (1, 5, 15 min) ${loads(m.loadStart)} at the start and
${loads(m.loadEnd)} at the end. A load above ${m.cores} means the bench shared the CPU with other work: wall times (and the
long-task observer, which counts wall time) then include time the page waited for a core, so CPU (thread) times
from the trace are shown beside them. Compare figures within this run (ratios), not across runs.

| target (issue 6) | measured | |
|---|---|---|
| \`createTelemetry()\` < 1 ms | median ${ms(r.startup.median, 2)} (${ms(r.startup.min, 2)} – ${ms(r.startup.max, 2)}, ${r.startup.runs.length} fresh pages); a second call in the same page ${ms(r.startupWarm.median, 2)} (${ms(r.startupWarm.min, 2)} – ${ms(r.startupWarm.max, 2)}) | ${met(startupOk)} |
| 10,000 \`log()\` in one task, defaults: all delivered, no long task | ${b10k ? `${pct(b10k.stored, b10k.events)} delivered, ${int(b10k.duplicateEvents)} duplicates; ${b10k.longTasks} long tasks ≥ 50 ms after the burst (most CPU in one task ${ms(b10k.maxOtherCpuMs)}); the burst loop itself ${ms(b10k.callMs)} (CPU ${ms(b10k.ownTaskCpuMs)})` : 'not run (smoke)'} | ${b10k ? met(deliveredOk(b10k) && b10k.longTasks === 0) : '–'} |
| flush of ${int(f.events)} buffered events < 10 s, each once, no long task | ${sec(f.wallMs)}; ${pct(f.stored, f.events)} stored, ${int(f.duplicateEvents)} duplicates; ${f.longTasks} long tasks ≥ 50 ms${f.longTasks ? ` (longest ${ms(f.longestLongTaskMs, 0)})` : ''}, most CPU in one task ${ms(f.maxOtherCpuMs)} | ${met(flushOk)} |
| outbox op at ${int(large?.size ?? 0)} vs ${int(small?.size ?? 0)} batches within 2× | ${ratios.length ? ratios.map((x) => `${x.op} ${x.median.toFixed(2)}× (rounds ${range(x.rounds)})`).join(', ') : 'n/a'} | ${ratios.length ? met(opsOk) : '–'} |
| ≤ 40 B per event on the wire (1,000 logs, gzip) | ${gz ? `${gz.perEvent.toFixed(1)} B in one task${trickle ? `, ${trickle.perEvent.toFixed(1)} B logged 10 per task` : ''}${plain ? `; ${plain.perEvent.toFixed(1)} B without gzip` : ''}` : 'n/a'} | ${gz ? met(gz.perEvent <= 40 && (!trickle || trickle.perEvent <= 40)) : '–'} |
| \`createTelemetry\` entry ≤ 8,192 B min+gzip | ${int(r.size.gzip)} B min+gzip (${int(r.size.min)} B minified), as \`npm run size\` measures it | ${met(r.size.gzip <= 8192)} |

### Bursts: \`log()\` calls in one task, then until delivered

| calls | options | delivered (stored ÷ logged) | \`status().dropped\` | drops reported to the server | duplicates | the burst loop | main thread, burst → delivered: TaskDuration (CPU) | longest task after the burst: wall (CPU, posted by) | most CPU in one task after the burst | long tasks ≥ 50 ms after the burst | wall time to the last event | requests |
|---:|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|
${burstRows.join('\n')}

Drops are reported to the server in the envelope of the next batch written; the drops found by the last writes
of a burst wait in the page for its next event (a later \`log()\` and \`flush()\` delivers them), so the two columns
can differ when a run ends.

### Flush of ${int(f.events)} buffered events

Options \`${JSON.stringify(FLUSH_OPTIONS)}\`: the ${int(f.events)} \`log()\` calls are buffered first (10,000 per task, not
measured), then \`flush()\` is called in its own task.

| every event stored | duplicates | time to the last event stored | \`flush()\` resolved | main thread: TaskDuration (CPU) | longest task: wall (CPU, posted by) | most CPU in one task | long tasks ≥ 50 ms | requests |
|---:|---:|---:|---:|---:|---:|---:|---:|---:|
| ${deliveredOk(f) ? 'yes' : `**no**: ${int(f.stored)} (dropped: ${reasons(f.dropped)})`} | ${int(f.duplicateEvents)} | **${sec(f.wallMs)}** | ${sec(f.flushMs)} | ${ms(f.taskDurationMs, 0)} (CPU ${ms(f.cpuMs, 0)}) | ${longest(f)} | ${ms(f.maxOtherCpuMs)} | ${f.longTasks}${f.longTasks ? ` (longest ${ms(f.longestLongTaskMs, 0)})` : ''} | ${int(f.requests)} |

The \`flush()\` call's own task took ${ms(f.ownTaskMs)}. ${int(f.requests)} requests in ${sec(f.wallMs)}: ${ms(f.wallMs / Math.max(1, f.requests))} per request of
about ${int(f.stored / Math.max(1, f.requests))} events; the main thread was busy ${pct(f.taskDurationMs, f.wallMs)} of that time.

### Hidden and unloaded right after a burst

${hideSection(r.hide)}

### Outbox operations at ${int(small?.size ?? 0)} and ${int(large?.size ?? 0)} queued batches (IndexedDB)

| op | ${int(small?.size ?? 0)} batches: median (min – max) | ${int(large?.size ?? 0)} batches: median (min – max) | ratio of medians | per round of ${Math.floor(PLAN.outboxReps / ROUNDS)} (min – max) | ratio of minimums | within 2× |
|---|---:|---:|---:|---:|---:|---|
${opRows.join('\n')}

Seeding took ${r.outbox.map((o) => `${sec(o.seedMs)} for ${int(o.size)}`).join(' and ')} batches (closed batches of 10 logs,
500 per transaction through \`appendOp\`). A repetition appends one batch of 10 logs (timed), claims the 4 oldest
(timed), settles one as delivered (timed: deletes it) and gives the other 3 back (untimed), so each outbox keeps its
size; ${PLAN.outboxWarmup} repetitions discarded, then ${PLAN.outboxReps}, alternating between the two outboxes so both see the same load.
Each time is \`await outbox.run(op)\`: one readwrite transaction until it has committed. Caps raised (\`maxEvents\` 1e12)
so no append has to drop. The ratio of minimums is the least disturbed by other work on the machine.

### Bytes per event on the wire

| \`log()\` calls | | events stored | requests | request body bytes | **bytes per event** | JSON bytes per event (decoded) |
|---|---|---:|---:|---:|---:|---:|
${byteRows.join('\n')}

### Method

- Client: \`src/telemetry/index.ts\` bundled by \`scripts/size.js\` \`bundle()\` (as for the size), served with
  cross-origin isolation (${r.crossOriginIsolated ? '`performance.now()` at 5 µs' : '**not isolated**: 100 µs timer'}) from 127.0.0.1, with its real defaults:
  IndexedDB outbox, fetch transport. Every measurement runs in a fresh browser context (its own storage).
- Ingest stand-in: \`POST /ingest?run=<id>\` on the same server answers 200 at once, decodes \`Content-Encoding: gzip\`,
  counts events (logs + metrics + traces), request body bytes as sent (headers not counted), and stores each
  \`batchId\` once as the real server does; a batchId seen again counts as a duplicate.
- \`createTelemetry()\`: \`performance.now()\` around the one call \`createTelemetry({ endpoint })\` (enabled) in a fresh
  context's page, after the module has loaded; ${r.startup.runs.length} pages: ${r.startup.runs.map((x) => ms(x, 2)).join(', ')}. Then a second
  client in the same page, timed the same way: the difference is first-call cost (code not yet compiled, first
  storage or API access in the page).
- Bursts: the client is created, then left ${SETTLE_MS} ms (its first drain opens IndexedDB); the calls (the log of
  \`bench/page.js\`: a message and a five-key context) run in one \`setTimeout\` task. "Delivered" polls the server's
  count every 50 ms and \`status()\` every 500 ms or when the count says done, until stored + \`status().dropped\` =
  logged and \`buffered\`, \`queued\`, \`inFlight\` are 0, for at most ${WAIT_LIMIT_MS / 1000} s.
- Main thread: CDP \`Performance.getMetrics\` \`TaskDuration\` just before the burst is scheduled and when delivery is
  seen (includes the burst loop, and the few small DevTools tasks of polling \`status()\`); CPU is the thread time
  (\`tdur\`) of the page's main-thread tasks in a Chromium trace (\`toplevel\`) between marks. Longest task: from the same
  trace, leaving out the task that ran the burst loop (shown as "the burst loop": the caller's own cost); "posted
  by" is the trace's \`src_func\` of that task. Long tasks ≥ 50 ms: \`PerformanceObserver('longtask')\` in the page,
  leaving out the burst's own task (the observer reported ${ms(r.longTaskProbeMs, 0)} for a 60 ms busy-loop probe).
- Wall time: from the start of the burst loop (or the \`flush()\` call) to the arrival of the last new event at the
  server, both as epoch ms on this machine's high-resolution clock.
- Bytes per event: logs with the default options, all in one task (\`batchSize\` 10 starts a drain; the persisted
  batches are filled up to \`maxBatchBytes\`), and 10 per task every 20 ms (a page logging steadily: the first
  10 go at once, then \`minBatchIntervalMs\` (1 s) paces the sends, so the events of each second join one batch;
  with \`minBatchIntervalMs: 0\`, one request per 10 events as before it existed); request body bytes ÷ events stored. The logs are synthetic and repetitive (one
  message, the same five keys, counters): gzip does better on them than on varied real logs.

Run: \`npm run bench:delivery\` (writes this section; about ${Math.max(1, Math.round(r.seconds / 60))} min), \`BENCH_SMOKE=1 npm run bench:delivery\`
(tiny sizes, one run, < 20 s; prints JSON, writes nothing, exits 1 if an event was lost or duplicated).
\`npm run bench\` runs it too and renders this section.
`;
}

/** Sections of BENCHMARKS.md written by other benches, which this section goes before. */
const LATER_SECTIONS = ['## Ingest', '## Dashboard', '## Encoders', '## Scrubbing'];

/**
 * Puts `section` into `md`: in place of an earlier delivery section, else before the first later
 * section (ingest, dashboard, encoders, scrubbing), else at the end.
 * @param {string} md
 * @param {string} section
 */
export function spliceDelivery(md, section) {
  const lines = md.split('\n');
  const heading = (/** @type {string} */ l) => l.startsWith('## ');
  const at = lines.findIndex((l) => l.trim() === SECTION_TITLE);
  if (at >= 0) {
    const next = lines.findIndex((l, i) => i > at && heading(l));
    const rest = next >= 0 ? lines.slice(next) : [];
    return [...lines.slice(0, at), ...section.trimEnd().split('\n'), '', ...rest].join('\n').trimEnd() + '\n';
  }
  const later = lines.findIndex((l) => LATER_SECTIONS.some((s) => l.startsWith(s)));
  if (later >= 0) {
    return [...lines.slice(0, later), ...section.trimEnd().split('\n'), '', ...lines.slice(later)].join('\n');
  }
  return `${md.trimEnd()}\n\n${section.trimEnd()}\n`;
}

/**
 * Smoke checks: the bench ran and delivery kept its promise at small sizes.
 * @param {DeliveryResults} r
 */
function smokeFailures(r) {
  const out = [];
  for (const b of [...r.bursts, r.flush]) {
    if (b.timedOut) out.push(`${b.id}: timed out`);
    if (b.duplicateEvents > 0) out.push(`${b.id}: ${b.duplicateEvents} duplicate events`);
    if (b.stored !== b.events) out.push(`${b.id}: stored ${b.stored} of ${b.events}`);
  }
  return out;
}

async function main() {
  const r = await runDelivery();
  console.log(JSON.stringify(r, (k, v) => (k === 'status' ? undefined : /** @type {unknown} */ (v)), 1));
  if (SMOKE) {
    const failures = smokeFailures(r);
    for (const f of failures) console.error(`delivery smoke: ${f}`);
    process.exitCode = failures.length ? 1 : 0;
    return;
  }
  const file = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
  writeFileSync(file, spliceDelivery(readFileSync(file, 'utf8'), deliveryMarkdown(r)));
  console.log(`delivery: wrote the section "${SECTION_TITLE}" of ${file} in ${r.seconds.toFixed(0)} s`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
