// `npm run bench:encoders` (after `npm run build:lib`): for the same 1,000 mixed events, the bytes on the
// wire of each format, the min+gzip size of each encoder entry, and the replay rate of `export`.
// Writes (or replaces) the "## Encoders" section of BENCHMARKS.md. No request leaves 127.0.0.1.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { minify } from 'vite';
import { bundle } from '../scripts/size.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const outFile = join(root, 'BENCHMARKS.md');

/** @param {string} path under dist/ @returns {Promise<unknown>} */
async function dist(path) {
  const file = join(root, 'dist', path);
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build:lib first`);
  return import(pathToFileURL(file).href);
}
const otlp = /** @type {typeof import('../src/telemetry/encoders/otlp.js')} */ (
  await dist('telemetry/encoders/otlp.js')
);
const posthog = /** @type {typeof import('../src/telemetry/encoders/posthog.js')} */ (
  await dist('telemetry/encoders/posthog.js')
);
const native = /** @type {typeof import('../src/telemetry/encoders/native-encoder.js')} */ (
  await dist('telemetry/encoders/native-encoder.js')
);
const exporter = /** @type {typeof import('../src/server/export-run.js')} */ (
  await dist('server/export-run.js')
);

/** Deterministic pseudo-random numbers (mulberry32), so every run encodes the same events. */
function seeded(seed = 42) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const hex = (/** @type {() => number} */ r, /** @type {number} */ n) =>
  Array.from({ length: n }, () => Math.floor(r() * 16).toString(16)).join('');

/** 1,000 events as an app sends them: 600 logs (20 exceptions), 200 spans, 200 web-vital and app metrics. */
export function mixedEvents() {
  const r = seeded();
  const t0 = Date.UTC(2026, 10, 1, 9, 0, 0);
  /** @type {import('../src/telemetry/records.js').BatchItems[]} */
  const singles = [];
  const topics = ['Math', 'History', 'Biology', 'Géographie', '日本語'];
  for (let i = 0; i < 1000; i++) {
    const timestamp = t0 + i * 137;
    const traceId = hex(r, 32);
    const spanId = hex(r, 16);
    const item = { logs: [], traces: [], metrics: [] };
    if (i % 5 < 3) {
      const error = i % 30 === 0;
      /** @type {import('../src/telemetry/records.js').LogRecord} */
      const log = {
        timestamp,
        level: error ? 'error' : i % 7 === 0 ? 'warn' : 'info',
        message: error ? `Cannot read properties of undefined (reading 'score')` : `Quiz step ${i % 12} done`,
        context: { topic: topics[i % topics.length] ?? '', step: i % 12, ok: r() > 0.1 },
        url: `https://quiz.example.com/play/${i % 40}`,
        ...(i % 3 === 0 ? { traceId, spanId } : {}),
      };
      if (error)
        log.exception = {
          type: 'TypeError',
          message: log.message,
          stack: `TypeError: ${log.message}\n    at score (https://quiz.example.com/assets/index-3f9a.js:1:${1000 + i})\n    at submit (https://quiz.example.com/assets/index-3f9a.js:1:${2000 + i})`,
        };
      /** @type {any[]} */ (item.logs).push(log);
    } else if (i % 5 === 3) {
      /** @type {any[]} */ (item.traces).push({
        timestamp,
        traceId,
        spanId,
        ...(i % 2 ? { parentSpanId: hex(r, 16) } : {}),
        name: i % 2 ? 'HTTP GET' : 'render question',
        duration: Math.round(r() * 4000) / 10,
        attributes:
          i % 2
            ? { 'http.method': 'GET', 'http.url': `https://api.example.com/q/${i}`, 'http.status_code': 200 }
            : {},
        ...(i % 20 === 3 ? { status: 'error' } : {}),
      });
    } else {
      const vital = ['LCP', 'CLS', 'INP', 'FCP', 'TTFB', 'answers'][i % 6] ?? 'LCP';
      /** @type {any[]} */ (item.metrics).push({
        timestamp,
        name: vital,
        value: vital === 'CLS' ? Math.round(r() * 1000) / 10000 : Math.round(r() * 30000) / 10,
        labels:
          vital === 'answers' ? {} : { rating: 'good', navigationType: 'navigate', id: `v5-${hex(r, 12)}` },
      });
    }
    singles.push(item);
  }
  return singles;
}

