/** `pwa-telemetry export`: replays stored JSONL into an OTLP collector or Loki (see USAGE). */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { KINDS, type Kind } from '../telemetry/records.js';
import type { CliIo } from './cli.js';
import { isDay } from './days.js';
import { defaultCheckpointFile } from './export-checkpoint.js';
import { progressLine } from './export-progress.js';
import { runExport, type ExportOptions } from './export-run.js';

export const EXPORT_USAGE = `Usage: pwa-telemetry export (--otlp <url> | --loki <url>) [options]

Replays the stored JSONL into an OpenTelemetry Collector (OTLP/HTTP JSON to <url>/v1/logs,
/v1/traces, /v1/metrics) or into Loki (<url>/loki/api/v1/push, labels app, version, level, kind).
Run it again to resume where it stopped; it then also sends lines stored since.

Options:
  --otlp <url>             collector base URL, e.g. http://localhost:4318
  --loki <url>             Loki base URL, e.g. http://localhost:3100
  --data-dir <path>        TELEMETRY_DATA_DIR        default ./.data/telemetry
  --from <YYYY-MM-DD>      first day (UTC) to send   default the oldest
  --to <YYYY-MM-DD>        last day (UTC) to send    default today
  --kind <kind>            logs, traces or metrics; repeat or comma-separate   default all
  --batch-size <n>         items per request         default 500
  --checkpoint <file>      default <data-dir>/.export/<hash of target>.json
  --restart                ignore the checkpoint and send everything again
  --header <name: value>   extra request header (repeatable), e.g. "Authorization: Bearer …"
  --gzip                   gzip request bodies
  --app <name>             service.name / app label for lines stored without one   default unknown
  --app-version <v>        service.version / version label likewise                default unknown
  --help                   show this text`;

class UsageError extends Error {}

/** Options for `runExport`, plus whether to start over; 'help' for --help. @throws UsageError */
export function parseExportArgs(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): (ExportOptions & { restart: boolean }) | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      otlp: { type: 'string' },
      loki: { type: 'string' },
      'data-dir': { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      kind: { type: 'string', multiple: true },
      'batch-size': { type: 'string' },
      checkpoint: { type: 'string' },
      restart: { type: 'boolean' },
      header: { type: 'string', multiple: true },
      gzip: { type: 'boolean' },
      app: { type: 'string' },
      'app-version': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) return 'help';
  if ((values.otlp === undefined) === (values.loki === undefined))
    throw new UsageError('give one of --otlp or --loki');
  const target = values.otlp !== undefined ? 'otlp' : 'loki';
  const url = (values.otlp ?? values.loki)!;
  if (!/^https?:\/\/[^/]/.test(url)) throw new UsageError(`--${target} must be an http(s) URL, got "${url}"`);
  for (const flag of ['from', 'to'] as const) {
    const day = values[flag];
    if (day !== undefined && !isDay(day))
      throw new UsageError(`--${flag} must be a day YYYY-MM-DD, got "${day}"`);
  }
  const kinds = (values.kind ?? KINDS).flatMap((k) => k.split(',')).map((k) => k.trim());
  for (const k of kinds) if (!KINDS.includes(k as Kind)) throw new UsageError(`unknown --kind "${k}"`);
  const batchSize = values['batch-size'] === undefined ? 500 : Number(values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 10_000)
    throw new UsageError('--batch-size must be an integer from 1 to 10000');
  const headers: Record<string, string> = {};
  for (const h of values.header ?? []) {
    const colon = h.indexOf(':');
    if (colon < 1) throw new UsageError(`--header must be "Name: value", got "${h}"`);
    headers[h.slice(0, colon).trim()] = h.slice(colon + 1).trim();
  }
  const dataDir = values['data-dir'] ?? (env.TELEMETRY_DATA_DIR || './.data/telemetry');
  const targetKey = `${target} ${url}`;
  return {
    target,
    url,
    dataDir,
    kinds: KINDS.filter((k) => kinds.includes(k)),
    from: values.from,
    to: values.to,
    batchSize,
    checkpointFile: values.checkpoint ?? defaultCheckpointFile(dataDir, targetKey),
    restart: values.restart === true,
    fallback: { app: values.app ?? 'unknown', version: values['app-version'] ?? 'unknown' },
    post: { headers, gzip: values.gzip === true },
  };
}

export async function runExportCli(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<number> {
  let parsed;
  try {
    parsed = parseExportArgs(argv, env);
  } catch (error) {
    const message =
      error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS');
    if (!message) throw error;
    io.stderr(`pwa-telemetry export: ${(error as Error).message} (see pwa-telemetry export --help)`);
    return 2;
  }
  if (parsed === 'help') {
    io.stdout(EXPORT_USAGE);
    return 0;
  }
  const { restart, ...options } = parsed;
  if (restart) await import('node:fs/promises').then((fs) => fs.rm(options.checkpointFile, { force: true }));
  let stop = false;
  void io.untilStopped().then(() => (stop = true));
  let lastPlain = 0;
  io.stdout(
    `exporting ${resolve(options.dataDir)} (${options.kinds.join(', ')}) to ${options.target} ${options.url}`,
  );
  const summary = await runExport({
    ...options,
    stopped: () => stop,
    post: {
      ...options.post,
      onRetry: (result, delay) =>
        io.stderr(`${'error' in result ? result.error : ''}; retrying in ${Math.round(delay / 100) / 10} s`),
    },
    onProgress: (p) => {
      if (io.progress) io.progress(progressLine(p, true));
      // Not a terminal: a plain line at most every 2 s, so logs stay readable.
      else if (p.elapsedMs - lastPlain >= 2000) {
        lastPlain = p.elapsedMs;
        io.stdout(progressLine(p, false));
      }
    },
  });
  io.progress?.('');
  const { sent, refused, skipped, incomplete, elapsedMs } = summary;
  const total = sent.logs + sent.traces + sent.metrics;
  const rate = elapsedMs > 0 ? Math.round((total / elapsedMs) * 1000) : total;
  io.stdout(
    `sent ${total} (logs ${sent.logs}, traces ${sent.traces}, metrics ${sent.metrics}) in ` +
      `${(elapsedMs / 1000).toFixed(1)} s, ${rate} events/s; skipped ${skipped}; refused ${refused}`,
  );
  if (summary.lastRefusal) io.stderr(`refused by the receiver: ${summary.lastRefusal}`);
  if (incomplete) {
    io.stderr(`export incomplete (${incomplete}); run the same command again to resume`);
    return 1;
  }
  return refused > 0 ? 1 : 0;
}
