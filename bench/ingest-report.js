// Writes the "Ingest server throughput" section of BENCHMARKS.md from a bench:ingest run, leaving
// the rest of the file as it is.
import { readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const outFile = fileURLToPath(new URL('../BENCHMARKS.md', import.meta.url));
const HEADING = '## Ingest server throughput';
const BASELINE = 'ingest.php, nginx + php-fpm (5)';

/** @typedef {import('./ingest.js').Result} Result */

/** @param {number[]} values @param {(n: number) => string} format */
function span(values, format) {
  if (values.length === 0) return '–';
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  return lo === hi || format(lo) === format(hi) ? format(lo) : `${format(lo)}–${format(hi)}`;
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

const k = (/** @type {number} */ n) => `${(n / 1000).toFixed(0)}k`;
const ms = (/** @type {number} */ n) => n.toFixed(1);
const x = (/** @type {number} */ n) => `${n.toFixed(1)}×`;

/**
 * @param {{ date: string, minutes: number, seconds: number, runs: number, loadBefore: number[], loadAfter: number[], bodyBytes: Record<string, number>, skipped: string[] }} meta
 * @param {Result[]} results
 * @returns {string}
 */
export function section(meta, results) {
  const cells = [...new Set(results.map((r) => `${r.events}/${r.connections}`))];
  const peers = [...new Set(results.map((r) => r.peer))];
  const rows = [];
  for (const cell of cells) {
    const [events, connections] = cell.split('/').map(Number);
    const inCell = results.filter((r) => r.events === events && r.connections === connections);
    for (const peer of peers) {
      const mine = inCell.filter((r) => r.peer === peer);
      // Ratio inside each run, against nginx + php-fpm measured right next to it.
      const ratios = mine.flatMap((r) => {
        const base = inCell.find((b) => b.peer === BASELINE && b.run === r.run);
        return base && peer !== BASELINE ? [r.eventsPerSec / base.eventsPerSec] : [];
      });
      const wrong = mine.some((r) => r.problems.length > 0) ? ' (stored wrong, see results JSON)' : '';
      rows.push(
        `| ${events} | ${connections} | ${peer}${wrong} | ${span(
          mine.map((r) => r.eventsPerSec),
          k,
        )} | ` +
          `${span(
            mine.map((r) => r.p99Ms),
            ms,
          )} | ${ratios.length ? `${x(median(ratios))} (${span(ratios, x)})` : '–'} |`,
      );
    }
  }
  const cpu = os.cpus();
  return `${HEADING}

Measured by \`npm run bench:ingest\` (\`bench/ingest.js\`) on ${meta.date}; ${meta.runs} runs of ${meta.seconds} s per
cell after a 1 s warm-up, each server started fresh per cell; the whole run took ${meta.minutes.toFixed(0)} min.
Machine: ${cpu[0]?.model ?? 'unknown CPU'}, ${cpu.length} cores, Node ${process.version}, ${os.type()} ${os.release()};
load average at start ${meta.loadBefore.map((n) => n.toFixed(2)).join(', ')}, at end ${meta.loadAfter.map((n) => n.toFixed(2)).join(', ')}
(other work shared the 2 cores: compare the ratios, measured within one run, more than the absolute figures).

Method: wrk 4.1 on 127.0.0.1, 2 threads, keep-alive, \`bench/ingest-wrk.lua\` giving each request its own
batchId; native batches of 20 log events (${meta.bodyBytes[20]} bytes) and 200 (${meta.bodyBytes[200]} bytes), token in
\`X-Telemetry-Token\`. Peers: ours with \`--rate-limit off\` (dedupe always on); the seed's \`ingest.php\` (T2.3, copied
verbatim to \`bench/ingest-php/\`) under \`php -S\` with \`PHP_CLI_SERVER_WORKERS=2\`, and under nginx + php-fpm 8.2
(\`pm = static\`, 5 children, \`client_body_buffer_size 128k\`). events/s counts 2xx answers × events; after each cell
every stored line is read back: all parse, and for ours every acknowledged batch is stored exactly once and whole.
Cells show min–max over the runs; "× nginx+fpm" is ours (or php -S) divided by nginx + php-fpm in the same run:
the median over the runs, then min–max.
${meta.skipped.length ? `\nSkipped: ${meta.skipped.join('; ')}.\n` : ''}
Where the time went (\`node --cpu-prof\` under wrk; server CPU time per request from /proc, both on the same loaded
machine, so compare them with each other): first, the write queue opened, appended and closed the day file per
request and kind, and every item was serialised again; that became one synchronous write per day file per event-loop
turn, with lines reusing each item's text. Then, at 20-event batches, JSON.parse was 19% of the profile, the item-span
scan 8.5%, \`createHash\` for the token 3.8%, a URL parse per request by the dashboard router 2.2%: 145–157 µs of
server CPU per request (707–806 µs at 200 events). Now a compact native body is checked on its bytes in one pass
(\`src/server/scan-body.ts\`: grammar, item fields, nothing built as objects; the small envelope alone goes through
JSON.parse and validateBody) and its lines are copied from those bytes into one buffer (\`src/server/byte-lines.ts\`);
anything unusual takes the general path, and a differential test holds both to the same bytes. That is 100–104 µs per
request (389–410 µs at 200 events); the scan is 15–20% of the profile, the socket write of the answer 13–20%, the
HTTP layer most of the rest. \`--workers 2\` sends one IPC message per loop turn each way; it still costs about twice the
CPU per request of one process (the lines cross a pipe twice), so on 2 shared cores one process is the faster choice.
php -S's errors are wrk socket errors (it closes connections); nginx + php-fpm and ours had none.

| events per batch | connections | server | events/s | p99 ms | × nginx+fpm |
|---:|---:|---|---:|---:|---:|
${rows.join('\n')}

`;
}

/** Replaces the section in BENCHMARKS.md (or appends it before "## Reproduce"). */
export function writeSection(
  /** @type {Parameters<typeof section>[0]} */ meta,
  /** @type {Result[]} */ results,
) {
  const text = readFileSync(outFile, 'utf8');
  const md = section(meta, results);
  const start = text.indexOf(HEADING);
  let next;
  if (start === -1) {
    const at = text.indexOf('## Reproduce');
    next = at === -1 ? `${text.trimEnd()}\n\n${md}` : `${text.slice(0, at)}${md}${text.slice(at)}`;
  } else {
    const end = text.indexOf('\n## ', start + HEADING.length);
    next = `${text.slice(0, start)}${md}${end === -1 ? '' : text.slice(end + 1)}`;
  }
  writeFileSync(outFile, next);
  console.log(`wrote "${HEADING}" in ${outFile}`);
}