/** The 1,000 events as stored batches of `size`, as the sender hands them to an encoder. @param {number} size */
function batchesOf(size) {
  const events = mixedEvents();
  /** @type {import('../src/telemetry/encoders/encoder.js').EncodableBatch[]} */
  const out = [];
  for (let i = 0; i < events.length; i += size) {
    const slice = events.slice(i, i + size);
    out.push({
      batchId: `bench-${i}`,
      batch: {
        sessionId: 'c0ffee00c0ffee00c0ffee00c0ffee00',
        resource: { app: 'quiz', version: '4.2.0' },
        logs: slice.flatMap((e) => e.logs),
        traces: slice.flatMap((e) => e.traces),
        metrics: slice.flatMap((e) => e.metrics),
      },
    });
  }
  return out;
}

/** gzip as the browser would (CompressionStream), one body at a time. @param {string} text */
async function gzipLength(text) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream('gzip'));
  return (await new Response(stream).arrayBuffer()).byteLength;
}

async function wireBytes() {
  const context = {
    sentAt: Date.UTC(2026, 10, 1, 9, 5),
    token: 'phc_benchkey',
  };
  const encoders = [
    ['native', native.nativeEncoder({ endpoint: '/ingest' })],
    ['OTLP/HTTP JSON', otlp.otlpEncoder({ endpoint: 'https://collector.example.com' })],
    ['PostHog /batch/', posthog.posthogEncoder({ endpoint: 'https://eu.i.posthog.com' })],
  ];
  const rows = [];
  for (const size of [10, 100]) {
    for (const [
      name,
      encoder,
    ] of /** @type {[string, import('../src/telemetry/encoders/encoder.js').Encoder][]} */ (encoders)) {
      let requests = 0;
      let bytes = 0;
      let gzip = 0;
      for (const batch of batchesOf(size)) {
        for (const request of encoder.encode(batch, context)) {
          requests++;
          bytes += Buffer.byteLength(request.body);
          gzip += await gzipLength(request.body);
        }
      }
      rows.push({ name, size, requests, bytes, gzip });
    }
  }
  return rows;
}

async function entrySizes() {
  const cache = join(root, 'node_modules/.cache/pwa-telemetry-bench');
  await mkdir(cache, { recursive: true });
  const entries = [
    ["import * from 'pwa-telemetry/otlp'", 'src/telemetry/encoders/otlp.ts'],
    ["import { otlpEncoder } from 'pwa-telemetry/otlp'", 'otlpEncoder'],
    ["import * from 'pwa-telemetry/posthog'", 'src/telemetry/encoders/posthog.ts'],
    ["import { posthogEncoder } from 'pwa-telemetry/posthog'", 'posthogEncoder'],
  ];
  const out = [];
  for (const [name, what] of entries) {
    let entry = what ?? '';
    if (!entry.includes('/')) {
      // An app importing one name: a tiny entry that re-exports only it, so the rest is tree-shaken.
      const file = join(cache, `${entry}.js`);
      const from = entry === 'otlpEncoder' ? 'otlp' : 'posthog';
      await writeFile(file, `export { ${entry} } from '../../../src/telemetry/encoders/${from}.ts';\n`);
      entry = `node_modules/.cache/pwa-telemetry-bench/${entry}.js`;
    }
    const lib = await bundle(entry);
    const min = await minify('bundle.js', lib, { module: true, compress: true, mangle: true });
    const bytes = Buffer.from(min.code, 'utf8');
    out.push({ name, min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length });
  }
  return out;
}

