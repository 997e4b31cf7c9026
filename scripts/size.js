// Bundle size of the browser client, as an app would ship it: `node scripts/size.js` (npm run size).
// Builds each entry with Vite's library mode (ES, idb-keyval bundled in, nothing written to disk), then
// minifies whitespace too (Vite keeps it in ES library output), and reports min and min+gzip bytes.
// Exits 1 when the full entry's min+gzip is over BUDGET_BYTES.
import { fileURLToPath, pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { build, minify } from 'vite';

/**
 * Budget for the `createTelemetry` entry (the client with its outbox, sender, privacy and gzip; no
 * singleton, no instrumentation, no OTLP or PostHog encoder), min+gzip. Issue 6 asked for 8 KiB: the
 * delivery work (issues 6 and 12) took the entry to about 10.3 kB, the PII scrubbing of issue 10 adds
 * about 2.6 kB (its patterns), and sessions, coarse context, the daily anonymous id, levels, air-gapped
 * export and the unload spill (issues 10 and 13) about 2.0 kB more, hostile-options handling 0.4 kB.
 * A size pass (one option table, gzip through Response, dead code) took it from 16,155 B to 15,698 B
 * counting the entry chunk alone; counted with the chunk it imports (`records.ts`, shared with the
 * on-demand encoders), as now, that is 15,981 B. The budget guards it (rounded up to 64 B, plus a
 * 256 B margin) so nothing grows unnoticed.
 */
export const BUDGET_BYTES = 16_512;

const root = fileURLToPath(new URL('..', import.meta.url));

/**
 * @typedef {object} SizeEntry
 * @property {string} name what an app imports
 * @property {string} entry source file, relative to the repository
 * @property {boolean} budgeted whether BUDGET_BYTES applies
 */

/** @type {SizeEntry[]} */
export const ENTRIES = [
  { name: "import * from 'pwa-telemetry' (every export)", entry: 'src/telemetry/index.ts', budgeted: false },
  { name: 'telemetry singleton only', entry: 'src/telemetry/singleton.ts', budgeted: false },
  { name: 'createTelemetry only (no singleton)', entry: 'src/telemetry/client.ts', budgeted: true },
];

/**
 * Bundles one entry for the browser in memory: ES module, dependencies bundled, Vite's minifier.
 * Code the entry loads only on demand (`import()`, e.g. the OTLP encoder for `format: 'otlp'`) is
 * left out by default, as an app's bundler would split it off; `inline: true` keeps it, for a page
 * that serves the bundle as one file.
 * `dedupe` resolves those packages once, from the repository's node_modules, as an app whose
 * versions line up would (the peers bench: OpenTelemetry packages nest other patch versions).
 * @param {string} entry path relative to the repository
 * @param {{ minify?: boolean, inline?: boolean, dedupe?: string[] }} [options]
 * @returns {Promise<string>} the code of the entry chunk
 */
export async function bundle(entry, options = {}) {
  return (await bundleChunks(entry, options))[0] ?? '';
}

/**
 * Like bundle(), but returns the entry chunk and every chunk it imports statically (directly or
 * not), entry first: all that an app's page downloads and runs before the entry's code can. Vite
 * splits a module the entry shares with an on-demand chunk (e.g. `records.ts`, also used by the
 * OTLP encoder) into a chunk of its own, which the entry then imports.
 * @param {string} entry path relative to the repository
 * @param {{ minify?: boolean, inline?: boolean, dedupe?: string[] }} [options]
 * @returns {Promise<string[]>}
 */
export async function bundleChunks(entry, options = {}) {
  const result = await build({
    configFile: false,
    root,
    envDir: false,
    resolve: { dedupe: options.dedupe ?? [] },
    publicDir: false,
    logLevel: 'warn',
    mode: 'production',
    build: {
      write: false,
      emptyOutDir: false,
      copyPublicDir: false,
      reportCompressedSize: false,
      minify: options.minify !== false,
      target: 'es2022',
      lib: { entry: `${root}/${entry}`, formats: ['es'], fileName: 'bundle' },
      rollupOptions: { output: { inlineDynamicImports: options.inline === true } },
    },
  });
  const outputs = Array.isArray(result) ? result : [result];
  /** @type {Map<string, import('vite').Rollup.OutputChunk>} */
  const chunks = new Map();
  for (const out of outputs) {
    if (!('output' in out)) throw new Error('unexpected watcher from vite build');
    for (const chunk of out.output) if (chunk.type === 'chunk') chunks.set(chunk.fileName, chunk);
  }
  const entries = [...chunks.values()].filter((c) => c.isEntry);
  if (entries.length !== 1) throw new Error(`expected one entry chunk from ${entry}, got ${entries.length}`);
  /** @type {string[]} */
  const order = [];
  const visit = (/** @type {string} */ name) => {
    if (order.includes(name)) return;
    order.push(name);
    for (const dep of chunks.get(name)?.imports ?? []) visit(dep);
  };
  visit(entries[0]?.fileName ?? '');
  return order.map((name) => chunks.get(name)?.code ?? '');
}

/**
 * @typedef {object} SizeResult
 * @property {string} name
 * @property {string} entry
 * @property {boolean} budgeted
 * @property {number} min minified bytes (UTF-8)
 * @property {number} gzip minified then gzip level 9 bytes
 */

/**
 * Minified and min+gzip (level 9) bytes of a library bundle from bundle().
 * @param {string} lib
 * @param {string} name for errors
 */
export async function sizeOf(lib, name) {
  // ES library output keeps whitespace (so consumers' bundlers keep pure annotations); an app's
  // production build removes it, so measure that.
  const minified = await minify('bundle.js', lib, { module: true, compress: true, mangle: true });
  if (minified.errors.length > 0) throw new Error(`minify ${name}: ${minified.errors[0]?.message}`);
  const bytes = Buffer.from(minified.code, 'utf8');
  return { min: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
}

/** @returns {Promise<SizeResult[]>} */
export async function measureSizes() {
  /** @type {SizeResult[]} */
  const results = [];
  for (const e of ENTRIES) results.push({ ...e, ...(await shippedSize(e.entry)) });
  return results;
}

/**
 * min and min+gzip of an entry as an app ships it: the entry chunk and the chunks it imports
 * statically (bundleChunks()), each minified and gzipped as its own file, summed.
 * @param {string} entry
 * @param {{ dedupe?: string[] }} [options]
 */
export async function shippedSize(entry, options = {}) {
  const total = { min: 0, gzip: 0 };
  for (const code of await bundleChunks(entry, options)) {
    const one = await sizeOf(code, entry);
    total.min += one.min;
    total.gzip += one.gzip;
  }
  return total;
}

async function main() {
  const results = await measureSizes();
  const width = Math.max(...results.map((r) => r.name.length));
  console.log(`${'entry'.padEnd(width)}  ${'min'.padStart(8)}  ${'min+gzip'.padStart(8)}`);
  for (const r of results) {
    console.log(`${r.name.padEnd(width)}  ${String(r.min).padStart(8)}  ${String(r.gzip).padStart(8)}`);
  }
  const over = results.filter((r) => r.budgeted && r.gzip > BUDGET_BYTES);
  for (const r of over) console.error(`over budget: ${r.name} is ${r.gzip} B min+gzip > ${BUDGET_BYTES} B`);
  if (over.length === 0) console.log(`budget: ${BUDGET_BYTES} B min+gzip: ok`);
  process.exitCode = over.length > 0 ? 1 : 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((error) => {
    console.error(error);
    process.exitCode = 1;
  });
}
