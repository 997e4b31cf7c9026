// The "Peers side by side" section of BENCHMARKS.md from a run of bench/peers.js: every figure per
// library as median (min–max over runs), the ratios against each peer within the run, the targets
// of issue 11 and the method.

/** @typedef {import('../peers.js').PeersResults} PeersResults */
/** @typedef {import('../peers.js').LibraryResult} LibraryResult */
/** @typedef {import('./measure.js').Measure} Measure */

export const SECTION_TITLE = '## Peers side by side';

/** @param {number[]} values */
const median = (values) => {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2;
};
/** @param {number} n */
const int = (n) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
/** @param {number} n @param {number} [d] */
const fix = (n, d = 1) => (Number.isFinite(n) ? n.toFixed(d) : 'n/a');
/** @param {number} n */
const rate = (n) => (n >= 1e6 ? `${fix(n / 1e6, 2)} M/s` : `${fix(n / 1e3, 0)} k/s`);
/** @param {number} n */
const kb = (n) => `${fix(n / 1000, 1)} kB`;
/** @param {number} part @param {number} whole */
const pct = (part, whole) => `${fix((100 * part) / whole, part === whole ? 0 : 1)} %`;

/**
 * Per-library figures: the runs' values, and their median, min and max.
 * @param {LibraryResult} l
 */
export function figures(l) {
  /** @param {number[]} a */
  const stat = (a) => ({ runs: a, median: median(a), min: Math.min(...a), max: Math.max(...a) });
  const all = [...l.burst, ...l.bigBurst, ...l.yielding];
  return {
    init: stat(all.map((m) => m.initMs)),
    syncRate: stat(l.bigBurst.map((m) => m.events / (m.callMs / 1000))),
    syncShare: stat(l.bigBurst.map((m) => m.delivered / m.events)),
    yieldRate: stat(l.yielding.map((m) => m.events / (m.callMs / 1000))),
    yieldShare: stat(l.yielding.map((m) => m.delivered / m.events)),
    mainThread: stat(l.burst.map((m) => m.mainThreadMs)),
    mainPer1k: stat(l.burst.map((m) => (m.mainThreadMs / Math.max(1, m.delivered)) * 1000)),
    burstShare: stat(l.burst.map((m) => m.delivered / m.events)),
    burstTask: stat(l.burst.map((m) => m.burstTaskMs)),
    longestOther: stat(l.burst.map((m) => m.longestOtherMs)),
    longTasks: l.burst.reduce((n, m) => n + m.longTasks, 0),
    lastEvent: stat(l.burst.map((m) => m.lastEventMs)),
    bytesPerEvent: stat(l.burst.map((m) => m.wireBytes / Math.max(1, m.delivered))),
    duplicates: all.reduce((n, m) => n + m.duplicates, 0),
  };
}

/**
 * @param {{ median: number, min: number, max: number }} s
 * @param {(n: number) => string} f
 */
const cell = (s, f) =>
  s.min === s.max ? `**${f(s.median)}**` : `**${f(s.median)}** (${f(s.min)}–${f(s.max)})`;
/** @param {{ min: number, max: number }} s */
const share = (s) => (s.min === s.max ? pct(s.min, 1) : `${pct(s.min, 1)}–${pct(s.max, 1)}`);

/**
 * @param {PeersResults} r
 * @returns {string}
 */
