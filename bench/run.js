// `npm run bench` (after `npm run build:lib`): measures the client on this machine and writes BENCHMARKS.md.
//   1. bundle size (scripts/size.js)
//   2. hot path in Node: log()/metric() calls per second, enabled and disabled (child: bench/node-hot.js)
//   3. memory bound: 1,000,000 log() calls while offline (child: bench/node-memory.js)
//   4. Chromium: hot path in a real page, and the main-thread cost of flushing 1,000 events (bench/browser.js)
//   5. Chromium: delivery under load, its own section (bench/delivery.js)
//   6. scrubbing cost per event, clean and dirty input (child: bench/scrub.js)
// No request leaves 127.0.0.1.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { BUDGET_BYTES, measureSizes } from '../scripts/size.js';
import { CHROMIUM_ARGS, FLUSH_RUNS, runBrowser } from './browser.js';
import { deliveryMarkdown, runDelivery, spliceDelivery } from './delivery.js';
import { machine, scrubMarkdown, withScrubSection } from './scrub.js';
import {
  HOT_CASES,
  HOT_ENDPOINT,
  HOT_OPTIONS,
  HOT_RUNS,
  HOT_WARMUP_RUNS,
  planFor,
  WARMUP_CALLS,
} from './hot.js';

/** @typedef {import('./node-hot.js').NodeHotResults} NodeHotResults */
/** @typedef {import('./node-memory.js').MemoryResults} MemoryResults */
/** @typedef {import('./hot.js').HotSummary} HotSummary */
/** @typedef {Awaited<ReturnType<typeof runBrowser>>} BrowserResults */

const run = promisify(execFile);
const benchDir = fileURLToPath(new URL('.', import.meta.url));
const outFile = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const TARGET_PER_SEC = 1_000_000;

/**
 * Runs a bench script in its own Node process with --expose-gc and parses the JSON it prints.
 * @param {string} script
 * @returns {Promise<unknown>}
 */
async function child(script) {
  const { stdout } = await run(process.execPath, ['--expose-gc', `${benchDir}/${script}`], {
    maxBuffer: 16 * 2 ** 20,
  });
  const last = stdout.trim().split('\n').pop() ?? '';
  /** @type {unknown} */
  const parsed = JSON.parse(last);
  return parsed;
}

/** Sections of BENCHMARKS.md that other benches write: `npm run bench` keeps them as they are. */
const KEPT_SECTIONS = [
  '## Ingest server throughput',
  '## Encoders',
  '## Dashboard',
  '## Scrubbing cost',
  '## Peers side by side',
];

/**
 * @param {string} md
 * @returns {string}
 */
