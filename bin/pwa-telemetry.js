#!/usr/bin/env node
// Runs the compiled CLI (`npm run build:lib` makes dist/server). The path is built at run time and
// the module typed from its source, so lint and type-check pass before anything is built.
const cliUrl = new URL('../dist/server/cli.js', import.meta.url).href;
/** @type {unknown} */
const loaded = await import(cliUrl);
const { runCli } = /** @type {typeof import('../src/server/cli.js')} */ (loaded);

process.exitCode = await runCli(process.argv.slice(2), process.env);
