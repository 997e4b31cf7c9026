// The local HTTP server of the peers bench: serves each library's page and bundle, and accepts every
// library's requests under /r/<run>/… (Faro's /collect, OTLP/HTTP JSON /v1/*, Sentry envelopes,
// PostHog's events, logs, metrics, flags and config, our /ingest). It answers at once and counts, per
// run, requests and body bytes as sent, and the items decode.js finds in the bodies.
import { createServer } from 'node:http';
import { decode, formatOf } from './decode.js';

/** The message of every log a burst makes (bench/peers/page.js). */
export const BENCH_MESSAGE = 'Quiz answered';

/**
 * @typedef {object} RunStats
 * @property {number} requests requests that carry events
 * @property {number} wireBytes their bodies as sent (gzip when so encoded)
 * @property {number} items every item found: logs, metric points, spans, events
 * @property {Record<string, number>} names items by `<kind>:<name>`
 * @property {Set<number>} bench question numbers of bench logs seen
 * @property {number} benchArrivals bench logs received, duplicates included
 * @property {number} lastBenchAt epoch ms when a new bench log last arrived
 * @property {string[]} errors bodies that could not be read
 */

/** @returns {RunStats} */
const emptyRun = () => ({
  requests: 0,
  wireBytes: 0,
  items: 0,
  names: {},
  bench: new Set(),
  benchArrivals: 0,
  lastBenchAt: NaN,
  errors: [],
});

const ISOLATION = {
  // Cross-origin isolation: performance.now() at 5 µs instead of 100 µs.
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
  'Cache-Control': 'no-store',
};

/** @param {string} id */
const html = (id) => `<!doctype html>
<meta charset="utf-8">
<title>peers bench: ${id}</title>
<script type="module">
  import { start } from '/lib/${id}.js';
  import { setup } from '/bench/peers/page.js';
  setup(start);
</script>
`;

/**
 * What PostHog's page-side requests that carry no events get: flags without any, an empty remote
 * config (so no extension is loaded).
 * @param {string} path
 * @returns {{ type: string, body: string } | undefined}
 */
function posthogControl(path) {
  if (/\/(flags|decide)\/?$/.test(path))
    return {
      type: 'application/json',
      body: '{"featureFlags":{},"featureFlagPayloads":{},"errorsWhileComputingFlags":false}',
    };
  if (/\/array\/[^/]+\/config\.js$/.test(path)) return { type: 'text/javascript', body: '' };
  if (/\/array\/[^/]+\/config$/.test(path)) return { type: 'application/json', body: '{}' };
  return undefined;
}

/**
 * @param {Record<string, string>} files path → JavaScript served at that path
 * @param {string[]} ids the libraries that have a page at /page/<id>
 */
export async function startCollector(files, ids) {
  /** @type {Map<string, RunStats>} */
  const runs = new Map();
  /** @type {string[]} */
  const unknown = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const path = url.pathname;
    /** @param {number} status @param {string} type @param {string} body */
    const send = (status, type, body) => {
      res.writeHead(status, { ...ISOLATION, 'Content-Type': type });
      res.end(body);
    };
    const page = /^\/page\/(\w+)$/.exec(path);
    if (req.method === 'GET' && page && ids.includes(page[1] ?? ''))
      return send(200, 'text/html; charset=utf-8', html(page[1] ?? ''));
    const js = req.method === 'GET' ? files[path] : undefined;
    if (js !== undefined) return send(200, 'text/javascript; charset=utf-8', js);
    const m = /^\/r\/(\w+)(\/.*)$/.exec(path);
    if (!m) return send(404, 'text/plain', 'not found');
    const run = m[1] ?? '';
    const rest = m[2] ?? '/';
    const control = posthogControl(rest);
    const format = formatOf(rest);
    /** @type {Buffer[]} */
    const chunks = [];
    req.on('data', (/** @type {Buffer} */ c) => chunks.push(c));
    req.on('end', () => {
      if (control) return send(200, control.type, control.body);
      if (req.method === 'OPTIONS') return send(204, 'text/plain', '');
      if (req.method !== 'POST' || !format) {
        if (unknown.length < 50) unknown.push(`${req.method ?? '?'} ${rest}`);
        return send(404, 'text/plain', 'not found');
      }
      const r = runs.get(run) ?? emptyRun();
      runs.set(run, r);
      const body = Buffer.concat(chunks);
      r.requests++;
      r.wireBytes += body.length;
      try {
        const now = performance.timeOrigin + performance.now();
        for (const item of decode(format, body)) {
          r.items++;
          const key = `${item.kind}:${item.name}`;
          r.names[key] = (r.names[key] ?? 0) + 1;
          if (item.kind !== 'log' || item.name !== BENCH_MESSAGE || item.question === undefined) continue;
          r.benchArrivals++;
          if (!r.bench.has(item.question)) {
            r.bench.add(item.question);
            r.lastBenchAt = now;
          }
        }
      } catch (error) {
        if (r.errors.length < 10) r.errors.push(`${rest}: ${String(error)}`);
      }
      // PostHog reads { status: 1 }; the others only the status code.
      send(200, 'application/json', format === 'posthog-events' ? '{"status":1}' : '{}');
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(undefined)));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('collector has no port');
  const origin = `http://127.0.0.1:${address.port}`;
  return {
    origin,
    unknown,
    /** @param {string} id */
    pageUrl: (id) => `${origin}/page/${id}`,
    /** @param {string} run */
    base: (run) => `${origin}/r/${run}`,
    /** @param {string} run */
    stats: (run) => runs.get(run) ?? emptyRun(),
    close: () => new Promise((resolve) => server.close(() => resolve(undefined))),
  };
}
