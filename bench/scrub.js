// Scrubbing cost per event on the record path (sanitizeMessage + sanitizeAttributes), clean and dirty input.
//   node --expose-gc bench/scrub.js           prints JSON (bench/run.js runs it as a child)
//   node --expose-gc bench/scrub.js --write   also rewrites the "## Scrubbing cost" section of BENCHMARKS.md
// Needs the built library (npm run build:lib). SCRUB_BASELINE=/path/to/privacy.js also measures another
// build of the module (e.g. an older commit's), run for run in turn with this one, so both see the same
// machine load; the section then shows both.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MODULE = fileURLToPath(new URL('../dist/telemetry/privacy.js', import.meta.url));
const BASELINE = process.env.SCRUB_BASELINE;
// How the section names the baseline, e.g. "privacy.ts of a091f8a, before the scrubbing rules".
const BASELINE_LABEL = process.env.SCRUB_BASELINE_LABEL;
const OUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const HEADING = '## Scrubbing cost';
export const SCRUB_EVENTS = 20_000; // per run: short runs, so a quiet moment on a shared machine shows
export const SCRUB_WARMUP_RUNS = 2;
export const SCRUB_RUNS = 15;

/**
 * @typedef {object} ScrubCase
 * @property {string} id
 * @property {string} what
 * @property {string} message
 * @property {Record<string, unknown>} context
 */

/** @type {readonly ScrubCase[]} */
export const SCRUB_CASES = [
  {
    id: 'clean',
    what: 'clean: words only',
    message: 'Quiz answered',
    context: { topic: 'Math', question: 7, screen: 'results' },
  },
  {
    id: 'benign',
    what: 'benign: numbers, version, ISO date, score (nothing to replace)',
    message: 'Loaded 42 questions in 1500 ms',
    context: { version: 'v1.2.3', at: '2026-11-29T16:03:38.123Z', score: '9/10' },
  },
  {
    id: 'dirty',
    what: 'dirty: email, IPv4, card, phone, URL query, home path',
    message: 'Login failed for jane.doe@example.com from 203.0.113.42',
    context: {
      note: 'paid with 4111 1111 1111 1111, call +1 415 555 0123',
      link: 'https://app.example.com/reset?code=829301&user=ann',
      file: 'C:\\Users\\alice\\app\\main.js',
    },
  },
];

/**
 * @typedef {object} ScrubSummary
 * @property {number[]} runs ns per event, one per run
 * @property {number} median
 */

/** @param {number[]} a */
const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)] ?? NaN;
};

/**
 * @param {{ sanitizeMessage(v: unknown): string, sanitizeAttributes(v: unknown): object }} api
 * @param {ScrubCase} c
 * @returns {number} ns per event
 */
function run(api, c) {
  let sink = 0;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < SCRUB_EVENTS; i++) {
    sink += api.sanitizeMessage(c.message).length;
    sink += Object.keys(api.sanitizeAttributes(c.context)).length;
  }
  const ns = Number(process.hrtime.bigint() - t0);
  if (sink === 0) throw new Error('nothing measured');
  return ns / SCRUB_EVENTS;
}

/**
 * @typedef {object} ScrubResults
 * @property {boolean} gc
 * @property {Record<string, ScrubSummary>} results
 * @property {string} [baseline] the baseline build (SCRUB_BASELINE_LABEL or its path), when measured
 * @property {Record<string, ScrubSummary>} [baselineResults]
 */

/**
 * @param {string} path
 * @returns {Promise<Parameters<typeof run>[0]>}
 */
async function load(path) {
  if (!existsSync(path)) throw new Error(`${path} is missing: run npm run build:lib first`);
  /** @type {unknown} */
  const mod = await import(pathToFileURL(path).href);
  return /** @type {Parameters<typeof run>[0]} */ (mod);
}