/** A receiver in its own process (so it does not share the exporter's event loop): reads, answers 200. */
async function startSink() {
  const code = `require('http').createServer((q,s)=>{q.resume();q.on('end',()=>s.end('{}'))}).listen(0,'127.0.0.1',function(){console.log(this.address().port)})`;
  const child = spawn(process.execPath, ['-e', code], { stdio: ['ignore', 'pipe', 'inherit'] });
  /** @type {string} */
  const port = await new Promise((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

async function replayRate() {
  const dir = await mkdtemp(join(os.tmpdir(), 'pwa-telemetry-bench-'));
  const copies = 100; // 100 x 1,000 events
  const lines = { logs: '', traces: '', metrics: '' };
  for (let c = 0; c < copies; c++) {
    for (const [i, e] of mixedEvents().entries()) {
      for (const kind of /** @type {const} */ (['logs', 'traces', 'metrics'])) {
        for (const item of e[kind])
          lines[kind] +=
            `${JSON.stringify({ ...item, timestamp: new Date(item.timestamp).toISOString(), session_id: `s${i % 50}`, batch_id: `b${c}-${Math.floor(i / 10)}`, received_at: new Date(item.timestamp + 500).toISOString() })}\n`;
      }
    }
  }
  for (const kind of /** @type {const} */ (['logs', 'traces', 'metrics'])) {
    await mkdir(join(dir, kind), { recursive: true });
    await writeFile(join(dir, kind, '2026-11-01.jsonl'), lines[kind]);
  }
  const sink = await startSink();
  const results = [];
  try {
    for (const target of /** @type {const} */ (['otlp', 'loki'])) {
      const rates = [];
      for (let run = 0; run < 3; run++) {
        const summary = await exporter.runExport({
          target,
          url: sink.url,
          dataDir: dir,
          kinds: ['logs', 'traces', 'metrics'],
          batchSize: 500,
          checkpointFile: join(dir, `cp-${target}-${run}.json`),
          fallback: { app: 'quiz', version: '4.2.0' },
          post: {},
        });
        const sent = summary.sent.logs + summary.sent.traces + summary.sent.metrics;
        rates.push((sent / summary.elapsedMs) * 1000);
      }
      rates.sort((a, b) => a - b);
      results.push({
        target,
        events: copies * 1000,
        median: rates[1] ?? 0,
        min: rates[0] ?? 0,
        max: rates[2] ?? 0,
      });
    }
  } finally {
    sink.stop();
    await rm(dir, { recursive: true, force: true });
  }
  return results;
}

const int = (/** @type {number} */ n) => Math.round(n).toLocaleString('en-US');

async function main() {
  const started = Date.now();
  const wire = await wireBytes();
  const sizes = await entrySizes();
  const replay = await replayRate();
  const load = os
    .loadavg()
    .map((n) => n.toFixed(2))
    .join(', ');
  const section = `## Encoders

Measured by \`npm run bench:encoders\` (\`bench/encoders.js\`) on ${new Date().toISOString()} in ${Math.round((Date.now() - started) / 1000)} s; load average ${load}.

**Bytes on the wire** for the same 1,000 mixed events (600 logs of which 20 exceptions with stacks, 200 spans,
200 metrics; some non-ASCII text), request bodies only, UTF-8; gzip is \`CompressionStream('gzip')\` per request, as
a browser would compress. OTLP sends one request per kind present in a batch.

| format | batch size | requests | bytes | bytes/event | gzip bytes | gzip bytes/event |
|---|---:|---:|---:|---:|---:|---:|
${wire.map((r) => `| ${r.name} | ${r.size} | ${r.requests} | ${int(r.bytes)} | ${int(r.bytes / 1000)} | ${int(r.gzip)} | ${int(r.gzip / 1000)} |`).join('\n')}

**Encoder entry size**, bundled for the browser as \`scripts/size.js\` does (Vite library build, then minified),
gzip -9. Nothing of these is in \`pwa-telemetry\` unless the app imports the entry.

| import | min | min+gzip |
|---|---:|---:|
${sizes.map((s) => `| \`${s.name}\` | ${int(s.min)} B | ${int(s.gzip)} B |`).join('\n')}

**Export replay rate**: \`runExport\` (what \`pwa-telemetry export\` runs) over ${int(replay[0]?.events ?? 0)} stored events
(one day file per kind), batches of 500, to a receiver in its own process on 127.0.0.1 that reads each body
and answers 200 (so this is the exporter's cost: reading, mapping, JSON, HTTP). Median of 3 runs (min–max).

| target | events/s |
|---|---:|
${replay.map((r) => `| ${r.target === 'otlp' ? 'OTLP/HTTP JSON' : 'Loki push'} | ${int(r.median)} (${int(r.min)}–${int(r.max)}) |`).join('\n')}
`;
  const doc = readFileSync(outFile, 'utf8');
  const start = doc.indexOf('## Encoders');
  let next;
  if (start !== -1) {
    const after = doc.indexOf('\n## ', start + 1);
    next = doc.slice(0, start) + section + (after === -1 ? '' : doc.slice(after));
  } else {
    const at = doc.indexOf('## Reproduce');
    next = at === -1 ? `${doc}\n${section}` : `${doc.slice(0, at)}${section}\n${doc.slice(at)}`;
  }
  writeFileSync(outFile, next);
  console.log(section);
}

await main();
