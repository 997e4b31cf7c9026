// @ts-check
/**
 * `npm run bench:dashboard`: the dashboard over 1,000,000 stored lines. Generates JSONL straight into a
 * temp data dir (as the store writes it), starts the real server from dist/ (`npm run build:lib`), and
 * measures: the index build on start, each API view's answer time (several runs, min–max), each view's
 * first render in Chromium (navigation to "updated", min–max), the server's memory, and the size of
 * the dashboard bundle (dist/dashboard, `npm run build:dashboard`). Prints a Markdown section.
 *
 * LINES (default 1,000,000) changes the volume; RUNS (default 5) the repetitions; SCREENSHOT=<png>
 * also saves a screenshot of the vitals view (SCREENSHOT_VIEW for another) of this data.
 */
import { mkdtemp, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { chromium } from '@playwright/test';
import { CHROMIUM_ARGS } from '../scripts/chromium.js';

const LINES = Number(process.env.LINES || 1_000_000);
const RUNS = Number(process.env.RUNS || 5);
const DAY = 86_400_000;
const root = new URL('..', import.meta.url);

/** @type {unknown} */
const loaded = await import(new URL('dist/server/index.js', root).href);
const { startServer } = /** @type {typeof import('../src/server/index.js')} */ (loaded);

/** A deterministic pseudo-random source, so every run stores the same data. */
let seed = 42;
const rand = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31;
/** @param {readonly string[]} list */
const pick = (list) => list[Math.floor(rand() * list.length)] ?? list[0] ?? '';

const VERSIONS = ['1.0.0', '1.1.0', '1.2.0'];
const SESSIONS = Array.from({ length: 5000 }, (_, i) => `session-${i.toString(36).padStart(6, '0')}`);
/** @type {[string, number][]} */
const VITALS = [
  ['web_vital_lcp', 2500],
  ['web_vital_inp', 200],
  ['web_vital_cls', 0.1],
  ['web_vital_fcp', 1800],
  ['web_vital_ttfb', 800],
];
const MESSAGES = ['Quiz started', 'Answer submitted', 'Question loaded', 'Settings saved', 'Slow render'];
const ERRORS = ['x is undefined', 'Cannot read properties of null', 'NetworkError when fetching'];

/**
 * One stored line of `kind` at `t`, shaped as the store writes it.
 * @param {'logs'|'metrics'|'traces'} kind
 * @param {number} t
 * @param {number} i
 */
function line(kind, t, i) {
  const session = pick(SESSIONS);
  const extra = {
    session_id: session,
    batch_id: `b${Math.floor(i / 10)}`,
    received_at: new Date(t + 500).toISOString(),
    resource: { app: 'quiz', version: pick(VERSIONS) },
  };
  const timestamp = new Date(t).toISOString();
  if (kind === 'metrics') {
    const [name, good] = VITALS[Math.floor(rand() * VITALS.length)] ?? ['web_vital_lcp', 2500];
    return { timestamp, name, value: good * rand() * 2.2, labels: {}, ...extra };
  }
  if (kind === 'traces') {
    return {
      timestamp,
      traceId: (Math.floor(i / 4) + 1).toString(16).padStart(32, '0'),
      spanId: (i + 1).toString(16).padStart(16, '0'),
      name: pick(['HTTP GET', 'HTTP POST', 'render', 'api.generateQuestions']),
      duration: Math.round(rand() * 800),
      attributes: { 'http.url': '/api/echo' },
      ...extra,
    };
  }
  if (rand() < 0.05) {
    const message = pick(ERRORS);
    return {
      timestamp,
      level: 'error',
      message,
      context: {},
      exception: {
        type: 'TypeError',
        message,
        stack: `TypeError: ${message}\n    at f${Math.floor(rand() * 3)} (app.js:1:2)`,
      },
      ...extra,
    };
  }
  return {
    timestamp,
    level: pick(['debug', 'info', 'info', 'warn']),
    message: `${pick(MESSAGES)} #${i % 1000}`,
    context: { n: i },
    ...extra,
  };
}

/** Writes LINES lines (half logs, 30% metrics, 20% traces) over the last 2 days. */
async function generate(/** @type {string} */ dir, /** @type {number} */ now) {
  /** @type {[ 'logs'|'metrics'|'traces', number ][]} */
  const shares = [
    ['logs', 0.5],
    ['metrics', 0.3],
    ['traces', 0.2],
  ];
  for (const [kind, share] of shares) {
    await mkdir(join(dir, kind), { recursive: true });
    const count = Math.round(LINES * share);
    /** @type {Map<string, string[]>} */
    const byDay = new Map();
    for (let i = 0; i < count; i++) {
      const t = now - 2 * DAY + Math.floor((i / count) * 2 * DAY);
      const day = new Date(t).toISOString().slice(0, 10);
      const list = byDay.get(day) ?? [];
      list.push(JSON.stringify(line(kind, t, i)));
      byDay.set(day, list);
    }
    for (const [day, lines] of byDay)
      await writeFile(join(dir, kind, `${day}.jsonl`), `${lines.join('\n')}\n`);
  }
}

/** @param {number[]} xs */
const range = (xs) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;

async function bundleSize() {
  const dir = new URL('dist/dashboard/assets/', root);
  let raw = 0;
  let gz = 0;
  for (const name of await readdir(dir)) {
    const data = await readFile(new URL(name, dir));
    raw += data.length;
    gz += gzipSync(data, { level: 9 }).length;
  }
  const html = await stat(new URL('dist/dashboard/index.html', root));
  return { raw: raw + html.size, gz };
}

// KEEP_DIR=<path>: generate there and keep it (to profile or re-run on the same data).
const keep = process.env.KEEP_DIR || undefined;
const dir = keep ?? (await mkdtemp(join(tmpdir(), 'pwa-telemetry-dash-bench-')));
const now = Date.now();
try {
  let t0 = performance.now();
  await generate(dir, now);
  const genMs = performance.now() - t0;
  const size = (await readdir(dir, { recursive: true })).length;

  const loadBefore = loadavg();
  t0 = performance.now();
  const server = await startServer({ port: 0, host: '127.0.0.1', dataDir: dir, onError: console.error });
  const startMs = performance.now() - t0;
  t0 = performance.now();
  const first = await fetch(`${server.url}/dashboard/api/meta`);
  await first.arrayBuffer();
  const indexMs = performance.now() - t0;
  const rssMb = process.memoryUsage().rss / 2 ** 20;

  const views = [
    'vitals',
    'logs',
    'logs?q=slow&level=warn',
    'logs?page=100',
    'errors',
    'traces',
    'health',
    'meta',
  ];
  /** @type {[string, number[], number[]][]} */
  const api = [];
  for (const view of views) {
    const [name, query = ''] = view.split('?');
    /** @type {number[]} */
    const times = [];
    /** @type {number[]} */
    const cpu = [];
    for (let r = 0; r < RUNS; r++) {
      const params = new URLSearchParams(query);
      if (name !== 'meta') params.set('from', String(now - 7 * DAY));
      params.set('to', String(now));
      const start = performance.now();
      const cpu0 = process.cpuUsage();
      const res = await fetch(`${server.url}/dashboard/api/${name}?${params}`);
      await res.arrayBuffer();
      times.push(performance.now() - start);
      // CPU time of this process (server and client side of the request): what other load cannot inflate.
      const used = process.cpuUsage(cpu0);
      cpu.push((used.user + used.system) / 1000);
    }
    api.push([view, times, cpu]);
  }
  const traceTimes = [];
  const traceCpu = [];
  for (let r = 0; r < RUNS; r++) {
    const start = performance.now();
    const cpu0 = process.cpuUsage();
    const id = (1234 + r).toString(16).padStart(32, '0');
    await (await fetch(`${server.url}/dashboard/api/trace?id=${id}`)).arrayBuffer();
    traceTimes.push(performance.now() - start);
    const used = process.cpuUsage(cpu0);
    traceCpu.push((used.user + used.system) / 1000);
  }
  api.push(['trace (one waterfall)', traceTimes, traceCpu]);

  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
    args: CHROMIUM_ARGS,
  });
  /** @type {[string, number[]][]} */
  const render = [];
  for (const view of ['vitals', 'logs', 'errors', 'traces', 'health']) {
    /** @type {number[]} */
    const times = [];
    for (let r = 0; r < RUNS; r++) {
      const page = await browser.newPage();
      const start = performance.now();
      await page.goto(`${server.url}/dashboard/#${view}?range=7d`);
      await page.waitForSelector('#status[data-ready]');
      times.push(performance.now() - start);
      await page.close();
    }
    render.push([view, times]);
  }
  // SCREENSHOT=docs/dashboard.png: the image the README shows, of this data.
  if (process.env.SCREENSHOT) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    await page.goto(`${server.url}/dashboard/#${process.env.SCREENSHOT_VIEW || 'vitals'}?range=all`);
    await page.waitForSelector('#status[data-ready]');
    await page.screenshot({ path: process.env.SCREENSHOT });
    await page.close();
  }
  await browser.close();
  await server.close();
  const bundle = await bundleSize();

  const out = [
    `Measured by \`npm run bench:dashboard\` (\`bench/dashboard.js\`) on ${new Date().toISOString()}: ${LINES.toLocaleString('en-US')} stored lines`,
    `(${size} files over 3 days: 50% logs, 30% web-vital metrics, 20% spans; 5,000 sessions, 3 versions), generated in ${(genMs / 1000).toFixed(1)} s.`,
    `Each figure is min–max of ${RUNS} runs, in ms; the range asked for is 7 days (all of the data).`,
    '',
    `- Server start (the store's own dedupe scan, before it listens): ${(startMs / 1000).toFixed(1)} s; then the dashboard index build`,
    `  (listening to the first API answer): **${(indexMs / 1000).toFixed(1)} s**; process RSS after both: ${rssMb.toFixed(0)} MB.`,
    `- Load average (1 min) at start ${loadBefore[0]?.toFixed(1)}, at end ${loadavg()[0]?.toFixed(1)} (2 cores; other work was running).`,
    `- Dashboard bundle: ${bundle.raw.toLocaleString('en-US')} B, **${bundle.gz.toLocaleString('en-US')} B gzip** (JS + CSS, uPlot included; index.html not gzipped in the sum).`,
    '',
    '| API view | answer, wall (ms) | CPU time (ms) |',
    '|---|---:|---:|',
    ...api.map(([v, t, c]) => `| \`${v}\` | ${range(t)} | ${range(c)} |`),
    '',
    '| view, first render in Chromium (navigation to data drawn) | ms |',
    '|---|---:|',
    ...render.map(([v, t]) => `| ${v} | ${range(t)} |`),
  ];
  console.log(out.join('\n'));
} finally {
  if (!keep) await rm(dir, { recursive: true, force: true });
}