/** @returns {Promise<ScrubResults>} */
export async function measureScrub() {
  const apis = [await load(MODULE), ...(BASELINE ? [await load(BASELINE)] : [])];
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
  /** @type {Record<string, ScrubSummary>[]} */
  const results = apis.map(() => ({}));
  for (const c of SCRUB_CASES) {
    /** @type {number[][]} */
    const runs = apis.map(() => []);
    for (let i = 0; i < SCRUB_WARMUP_RUNS + SCRUB_RUNS; i++) {
      apis.forEach((api, k) => {
        gc?.();
        const ns = run(api, c);
        if (i >= SCRUB_WARMUP_RUNS) runs[k]?.push(ns);
      });
    }
    runs.forEach((r, k) => {
      const target = results[k];
      if (target) target[c.id] = { runs: r, median: median(r) };
    });
  }
  return {
    gc: gc !== undefined,
    results: results[0] ?? {},
    ...(BASELINE ? { baseline: BASELINE_LABEL ?? BASELINE, baselineResults: results[1] ?? {} } : {}),
  };
}

/** @param {number} n */
const ns = (n) => `${Math.round(n).toLocaleString('en-US')} ns`;

/**
 * The BENCHMARKS.md section.
 * @param {Awaited<ReturnType<typeof measureScrub>>} m
 * @param {{ cpu: string, node: string, load: number[] }} machine
 */
export function scrubMarkdown(m, machine) {
  /** @param {ScrubSummary | undefined} r */
  const cell = (r) =>
    r ? `**${ns(r.median)}** (${ns(Math.min(...r.runs))} – ${ns(Math.max(...r.runs))})` : 'n/a';
  const base = m.baselineResults;
  const rows = SCRUB_CASES.map(
    (c) => `| ${c.what} | ${cell(m.results[c.id])} |${base ? ` ${cell(base[c.id])} |` : ''}`,
  );
  const example = (/** @type {string} */ id) => {
    const c = SCRUB_CASES.find((x) => x.id === id);
    return c ? `\`${JSON.stringify(c.message)}\` with \`${JSON.stringify(c.context)}\`` : '';
  };
  return `${HEADING}

The record path of one \`log()\`: \`sanitizeMessage(message)\` + \`sanitizeAttributes(context)\` (the privacy step:
JSON-safe copy, caps, key redaction, pattern scrubbing of every string and key), in Node on the built library
(\`bench/scrub.js\`, \`node --expose-gc\`). ${SCRUB_EVENTS.toLocaleString('en-US')} events per run, ${SCRUB_WARMUP_RUNS} runs discarded,
then the median of ${SCRUB_RUNS} runs and their min – max${base ? ', each run of this build followed by one of the baseline' : ''}.
${machine.cpu}, Node ${machine.node}, load average at start ${machine.load.map((x) => x.toFixed(2)).join(', ')}${machine.load[0] !== undefined && machine.load[0] > 2 ? ' (the machine was shared: compare the columns, not these numbers with the sections above)' : ''}.

| input | ns per event: median (min – max) |${base ? ' baseline: median (min – max) |' : ''}
|---|---|${base ? '---|' : ''}
${rows.join('\n')}
${base ? `\nBaseline: ${m.baseline ?? ''}.\n` : ''}
Inputs: clean ${example('clean')}; benign ${example('benign')}; dirty ${example('dirty')}.
The pre-check is one scan of each string that collects character classes and a few counts (digits,
digit runs, dots, colons); a string with none of the classes a rule needs skips it, so the clean input and
most of the benign one pay that scan only. Dirty strings run each matching rule's pattern.
`;
}

/** @returns {{ cpu: string, node: string, load: number[] }} */
export function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const line = readFileSync('/proc/cpuinfo', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('model name'));
    cpu = line?.split(':')[1]?.trim() ?? cpu;
  } catch {
    // not Linux
  }
  return { cpu: `${cpu}, ${os.cpus().length} cores`, node: process.version, load: os.loadavg() };
}

/**
 * Replaces the section (from its heading to the next "## " or the end) in `md`, or appends it.
 * @param {string} md
 * @param {string} section
 */
export function withScrubSection(md, section) {
  const at = md.indexOf(`\n${HEADING}\n`);
  if (at < 0) return `${md.trimEnd()}\n\n${section}`;
  const next = md.indexOf('\n## ', at + 1);
  return `${md.slice(0, at + 1)}${section}${next < 0 ? '' : `\n${md.slice(next + 1)}`}`;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const m = await measureScrub();
  if (process.argv.includes('--write')) {
    writeFileSync(OUT, withScrubSection(readFileSync(OUT, 'utf8'), scrubMarkdown(m, machine())));
    console.error(`bench: wrote the scrubbing section of ${OUT}`);
  }
  process.stdout.write(`${JSON.stringify(m)}\n`);
}