export function peersMarkdown(r) {
  const libs = r.libraries.map((l) => ({ l, f: figures(l) }));
  const ours = libs.find((x) => x.l.id === 'ours');
  const peers = libs.filter((x) => x.l.id !== 'ours');
  if (!ours) throw new Error('no results for pwa-telemetry');
  const o = ours.f;
  const loads = (/** @type {number[]} */ a) => a.map((x) => x.toFixed(2)).join(', ');
  const p = r.plan;
  const head = `| | ${libs.map((x) => x.l.name).join(' | ')} |\n|---|${libs.map(() => '---:').join('|')}|`;
  /** @param {string} what @param {(x: { l: LibraryResult, f: ReturnType<typeof figures> }) => string} f */
  const row = (what, f) => `| ${what} | ${libs.map(f).join(' | ')} |`;
  const table = [
    head,
    row('size, min+gzip', (x) => `**${kb(x.l.size.gzip)}** (min ${kb(x.l.size.min)})`),
    row('set-up (`init()`) on the main thread, ms', (x) => cell(x.f.init, (n) => fix(n, 2))),
    row(`\`log()\` calls/s, ${int(p.bigBurst)} in one task`, (x) => cell(x.f.syncRate, rate)),
    row(`… share delivered`, (x) => share(x.f.syncShare)),
    row(`\`log()\` calls/s, ${int(p.yieldCalls)} yielding every ${int(p.every)}`, (x) =>
      cell(x.f.yieldRate, rate),
    ),
    row(`… share delivered`, (x) => share(x.f.yieldShare)),
    row(`${int(p.burst)} in one task: share delivered`, (x) => share(x.f.burstShare)),
    row(`… main-thread ms, burst → last log delivered`, (x) => cell(x.f.mainThread, (n) => fix(n, 0))),
    row(`… main-thread ms per 1,000 logs delivered`, (x) => cell(x.f.mainPer1k, (n) => fix(n, 0))),
    row(`… the burst loop's own task, ms`, (x) => cell(x.f.burstTask, (n) => fix(n, 1))),
    row(`… longest other task until delivered, ms`, (x) => cell(x.f.longestOther, (n) => fix(n, 1))),
    row(`… long tasks ≥ 50 ms after the burst (all runs)`, (x) => String(x.f.longTasks)),
    row(`… last log at the collector after, ms`, (x) => cell(x.f.lastEvent, (n) => fix(n, 0))),
    row(`… request body bytes per log on the wire`, (x) => cell(x.f.bytesPerEvent, (n) => fix(n, 1))),
    row('logs received twice (all runs)', (x) => String(x.f.duplicates)),
    row('a log, a metric, a span delivered', (x) =>
      [x.l.kinds.log, x.l.kinds.metric, x.l.kinds.span].map((k) => (k ? 'yes' : '**no**')).join(', '),
    ),
  ];
  /** @param {number} v */
  const times = (v) => `${fix(v, v >= 10 ? 0 : 1)}×`;
  const ratioHead = `| peer ÷ pwa-telemetry (medians) | ${peers.map((x) => x.l.name).join(' | ')} |\n|---|${peers.map(() => '---:').join('|')}|`;
  /** @param {string} what @param {(f: ReturnType<typeof figures>, l: LibraryResult) => number} f */
  const ratio = (what, f) => `| ${what} | ${peers.map((x) => times(f(x.f, x.l))).join(' | ')} |`;
  const ratios = [
    ratioHead,
    ratio('size (larger is a bigger peer)', (_f, l) => l.size.gzip / ours.l.size.gzip),
    ratio('set-up time', (f) => f.init.median / o.init.median),
    ratio(`\`log()\` calls/s in one task (ours ÷ peer)`, (f) => o.syncRate.median / f.syncRate.median),
    ratio(`\`log()\` calls/s yielding (ours ÷ peer)`, (f) => o.yieldRate.median / f.yieldRate.median),
    ratio('main-thread time per 1,000 logs delivered', (f) => f.mainPer1k.median / o.mainPer1k.median),
    ratio('bytes per log on the wire', (f) => f.bytesPerEvent.median / o.bytesPerEvent.median),
  ];
  const otel = peers.find((x) => x.l.id === 'otel');
  const met = (/** @type {boolean} */ b) => (b ? 'met' : '**not met**');
  const sizeOk = peers.every((x) => x.l.size.gzip >= 4 * ours.l.size.gzip);
  const initOk = peers.every((x) => o.init.median < x.f.init.median);
  const oursAll = o.syncShare.min === 1;
  const dropping = peers.filter((x) => x.f.syncShare.min < 1);
  const mainOk = otel ? o.mainPer1k.median <= otel.f.mainPer1k.median : false;
  const bytesOk = peers.every((x) => o.bytesPerEvent.median < x.f.bytesPerEvent.median);
  const smallest = Math.min(...peers.map((x) => x.l.size.gzip));
  const targets = [
    `| smaller than every peer by 4× or more | ours ${kb(ours.l.size.gzip)}; peers ${peers.map((x) => `${x.l.name} ${kb(x.l.size.gzip)} (${times(x.l.size.gzip / ours.l.size.gzip)})`).join(', ')}; 4× the smallest peer would need ≤ ${kb(smallest / 4)} | ${met(sizeOk)} |`,
    `| \`init()\` faster than every peer | ours ${fix(o.init.median, 2)} ms median; ${peers.map((x) => `${x.l.name} ${fix(x.f.init.median, 2)} ms`).join(', ')} | ${met(initOk)} |`,
    `| every log of a ${int(p.bigBurst)}-log burst delivered where peers drop | ours ${share(o.syncShare)} in every run; ${dropping.length ? `dropping: ${dropping.map((x) => `${x.l.name} ${share(x.f.syncShare)}`).join(', ')}` : 'no peer dropped'} | ${met(oursAll)} |`,
    `| main-thread time per 1,000 logs delivered ≤ OpenTelemetry's | ours ${fix(o.mainPer1k.median, 0)} ms, OpenTelemetry ${otel ? fix(otel.f.mainPer1k.median, 0) : 'n/a'} ms (medians; ranges in the table) | ${met(mainOk)} |`,
    `| fewer bytes per log than every peer | ours ${fix(o.bytesPerEvent.median, 1)} B; ${peers.map((x) => `${x.l.name} ${fix(x.f.bytesPerEvent.median, 1)} B`).join(', ')} | ${met(bytesOk)} |`,
  ];
  /** @param {Measure[]} list */
  const drops = (list) => {
    /** @type {Record<string, number>} */
    const sum = {};
    for (const x of list) {
      const d = /** @type {{ dropped?: Record<string, number> } | null} */ (x.status)?.dropped ?? {};
      for (const [k, v] of Object.entries(d)) if (v > 0) sum[k] = (sum[k] ?? 0) + v;
    }
    const text = Object.entries(sum)
      .map(([k, v]) => `\`${k}\` ${int(v)}`)
      .join(', ');
    return text || 'none';
  };
  const m = r.machine;
  return `${SECTION_TITLE}

Measured by \`npm run bench:peers\` (\`bench/peers.js\`, \`bench/peers/\`)${r.quick ? ' in **quick mode** (a smoke: small counts, libraries run at once)' : ''} on ${r.started}; the whole
run took ${fix(r.seconds / 60, 1)} min, in one Chromium ${r.chromium}. Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}; load average
(1, 5, 15 min) ${loads(m.loadStart)} at the start and ${loads(m.loadEnd)} at the end: above ${m.cores}, other work shared the CPU, so
compare the libraries within this run (ratios) more than the absolute figures. Each cell: the median over
${p.runs} runs (min–max); set-up over every page of every run (${3 * p.runs} per library).

| library | versions |
|---|---|
${libs.map((x) => `| ${x.l.name} | ${x.l.versions} |`).join('\n')}

${table.join('\n')}

${ratios.join('\n')}

| target (issue 11) | measured | |
|---|---|---|
${targets.join('\n')}

What pwa-telemetry dropped, from its own \`status().dropped\` (all runs): ${int(p.bigBurst)} in one task: ${drops(ours.l.bigBurst)};
${int(p.yieldCalls)} yielding: ${drops(ours.l.yielding)}. Its storm protection keeps at most 10,000 logs with the same message a
minute (\`maxRepeatsPerMinute\`), and counts the rest; every log of the bench has the same message. The peers' losses are
counted at the collector only (Sentry also sends client reports of its drops; not read here).

Why the peers drop, from their code and defaults (the counts are this run's):

- **Faro**: its fetch transport holds at most 30 requests (\`bufferSize\`) of at most 50 items (batching
  \`itemLimit\`); a batch past that is dropped ("Reliable delivery queue is full"): 1,500 logs of a burst arrive.
- **OpenTelemetry**: \`BatchLogRecordProcessor\` queues at most 2,048 records (\`maxQueueSize\`) and drops the rest;
  what arrives is that queue plus what was exported meanwhile.
- **Sentry**: its transport holds at most 40 envelopes (\`bufferSize\`) of 100 logs each and drops the envelopes past
  that (4,000 logs of a 10,000-log burst arrive). It sends an envelope with \`keepalive\` while the bodies in flight
  total ≤ 60 kB, and never reads a response body. In this Chromium a keepalive request whose response body is not
  read keeps its bytes in the page's 64 KiB keepalive budget: measured here with plain \`fetch\`, after a 54 kB
  keepalive request answered 200, a 27 kB keepalive request fails (\`TypeError\`) unless the first response's body
  was read. One envelope of 100 logs of each 1,000-log burst never reached the collector, which fits that. The
  collector answers \`{}\`, a small JSON body as Sentry's endpoint returns.
- **PostHog**: \`captureLog\` accepts at most 1,000 logs per flush interval (\`maxLogsPerInterval\`, 3 s) and drops
  the rest with one warning.

### Method

- **Same job, defaults otherwise.** Each library is set up by a small entry, \`bench/peers/<name>.js\`, for logs, metrics
  and spans with batched delivery to the local collector, and nothing else changed from its defaults:
  pwa-telemetry \`createTelemetry({ endpoint, app, version })\` (built lib, \`dist/\`); Faro \`initializeFaro({ url, app })\`
  (its default web instrumentations; \`pushLog\`, \`pushMeasurement\`, and \`pushTraces\` with an OTLP span, since the web
  SDK alone has no tracer); OpenTelemetry a \`LoggerProvider\` with \`BatchLogRecordProcessor\`, a \`MeterProvider\` with
  \`PeriodicExportingMetricReader\` and a \`WebTracerProvider\` with \`BatchSpanProcessor\`, each with its OTLP/HTTP JSON
  exporter; Sentry \`Sentry.init({ dsn, tracesSampleRate: 1 })\` (\`Sentry.logger\`, \`Sentry.metrics.gauge\`,
  \`startInactiveSpan\`); PostHog \`posthog.init(key, { api_host, opt_out_useragent_filter: true })\` (\`captureLog\`,
  \`posthog.metrics.gauge\`, and \`capture\` for a span: PostHog has none). posthog-js drops the events, not the logs,
  of an automated browser as a bot's; the option lets them through, as for a user's browser.
- **Size**: each entry bundled by \`scripts/size.js\` \`shippedSize()\` (Vite library build, dependencies bundled, code
  loaded with \`import()\` left out as an app's bundler splits it; chunks the entry imports statically counted), each
  file minified and gzip -9, summed. OpenTelemetry's exporters nest other patch
  versions of its core packages; they are resolved once (\`resolve.dedupe\`), as in an app whose versions line up.
- **The calls**: every library gets the log of \`bench/delivery-page.js\`: \`log(level, 'Quiz answered', { topic, run,
  question, correct, answerMs })\`, \`question\` numbering the logs of a burst; Faro gets the context as strings (its type).
- **Pages**: per run and library three fresh browser contexts (own storage), one per measurement; the library's bundle
  and \`bench/peers/page.js\` are served by the collector from 127.0.0.1 with cross-origin isolation. Set-up is
  \`performance.now()\` around the entry's \`start()\` after the module loaded; then the page is left ${r.settleMs} ms.
- **Bursts** run in one \`setTimeout\` task; "yielding" runs ${int(p.every)} calls per \`setTimeout\` task, calls/s over the
  wall time from the first call to the end of the last chunk (what the library defers runs in between).
- **Delivered**: the collector (\`bench/peers/collector.js\`, \`decode.js\`) answers 200 at once (PostHog \`{"status":1}\`,
  the others \`{}\`), undoes gzip and PostHog's base64 form, and reads each body: Faro's \`logs[]\`, OTLP \`logRecords\`
  (OpenTelemetry and PostHog's \`/i/v1/logs\`), the \`log\` items of Sentry envelopes, our \`logs[]\`. A log counts once by
  its \`question\`; a second arrival is a duplicate. The page waits until every log arrived, or none for ${r.quietMs / 1000} s
  (longer than any peer's idle flush timer: Sentry's 5 s), at most 60 s. Libraries with their own counters say why they
  dropped; the others drop silently.
- **Main thread**: CDP \`Performance.getMetrics\` \`TaskDuration\` just before the burst and when the last new log
  arrived (the burst loop included). Longest task: a Chromium trace (\`toplevel\`) of the page's main thread from the
  burst to the end, the burst loop's own task apart; long tasks ≥ 50 ms from a \`PerformanceObserver('longtask')\`.
- **Bytes**: request bodies as sent (gzip where the library compresses) to the event endpoints from the burst to the end,
  divided by the logs delivered; headers not counted; other items the library sent then (Faro's session and
  web-vitals events, PostHog's page view) are in the bytes.
- **Runs** interleave the libraries (run 1: each library in turn, then run 2, …), so other load falls on all of them.

Run: \`npm run bench:peers\` (\`npm run build:lib\` first; writes this section; about ${Math.max(1, Math.round(r.seconds / 60))} min);
\`node bench/peers.js --quick\` (one run, small counts, libraries at once; prints JSON, writes nothing; the smoke in
\`tests/bench/peers-smoke.test.ts\` runs it within \`npm test\`).
`;
}

/**
 * Puts `section` in place of the section with the same heading (the heading may carry a suffix such as
 * ": TODO"), else before "## Reproduce", else at the end.
 * @param {string} md
 * @param {string} section
 */
export function withPeersSection(md, section) {
  const lines = md.split('\n');
  const at = lines.findIndex((l) => l.startsWith(SECTION_TITLE));
  const body = section.trimEnd().split('\n');
  if (at >= 0) {
    const next = lines.findIndex((l, i) => i > at && l.startsWith('## '));
    return (
      [...lines.slice(0, at), ...body, '', ...(next >= 0 ? lines.slice(next) : [])].join('\n').trimEnd() +
      '\n'
    );
  }
  const repro = lines.findIndex((l) => l.startsWith('## Reproduce'));
  if (repro >= 0) return [...lines.slice(0, repro), ...body, '', ...lines.slice(repro)].join('\n');
  return `${md.trimEnd()}\n\n${section.trimEnd()}\n`;
}
