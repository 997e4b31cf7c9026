// Scrubbing cost per event on the record path (sanitizeMessage + sanitizeAttributes), clean and dirty input.
//   node --expose-gc bench/scrub.js           prints JSON (bench/run.js runs it as a child)
//   node --expose-gc bench/scrub.js --write   also rewrites the "## Scrubbing cost" section of BENCHMARKS.md
// Needs the built library (npm run build:lib). SCRUB_MODULE=/path/to/privacy.js measures another build
// of the same module (e.g. an older commit's) for comparison.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';

const MODULE =
  process.env.SCRUB_MODULE ?? fileURLToPath(new URL('../dist/telemetry/privacy.js', import.meta.url));
const OUT = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const HEADING = '## Scrubbing cost';
export const SCRUB_EVENTS = 100_000; // per run
export const SCRUB_WARMUP_RUNS = 2;
export const SCRUB_RUNS = 9;

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
    what: 'benign: numbers, version, date (pass the pre-check, nothing replaced)',
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
      file: '/home/alice/app/main.js',
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

/** @returns {Promise<{ module: string, gc: boolean, results: Record<string, ScrubSummary> }>} */
export async function measureScrub() {
  if (!existsSync(MODULE)) throw new Error(`${MODULE} is missing: run npm run build:lib first`);
  /** @type {unknown} */
  const mod = await import(pathToFileURL(MODULE).href);
  const api = /** @type {Parameters<typeof run>[0]} */ (mod);
  const gc = /** @type {(() => void) | undefined} */ (globalThis.gc);
  /** @type {Record<string, ScrubSummary>} */
  const results = {};
  for (const c of SCRUB_CASES) {
    /** @type {number[]} */
    const runs = [];
    for (let i = 0; i < SCRUB_WARMUP_RUNS + SCRUB_RUNS; i++) {
      gc?.();
      const ns = run(api, c);
      if (i >= SCRUB_WARMUP_RUNS) runs.push(ns);
    }
    results[c.id] = { runs, median: median(runs) };
  }
  return { module: MODULE, gc: gc !== undefined, results };
}

/** @param {number} n */
const ns = (n) => `${Math.round(n).toLocaleString('en-US')} ns`;

/**
 * The BENCHMARKS.md section.
 * @param {Awaited<ReturnType<typeof measureScrub>>} m
 * @param {{ cpu: string, node: string, load: number[] }} machine
 */
export function scrubMarkdown(m, machine) {
  const rows = SCRUB_CASES.map((c) => {
    const r = m.results[c.id];
    return r
      ? `| ${c.what} | **${ns(r.median)}** | ${ns(Math.min(...r.runs))} – ${ns(Math.max(...r.runs))} |`
      : `| ${c.what} | n/a | n/a |`;
  });
  const example = (/** @type {string} */ id) => {
    const c = SCRUB_CASES.find((x) => x.id === id);
    return c ? `\`${JSON.stringify(c.message)}\` with \`${JSON.stringify(c.context)}\`` : '';
  };
  return `${HEADING}

The record path of one \`log()\`: \`sanitizeMessage(message)\` + \`sanitizeAttributes(context)\` (the privacy step:
JSON-safe copy, caps, key redaction, pattern scrubbing of every string and key), in Node on the built library
(\`bench/scrub.js\`, \`node --expose-gc\`). ${SCRUB_EVENTS.toLocaleString('en-US')} events per run, ${SCRUB_WARMUP_RUNS} runs discarded,
then the median of ${SCRUB_RUNS} runs and their min – max. ${machine.cpu}, Node ${machine.node}, load average at start ${machine.load.map((x) => x.toFixed(2)).join(', ')}.

| input | ns per event: median | min – max |
|---|---:|---|
${rows.join('\n')}

Inputs: clean ${example('clean')}; benign ${example('benign')}; dirty ${example('dirty')}.
A clean string pays one regular-expression test (the rules' gates joined); a string that passes it runs
only the rules whose own gate matches.
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
