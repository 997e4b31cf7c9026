// Child process of bench/run.js (node --expose-gc): hot-path calls per second in Node, printed as JSON.
import { HOT_CASES, HOT_RUNS, HOT_WARMUP_RUNS, hotRun, median, planFor } from './hot.js';
import { loadDist } from './load-dist.js';

const api = await loadDist();
const gc = globalThis.gc;

/** @typedef {{ gc: boolean, results: Record<string, import('./hot.js').HotSummary> }} NodeHotResults */

/** @type {NodeHotResults['results']} */
const results = {};
for (const c of HOT_CASES) {
  if (c.browserOnly) continue;
  /** @type {number[]} */
  const runs = [];
  let calls = 0;
  for (let i = 0; i < HOT_WARMUP_RUNS + HOT_RUNS; i++) {
    gc?.();
    const r = hotRun(api, c, planFor(c));
    if (i < HOT_WARMUP_RUNS) continue;
    runs.push(r.perSec);
    calls = r.calls;
  }
  results[c.id] = { runs, median: median(runs), calls };
}
/** @type {NodeHotResults} */
const output = { gc: gc !== undefined, results };
process.stdout.write(`${JSON.stringify(output)}\n`);
// The clients' stopped timers are gone, but do not wait on anything else.
process.exit(0);
