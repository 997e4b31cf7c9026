// `npm run bench:ingest`: our ingest server side by side with the seed's ingest.php under `php -S`
// and under nginx + php-fpm, driven by wrk on 127.0.0.1 (2 threads, bench/ingest-wrk.lua gives each
// request its own batchId). Cells run interleaved (run 1 of every cell, then run 2, ...) so the
// ratios of one run share the machine's load. After each cell, what the peer stored is read back.
// Writes bench/results/ingest-<time>.json and the "Ingest server throughput" section of BENCHMARKS.md.
// Options: --quick (1 run of 2 s, a smoke), env BENCH_SECONDS (default 6), BENCH_RUNS (default 3),
// BENCH_CELLS (e.g. 20/16,200/16).
import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { nativeBody } from './ingest-body.js';
import { PEERS, TOKEN } from './ingest-peers.js';
import { writeSection } from './ingest-report.js';
import { checkStored, readStored } from './ingest-verify.js';

const run = promisify(execFile);
const benchDir = fileURLToPath(new URL('.', import.meta.url));
const quick = process.argv.includes('--quick');
const SECONDS = quick ? 2 : Number(process.env.BENCH_SECONDS ?? 6);
const RUNS = quick ? 1 : Number(process.env.BENCH_RUNS ?? 3);
const WARMUP_SECONDS = 1;
const ALL_CELLS = [
  { events: 20, connections: 16 },
  { events: 20, connections: 64 },
  { events: 200, connections: 16 },
  { events: 200, connections: 64 },
];
// BENCH_CELLS=20/16,200/16 measures only those (events/connections).
const CELLS = process.env.BENCH_CELLS
  ? ALL_CELLS.filter((c) => process.env.BENCH_CELLS?.split(',').includes(`${c.events}/${c.connections}`))
  : ALL_CELLS;

/** @typedef {{ requests: number, durationUs: number, status: number, connect: number, read: number, write: number, timeout: number, p50Us: number, p99Us: number }} WrkSummary */
/** @typedef {{ peer: string, events: number, connections: number, run: number, eventsPerSec: number, requestsPerSec: number, p50Ms: number, p99Ms: number, errors: number, problems: string[] }} Result */

if (!spawnSync('sh', ['-c', 'command -v wrk']).stdout.length) {
  console.error('bench:ingest: wrk is not installed (Debian package wrk); nothing measured.');
  process.exit(1);
}
const peers = PEERS.filter((peer) => {
  const why = peer.missing();
  if (why) console.error(`bench:ingest: skipping ${peer.name}: ${why}`);
  return !why;
});

const work = mkdtempSync(join(os.tmpdir(), 'bench-ingest-'));
const bodies = new Map(
  [20, 200].map((events) => {
    const file = join(work, `body-${events}.json`);
    writeFileSync(file, nativeBody(events));
    return [events, file];
  }),
);

/**
 * One wrk run; resolves with wrk's JSON summary line.
 * @param {{ port: number, path: string }} peer @param {string} body @param {number} connections
 * @param {number} seconds @param {string} prefix
 */
async function wrk(peer, body, connections, seconds, prefix) {
  const args = ['-t', '2', '-c', String(connections), '-d', `${seconds}s`, '--timeout', '5s'];
  args.push('-s', join(benchDir, 'ingest-wrk.lua'), `http://127.0.0.1:${peer.port}${peer.path}`);
  args.push('--', body, peer.path, TOKEN, prefix);
  const { stdout } = await run('wrk', args, { timeout: (seconds + 30) * 1000 });
  const line = stdout.trim().split('\n').pop() ?? '';
  /** @type {unknown} */
  const summary = JSON.parse(line);
  return /** @type {WrkSummary} */ (summary);
}

/** @type {Result[]} */
const results = [];
const started = Date.now();
const loadBefore = os.loadavg();
for (let r = 1; r <= RUNS; r++) {
  for (const cell of CELLS) {
    for (const kind of peers) {
      const dir = mkdtempSync(join(work, 'peer-'));
      const peer = await kind.start(dir);
      /** @type {Awaited<ReturnType<typeof wrk>>} */
      let warm, measured;
      try {
        const body = /** @type {string} */ (bodies.get(cell.events));
        warm = await wrk(peer, body, cell.connections, WARMUP_SECONDS, `w${r}`);
        measured = await wrk(peer, body, cell.connections, SECONDS, `r${r}`);
      } finally {
        await peer.stop();
      }
      const stored = await readStored(peer.dataDir);
      // Only the measured run's batches are checked batch by batch (the warm-up's share the files).
      const perBatch = new Map([...stored.perBatch].filter(([id]) => id.startsWith(`r${r}-`)));
      const acked = measured.requests - measured.status;
      const problems = checkStored(
        peer.dedupes ? { ...stored, perBatch } : stored,
        peer.dedupes
          ? { events: cell.events, acked, inFlight: cell.connections, dedupes: true }
          : { events: cell.events, acked: acked + warm.requests - warm.status, inFlight: 0, dedupes: false },
      );
      const errors = measured.status + measured.connect + measured.read + measured.write + measured.timeout;
      const seconds = measured.durationUs / 1e6;
      /** @type {Result} */
      const result = {
        peer: peer.name,
        ...cell,
        run: r,
        requestsPerSec: acked / seconds,
        eventsPerSec: (acked * cell.events) / seconds,
        p50Ms: measured.p50Us / 1000,
        p99Ms: measured.p99Us / 1000,
        errors,
        problems,
      };
      results.push(result);
      const k = (result.eventsPerSec / 1000).toFixed(0);
      console.log(
        `run ${r} ${cell.events} events x ${cell.connections} conns  ${peer.name.padEnd(34)} ${k.padStart(5)}k events/s` +
          `  p99 ${result.p99Ms.toFixed(1)} ms  errors ${errors}${problems.length ? `  STORED WRONG: ${problems.join('; ')}` : ''}`,
      );
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
rmSync(work, { recursive: true, force: true });

const meta = {
  date: new Date(started).toISOString(),
  minutes: (Date.now() - started) / 60_000,
  seconds: SECONDS,
  runs: RUNS,
  loadBefore,
  loadAfter: os.loadavg(),
  bodyBytes: Object.fromEntries([20, 200].map((n) => [n, nativeBody(n).length])),
  skipped: PEERS.filter((p) => p.missing()).map((p) => `${p.name}: ${p.missing()}`),
};
const resultsDir = join(benchDir, 'results');
mkdirSync(resultsDir, { recursive: true });
writeFileSync(
  join(resultsDir, `ingest-${meta.date.replace(/[:.]/g, '-')}.json`),
  JSON.stringify({ meta, results }, null, 2),
);
if (!quick) writeSection(meta, results);
// Ours must store right; a PHP peer's shortfall is reported, not a failure of this bench.
const wrong = results.filter((r) => r.problems.length > 0 && r.peer.startsWith('pwa-telemetry'));
process.exitCode = wrong.length > 0 ? 1 : 0;
