/**
 * Entry of the ingest server process the fault tests start, kill and restart (e2e/ingest-process.ts):
 * the real `pwa-telemetry` command line, run from source (bundled at test time) rather than from
 * dist/, so the process runs the code under test.
 */
import { runCli } from '../src/server/cli.js';

process.exitCode = await runCli(process.argv.slice(2), process.env);