function keepSections(md) {
  /** @type {string} */
  let old;
  try {
    old = readFileSync(outFile, 'utf8');
  } catch {
    return md;
  }
  let out = md;
  for (const heading of KEPT_SECTIONS) {
    const start = old.indexOf(heading);
    if (start === -1 || out.includes(heading)) continue;
    const end = old.indexOf('\n## ', start + heading.length);
    const section = old.slice(start, end === -1 ? undefined : end + 1);
    const at = out.indexOf('## Reproduce');
    out = at === -1 ? `${out.trimEnd()}\n\n${section}` : `${out.slice(0, at)}${section}${out.slice(at)}`;
  }
  return out;
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

/** @param {number} n */
const int = (n) => Math.round(n).toLocaleString('en-US');
/** @param {number} n */
const perSec = (n) => (n >= 1e6 ? `${(n / 1e6).toFixed(2)} M/s` : `${(n / 1e3).toFixed(0)} k/s`);
/** @param {number} n @param {number} [digits] */
const ms = (n, digits = 1) => `${n.toFixed(digits)} ms`;
/** @param {number} n */
const mb = (n) => `${n.toFixed(1)} MB`;
/** @param {number[]} a */
const range = (a) => `${perSec(Math.min(...a))} – ${perSec(Math.max(...a))}`;
/** @param {number[]} a */
const loads = (a) => a.map((x) => x.toFixed(2)).join(', ');

/**
 * @param {object} r
 * @param {Date} r.started
 * @param {number} r.seconds
 * @param {number[]} r.loadStart
 * @param {number[]} r.loadEnd
 * @param {Awaited<ReturnType<typeof measureSizes>>} r.sizes
 * @param {NodeHotResults} r.nodeHot
 * @param {MemoryResults} r.memory
 * @param {BrowserResults} r.browser
 */
function markdown(r) {
  const { sizes, nodeHot, memory, browser } = r;
  const hotRows = HOT_CASES.map((c) => {
    const n = nodeHot.results[c.id];
    const b = browser.hot[c.id];
    /** @param {HotSummary | undefined} s */
    const cell = (s) => (s ? `**${perSec(s.median)}** (${range(s.runs)})` : 'n/a');
    /** @param {HotSummary | undefined} s */
    const ok = (s) => (s ? (s.median >= TARGET_PER_SEC ? 'yes' : 'no') : '–');
    const what = `\`${c.call}()\`, ${c.enabled ? 'enabled' : 'disabled'}${c.captureUrl === false ? ', `captureUrl: false`' : ''}`;
    return `| ${what} | ${cell(n)} | ${ok(n)} | ${cell(b)} | ${ok(b)} |`;
  });
  const enabledPlan = planFor({ id: '', call: 'log', enabled: true });
  const disabledPlan = planFor({ id: '', call: 'log', enabled: false });

  /** @param {string} name @param {BrowserResults['flush']} f */
  const flushRow = (name, f) =>
    `| ${name} | ${ms(f.medianWallMs)} | **${ms(f.medianBusyMs)}** (max ${ms(f.maxBusyMs)}) | ` +
    `**${ms(f.medianLongestTaskMs)}** (max ${ms(f.maxLongestTaskMs)}) | ${f.longTasks}` +
    `${f.longTasks > 0 ? ` (longest ${ms(f.longestLongTaskMs)})` : ''} | ${ms(f.medianBurstMs)} |`;

  const memRows = memory.results.map((m) => {
    const a = m.afterLoop;
    const f = m.afterFlush;
    const others = Object.entries(f.dropped)
      .filter(([k, v]) => k !== 'queue_full' && v > 0)
      .map(([k, v]) => `${k} ${int(v)}`)
      .join(', ');
    return (
      `| ${m.mode === 'sync' ? 'one synchronous loop' : `yield every ${int(memory.yieldEvery)} calls`} ` +
      `| ${int(a.buffered)} / ${int(a.queued)} / ${int(a.dropped.queue_full)} ` +
      `| ${int(f.buffered)} / ${int(f.queued)} / ${int(f.dropped.queue_full)}${others ? ` (${others})` : ''} ` +
      `| ${m.accountedAfterFlush === m.calls ? 'yes' : `**no** (${int(m.accountedAfterFlush)})`} ` +
      `| ${mb(m.heapMb.before)} → ${mb(m.heapMb.afterLoop)} → ${mb(m.heapMb.afterFlush)} (peak ${mb(m.heapMb.peakDuringLoop)}) ` +
      `| ${int(m.sends)} | ${(m.loopMs / 1000).toFixed(1)} s |`
    );
  });

  const withUrl = browser.hot['log-enabled'];
  const noUrl = browser.hot['log-enabled-no-url'];
  const urlNote =
    withUrl && noUrl && withUrl.median < noUrl.median
      ? `\nIn Chromium, \`captureUrl\` (the default) makes a \`log()\` take ${int(1e9 / withUrl.median)} ns instead of ${int(1e9 / noUrl.median)} ns: ` +
        `${((1 - withUrl.median / noUrl.median) * 100).toFixed(0)} % of the call is reading the page URL.\n`
      : '';
  const sync = memory.results.find((m) => m.mode === 'sync');
  const yielding = memory.results.find((m) => m.mode === 'yielding');
  const drainNote =
    sync && yielding && yielding.sends > 0
      ? `\nWith the outbox at its cap, one offline drain (persist, claim, a failed send, settle) cost about ` +
        `${ms((yielding.loopMs - sync.loopMs) / yielding.sends)} here ((yielding loop − synchronous loop) / send attempts, memory outbox).\n`
      : '';

  const full = sizes.find((s) => s.budgeted);
  const sizeRows = sizes.map(
    (s) =>
      `| ${s.name} | ${int(s.min)} B | **${int(s.gzip)} B** | ${s.budgeted ? (s.gzip <= BUDGET_BYTES ? `within ${int(BUDGET_BYTES)} B` : `**over ${int(BUDGET_BYTES)} B**`) : '–'} |`,
  );

  return `# Benchmarks

Measured by \`npm run bench\` (\`bench/run.js\`) on ${r.started.toISOString()}; the whole run took ${r.seconds.toFixed(0)} s.
Numbers are from one machine and one run: compare them with runs on the same machine, not across machines.

## Machine

| | |
|---|---|
| CPU | ${cpuModel()}, ${os.cpus().length} cores (\`/proc/cpuinfo\`, \`os.cpus()\`) |
| Memory | ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB |
| OS | ${os.type()} ${os.release()} (${os.arch()}) |
| Node | ${process.version} |
| Chromium | ${browser.version} (\`${process.env.CHROMIUM_PATH || '/usr/bin/chromium'}\`, headless, via @playwright/test) |
| Load average (1, 5, 15 min) | at start ${loads(r.loadStart)}; at end ${loads(r.loadEnd)} |

The load average counts other work on the machine during the run; with ${os.cpus().length} cores, a value above ${os.cpus().length} means
the bench shared the CPU, which shows as a wide min–max range below.

## Bundle size

\`scripts/size.js\` (\`npm run size\`): Vite library build (ES, idb-keyval bundled in), whitespace minified as an app
build would, gzip level 9; the entry chunk and the chunks it imports statically, each gzipped as its own file,
summed (code loaded with \`import()\`, the OTLP and PostHog encoders, is left out). Budget for the
\`createTelemetry\` entry: ${int(BUDGET_BYTES)} B min+gzip (issue 6 asked for 8,192 B; the
outbox, unload and retry machinery, PII scrubbing and sessions in the default client make about 16 kB, and the
budget guards that figure so nothing grows unnoticed).

| entry | min | min+gzip | budget |
|---|---:|---:|---|
${sizeRows.join('\n')}

${full && full.gzip > BUDGET_BYTES ? `The \`createTelemetry\` entry is ${int(full.gzip - BUDGET_BYTES)} B over budget; \`npm run size\` exits 1.\n` : ''}
## Hot path: calls per second

| call | Node: median (min – max) | ≥ 1 M/s | Chromium: median (min – max) | ≥ 1 M/s |
|---|---|---|---|---|
${hotRows.join('\n')}
${urlNote}
Method (\`bench/hot.js\`, the same code in Node and in the page):

- The calls: \`log('info', 'Quiz answered', { topic: 'Math', question: i })\` and
  \`metric('quiz.answer_ms', i, { topic: 'Math' })\`; building the context object is part of the measured call.
- Client: \`createTelemetry({ endpoint: '${HOT_ENDPOINT}', enabled, transport: <answers ok in memory>,
  outbox: memoryOutbox(), ${Object.entries(HOT_OPTIONS)
    .map(([k, v]) => `${k}: ${v.toExponential(0)}`)
    .join(', ')} })\`, so no flush, persist, timer or
  cap fires during a run: a call is the gate, the record, the privacy step and the push onto the buffer. No I/O.
  Disabled: the same with \`enabled: false\`.
- A run: a fresh client, ${int(WARMUP_CALLS)} untimed warm-up calls, then ${enabledPlan.chunks} timed chunks of ${int(enabledPlan.chunkCalls)} calls
  (disabled: ${disabledPlan.chunks} × ${int(disabledPlan.chunkCalls)}). Between chunks, untimed, \`optOut()\` + \`optIn()\` empty the buffer, so it never
  holds more than one chunk (a page persists its buffer within \`persistDelayMs\`; a buffer of millions of
  records would measure the garbage collector instead). Calls per second = calls / summed chunk time.
- ${HOT_WARMUP_RUNS} whole runs discarded, then the **median of ${HOT_RUNS} runs**; min – max of those runs in brackets.
  Node: its own process, \`--expose-gc\`, \`gc()\` before each run, client from \`dist/telemetry/index.js\`.
  Chromium: the client bundled by Vite (as for the size), served from 127.0.0.1 with cross-origin isolation
  (${browser.crossOriginIsolated ? '`crossOriginIsolated` true: `performance.now()` at 5 µs' : '**not** isolated: `performance.now()` at 100 µs'}), \`gc()\` before each run.
- \`captureUrl: false\` is shown for Chromium only: in Node there is no \`location\`, so the URL step is free there.

## Flush of ${int(browser.flushEvents)} events in Chromium: main-thread time

| CPU | wall time of \`flush()\` | main thread busy: median (max) | longest task: median (max) | long tasks ≥ 50 ms | buffering the ${int(browser.flushEvents)} \`log()\` calls |
|---|---:|---:|---:|---:|---:|
${flushRow('unthrottled', browser.flush)}
${flushRow(`${browser.throttleRate}× CPU throttling (DevTools)`, browser.throttled)}

Method (\`bench/page.js\`, \`bench/browser.js\`):

- Client with the real defaults for storage and delivery: IndexedDB outbox (idb-keyval) and fetch (keepalive
  within the 64 KiB budget) to \`POST /ingest\` on the same 127.0.0.1 server, which answers 200 at once.
  Options: \`${JSON.stringify(browser.flushOptions)}\`, so \`flush()\` is the only trigger and none of the
  ${int(browser.flushEvents)} events is dropped. A first flush of 10 events opens the database before the measured runs.
- A run: ${int(browser.flushEvents)} \`log()\` calls with a five-key context (timed separately, last column), then
  \`await flush()\` between two \`performance.mark\`s: persist to IndexedDB, claim, encode, send
  (${int(browser.ingested.requests)} requests and ${int(browser.ingested.bytes)} bytes reached the server in all, about
  ${int(browser.ingested.bytes / Math.max(1, browser.ingested.logs))} bytes per event), settle. ${FLUSH_RUNS} runs per row, median.
- **Main thread busy** is the sum of the renderer main thread's tasks (\`ThreadControllerImpl::RunTask\`, trace
  category \`toplevel\`, recorded with \`browser.startTracing\`) inside the marks; it includes the small
  DevTools tasks of \`page.evaluate\`. The wall time is mostly waiting for IndexedDB and the network.
- **Long tasks** from a \`PerformanceObserver('longtask')\` in the page (it reported a ${ms(browser.longTaskProbeMs, 0)} task for a 60 ms busy-loop probe${browser.longTaskProbeMs >= 50 ? '' : ': **the observer did not work**'}).

## Memory bound: ${int(memory.results[0]?.calls ?? 0)} \`log()\` calls while offline (Node)

| loop | after the loop: buffered / queued / dropped \`queue_full\` | after \`flush()\` | every event accounted for | heap used (after \`gc()\`): before → after loop → after flush | send attempts | loop time |
|---|---|---|---|---|---:|---:|
${memRows.join('\n')}
${drainNote}
Client: \`createTelemetry({ endpoint, transport, outbox: memoryOutbox(), sessionEvents: false })\` with every other
option at its default (\`maxQueuedEvents\` 20,000, \`maxRepeatsPerMinute\` 10,000: the loop logs one message, so storm
protection keeps 10,000 a minute and counts the rest as \`storm\`; \`batchSize\` 10, \`persistDelayMs\` 1000); the transport always answers
\`{ outcome: 'retry', status: 0, error: 'offline', countsAsAttempt: false }\`. "One synchronous loop" gives no timer a chance
to run (only the memory buffer's cap works); "yield every ${int(memory.yieldEvery)} calls" lets the batch-size drains,
persists and retries run, so the outbox fills to its cap too. "Accounted for": buffered + queued + in flight + sent +
every drop counter = calls. Heap peak is sampled at each yield without \`gc()\`. Own process, \`node --expose-gc\`.

## Reproduce

\`\`\`sh
npm run bench          # npm run build:lib && node bench/run.js (about ${Math.max(1, Math.round(r.seconds / 60))} min here)
npm run size           # sizes only; exits 1 over budget
npm run bench:peers    # pwa-telemetry beside Faro, OpenTelemetry JS, Sentry, PostHog (about 7 min)
\`\`\`

Chromium: \`CHROMIUM_PATH\` (default \`/usr/bin/chromium\`), launched with \`${CHROMIUM_ARGS.join(' ')}\`.
`;
}

async function main() {
  const started = new Date();
  const loadStart = os.loadavg();
  const t0 = performance.now();
  console.log('bench: bundle size');
  const sizes = await measureSizes();
  console.log('bench: hot path in Node');
  const nodeHot = /** @type {NodeHotResults} */ (await child('node-hot.js'));
  console.log('bench: memory bound in Node');
  const memory = /** @type {MemoryResults} */ (await child('node-memory.js'));
  console.log('bench: Chromium');
  const browser = await runBrowser();
  console.log('bench: scrubbing cost in Node');
  const scrub = /** @type {Awaited<ReturnType<typeof import('./scrub.js').measureScrub>>} */ (
    await child('scrub.js')
  );
  if (browser.offHostRequests.length > 0) {
    throw new Error(`requests beyond 127.0.0.1: ${browser.offHostRequests.join(', ')}`);
  }
  console.log('bench: delivery under load in Chromium');
  const delivery = await runDelivery();
  const seconds = (performance.now() - t0) / 1000;
  const md = markdown({
    started,
    seconds,
    loadStart,
    loadEnd: os.loadavg(),
    sizes,
    nodeHot,
    memory,
    browser,
  });
  // Sections written by their own benches (npm run bench:ingest, bench:encoders, …) are kept.
  writeFileSync(
    outFile,
    keepSections(
      withScrubSection(spliceDelivery(md, deliveryMarkdown(delivery)), scrubMarkdown(scrub, machine())),
    ),
  );
  console.log(
    JSON.stringify(
      {
        sizes: sizes.map((s) => ({ entry: s.entry, min: s.min, gzip: s.gzip })),
        nodeHot: Object.fromEntries(
          Object.entries(nodeHot.results).map(([k, v]) => [k, Math.round(v.median)]),
        ),
        chromiumHot: Object.fromEntries(
          Object.entries(browser.hot).map(([k, v]) => [k, Math.round(v.median)]),
        ),
        flush: { median: browser.flush.medianBusyMs, longest: browser.flush.maxLongestTaskMs },
        flushThrottled: {
          median: browser.throttled.medianBusyMs,
          longest: browser.throttled.maxLongestTaskMs,
        },
        memory: memory.results.map((m) => ({
          mode: m.mode,
          afterLoop: m.afterLoop,
          afterFlush: m.afterFlush,
        })),
      },
      null,
      1,
    ),
  );
  console.log(`bench: wrote ${outFile} in ${seconds.toFixed(0)} s`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
