/** The `pwa-telemetry` command line: `serve`, `stats`, `tail`, `export`, `delete`, `--help`. */
import { resolve } from 'node:path';
import { UsageError } from './cli-args.js';
import { runDelete } from './cli-delete.js';
import { runStats } from './cli-stats.js';
import { runTail } from './cli-tail.js';
import { runExportCli } from './cli-export.js';
import { isWorker, startCluster } from './cluster.js';
import { runWorker } from './cluster-worker.js';
import { OptionsError, parseServeArgs } from './options.js';
import { startServer } from './server.js';

/** What the CLI touches outside itself, passed in so tests run it in-process. */
export interface CliIo {
  stdout(line: string): void;
  stderr(line: string): void;
  /** Resolves when the server should stop (SIGINT or SIGTERM for the real process). */
  untilStopped(): Promise<void>;
  /** Whether stdout is a terminal that takes colours (`tail` colours only then). @default false */
  color?: boolean;
  /** Redraws a one-line progress display; present only on a terminal. */
  progress?(line: string): void;
}

export const USAGE = `Usage: pwa-telemetry <command> [options]

Commands:
  serve                    run the ingest server (POST /ingest, GET /health, /dashboard)
  stats                    counts, web vitals, top errors and drops (see stats --help)
  tail                     print events as they are stored (see tail --help)
  export                   replay stored JSONL into an OTLP collector or Loki (export --help)
  delete                   remove every line of one session or anonymous user (delete --help)

Options for serve (flags win over the environment):
  --port <n>               TELEMETRY_PORT            default 8787
  --host <address>         TELEMETRY_HOST            default 127.0.0.1
  --data-dir <path>        TELEMETRY_DATA_DIR        default ./.data/telemetry
  --token <secret>         TELEMETRY_TOKEN           default none (auth off)
  --retention-days <n>     TELEMETRY_RETENTION_DAYS  default 30
  --cors-origin <origin>[,...]
                           TELEMETRY_CORS_ORIGIN     default *; with a list, answers name only a
                                                     request Origin in it (and Vary: Origin)
  --max-body-bytes <n>                               default 1048576
  --forward-otlp <url>     TELEMETRY_FORWARD_OTLP    also forward to this collector, from a disk spool
  --workers <n>            TELEMETRY_WORKERS         default 1; above 1, n processes parse and one
                                                     primary dedupes and writes
  --rate-limit <requests>/<seconds>|off
                           TELEMETRY_RATE_LIMIT      default 1200/10 per client address and token
  --trust-proxy <address|loopback>[,...]
                           TELEMETRY_TRUST_PROXY     default none; take the client address from
                                                     Forwarded / X-Forwarded-For of these peers
  --help                   show this text`;

/** Runs the CLI; resolves with the process exit code (0 ok, 1 failure, 2 usage error). */
export async function runCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo = processIo(),
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === '--help' || command === '-h' || command === 'help') {
    io.stdout(USAGE);
    return 0;
  }
  const sub =
    command === 'stats'
      ? runStats
      : command === 'tail'
        ? runTail
        : command === 'delete'
          ? runDelete
          : undefined;
  if (sub) {
    try {
      return await sub(rest, env, io);
    } catch (error) {
      if (!(error instanceof UsageError)) throw error;
      io.stderr(`pwa-telemetry ${command}: ${error.message} (see pwa-telemetry ${command} --help)`);
      return 2;
    }
  }
  if (command === 'export') return runExportCli(rest, env, io);
  if (command !== 'serve') {
    io.stderr(command === undefined ? 'missing command' : `unknown command "${command}"`);
    io.stderr(USAGE);
    return 2;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(USAGE);
    return 0;
  }

  let options;
  try {
    options = parseServeArgs(rest, env);
  } catch (error) {
    if (!(error instanceof OptionsError)) throw error;
    io.stderr(`pwa-telemetry: ${error.message} (see pwa-telemetry --help)`);
    return 2;
  }

  // A worker process of `--workers n` runs the same command line; it serves, silently.
  if (isWorker) {
    await runWorker(options);
    return 0;
  }

  let server;
  try {
    server = options.workers > 1 ? await startCluster(options) : await startServer(options);
  } catch (error) {
    io.stderr(`pwa-telemetry: cannot start: ${(error as Error).message}`);
    return 1;
  }
  io.stdout(`pwa-telemetry ingest server listening on ${server.url}/ingest`);
  io.stdout(`storing JSONL in ${resolve(options.dataDir)}`);
  if (options.forwardOtlp) io.stdout(`forwarding to ${options.forwardOtlp} as OTLP/HTTP JSON`);
  await io.untilStopped();
  await server.close();
  io.stdout('stopped');
  return 0;
}

function processIo(): CliIo {
  return {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    color: process.stdout.isTTY === true,
    ...(process.stderr.isTTY ? { progress: (line: string) => process.stderr.write(`\r${line}\x1b[K`) } : {}),
    untilStopped: () =>
      new Promise((done) => {
        const stop = (): void => {
          process.off('SIGINT', stop).off('SIGTERM', stop);
          done();
        };
        process.on('SIGINT', stop).on('SIGTERM', stop);
      }),
  };
}
