// Peers side by side, in one Chromium run (issue 11): `npm run bench:peers` (node bench/peers.js).
// pwa-telemetry and its peers (Grafana Faro web SDK, OpenTelemetry JS, @sentry/browser, posthog-js),
// each configured for the same job by its entry under bench/peers/, each bundled from that entry as
// scripts/size.js bundles ours, each driven by the same page (bench/peers/page.js) against one local
// collector (bench/peers/collector.js) that reads every library's bodies and counts what arrived.
//   1. size: min+gzip of each entry
//   2. whether each delivers a log, a metric and a span (one page each, in parallel)
//   3. per run and library, three fresh pages: set-up time in each; a burst of BURST logs in one task
//      (main-thread time and longest task until delivered, bytes per event); a burst of BIG_BURST
//      (calls/s, share delivered); YIELD_CALLS calls yielding every 1,000 (calls/s, share delivered)
// --quick: one run, small counts, prints JSON, writes nothing (the CI smoke, tests/bench/peers-smoke.test.ts).
// Otherwise writes the section "Peers side by side" of BENCHMARKS.md. No request leaves 127.0.0.1.
import { readFile } from 'node:fs/promises';
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from '@playwright/test';
import { bundle, shippedSize } from '../scripts/size.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './browser.js';
import { startCollector } from './peers/collector.js';
import { LIBRARIES, versionsOf } from './peers/libraries.js';
import { kinds, measure, QUIET_MS, SETTLE_MS } from './peers/measure.js';
import { peersMarkdown, SECTION_TITLE, withPeersSection } from './peers/report.js';

export const QUICK = process.argv.includes('--quick');

/** Sizes of a full run and of the smoke run. */
export const PLAN = QUICK
  ? // A smoke waits 2 s after the last log, 4.5 s for the first (PostHog's come after its 3 s flush interval).
    {
      runs: 1,
      burst: 1_000,
      bigBurst: 2_000,
      yieldCalls: 5_000,
      every: 1_000,
      kindsWaitMs: 15_000,
      quietMs: 2_000,
      firstMs: 4_500,
      settleMs: 300,
    }
  : {
      runs: 3,
      burst: 1_000,
      bigBurst: 10_000,
      yieldCalls: 50_000,
      every: 1_000,
      kindsWaitMs: 15_000,
      quietMs: QUIET_MS,
      firstMs: QUIET_MS,
      settleMs: SETTLE_MS,
    };

/** @typedef {import('./peers/measure.js').Measure} Measure */

/**
 * @typedef {object} LibraryResult
 * @property {string} id
 * @property {string} name
 * @property {string} versions
 * @property {{ min: number, gzip: number }} size
 * @property {Awaited<ReturnType<typeof kinds>>} kinds
 * @property {Measure[]} burst
 * @property {Measure[]} bigBurst
 * @property {Measure[]} yielding
 */

export async function runPeers() {
  const started = new Date();
  const loadStart = os.loadavg();
  const t0 = performance.now();
  const benchDir = fileURLToPath(new URL('.', import.meta.url));
  /** @type {Record<string, string>} */
  const files = {
    '/bench/peers/page.js': await readFile(`${benchDir}/peers/page.js`, 'utf8'),
    '/bench/delivery-page.js': await readFile(`${benchDir}/delivery-page.js`, 'utf8'),
  };
  /** @type {LibraryResult[]} */
  const results = [];
  const built = await Promise.all(
    LIBRARIES.map(async (lib) => ({
      size: await shippedSize(lib.entry, { dedupe: lib.dedupe }),
      // The page gets everything in one file (our OTLP and PostHog encoders are split off for the size).
      page: await bundle(lib.entry, { dedupe: lib.dedupe, inline: true }),
    })),
  );
  for (const [i, lib] of LIBRARIES.entries()) {
    const { size, page } = built[i] ?? { size: { min: NaN, gzip: NaN }, page: '' };
    files[`/lib/${lib.id}.js`] = page;
    results.push({
      id: lib.id,
      name: lib.name,
      versions: versionsOf(lib),
      size,
      kinds: { log: false, metric: false, span: false, names: {}, errors: [] },
      burst: [],
      bigBurst: [],
      yielding: [],
    });
  }
  const collector = await startCollector(
    files,
    LIBRARIES.map((l) => l.id),
  );
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  try {
    const kindChecks = async () => {
      const found = await Promise.all(
        results.map((r) =>
          kinds({ browser, collector, lib: r.id, run: `${r.id}k`, waitMs: PLAN.kindsWaitMs }),
        ),
      );
      found.forEach((k, i) => {
        const r = results[i];
        if (r) r.kinds = k;
      });
    };
    /** @param {LibraryResult} r @param {number} run */
    const burst = async (r, run) =>
      r.burst.push(
        await measure({
          browser,
          collector,
          lib: r.id,
          run: `${r.id}${run}b`,
          mode: 'burst',
          events: PLAN.burst,
          trace: true,
          quietMs: PLAN.quietMs,
          firstMs: PLAN.firstMs,
          settleMs: PLAN.settleMs,
        }),
      );
    /** @param {LibraryResult} r @param {number} run */
    const others = async (r, run) => {
      const common = {
        browser,
        collector,
        lib: r.id,
        quietMs: PLAN.quietMs,
        firstMs: PLAN.firstMs,
        settleMs: PLAN.settleMs,
      };
      r.bigBurst.push(
        await measure({ ...common, run: `${r.id}${run}B`, mode: 'burst', events: PLAN.bigBurst }),
      );
      r.yielding.push(
        await measure({
          ...common,
          run: `${r.id}${run}y`,
          mode: 'yielding',
          events: PLAN.yieldCalls,
          every: PLAN.every,
        }),
      );
    };
    const at = () => `${((performance.now() - t0) / 1000).toFixed(1)} s`;
    console.error(`peers: bundled and started in ${at()}`);
    if (QUICK) {
      // A smoke: the traced bursts one after another (one trace per browser at a time), beside the
      // other measurements of every library at once. Its figures only show that everything runs.
      const bursts = async () => {
        for (const r of results) await burst(r, 0);
      };
      await Promise.all([bursts(), kindChecks(), ...results.map((r) => others(r, 0))]);
    } else {
      await kindChecks();
      // Runs interleave the libraries, so load from other work on the machine falls on all of them.
      for (let run = 0; run < PLAN.runs; run++) {
        for (const r of results) {
          console.error(`peers: run ${run + 1}/${PLAN.runs} ${r.id}`);
          await burst(r, run);
          await others(r, run);
        }
      }
    }
    return {
      quick: QUICK,
      plan: PLAN,
      settleMs: PLAN.settleMs,
      quietMs: PLAN.quietMs,
      started: started.toISOString(),
      seconds: (performance.now() - t0) / 1000,
      chromium: browser.version(),
      machine: {
        cpu: cpuModel(),
        cores: os.cpus().length,
        node: process.version,
        loadStart,
        loadEnd: os.loadavg(),
      },
      unknownRequests: collector.unknown,
      libraries: results,
    };
  } finally {
    console.error(`peers: measured in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    await browser.close();
    await collector.close();
  }
}

/** @typedef {Awaited<ReturnType<typeof runPeers>>} PeersResults */

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

async function main() {
  const r = await runPeers();
  console.log(JSON.stringify(r));
  if (QUICK) return;
  const file = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
  writeFileSync(file, withPeersSection(readFileSync(file, 'utf8'), peersMarkdown(r)));
  console.error(`peers: wrote the section "${SECTION_TITLE}" of ${file} in ${r.seconds.toFixed(0)} s`);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
