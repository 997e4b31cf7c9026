/** `pwa-telemetry tail`: prints events as the server stores them, one readable line each. */
import { join, resolve } from 'node:path';
import { KINDS, type Kind } from '../telemetry/records.js';
import { dataDirOf, parseFlags, UsageError } from './cli-args.js';
import type { CliIo } from './cli.js';
import { formatEvent } from './dashboard/format-event.js';
import { scanFile } from './dashboard/scan.js';
import { LEVELS, type Level } from './dashboard/tables.js';
import { listDays } from './read-store.js';

export const TAIL_USAGE = `Usage: pwa-telemetry tail [options]

Prints events as they are stored (new ones only), one line each; colours on a terminal only.

Options:
  --data-dir <path>   TELEMETRY_DATA_DIR   default ./.data/telemetry
  --kind <kind>       logs, metrics or traces   default all
  --level <level>     logs at this level or above: debug, info, warn, error   default all
  --help              show this text`;

const FLAGS = {
  'data-dir': { type: 'string' },
  kind: { type: 'string' },
  level: { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** @default 250 ms between looks at the store */
const POLL_MS = 250;

export async function runTail(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help === true) {
    io.stdout(TAIL_USAGE);
    return 0;
  }
  const kind = flags.kind as string | undefined;
  if (kind !== undefined && !KINDS.includes(kind as Kind)) {
    throw new UsageError(`--kind must be one of ${KINDS.join(', ')}, got "${kind}"`);
  }
  const level = flags.level as string | undefined;
  if (level !== undefined && !LEVELS.includes(level as Level)) {
    throw new UsageError(`--level must be one of ${LEVELS.join(', ')}, got "${level}"`);
  }
  // --level is about logs: it implies --kind logs unless another kind was asked for.
  const kinds: Kind[] = kind !== undefined ? [kind as Kind] : level !== undefined ? ['logs'] : [...KINDS];
  const minLevel = level === undefined ? 0 : LEVELS.indexOf(level as Level);
  const dataDir = resolve(dataDirOf(flags['data-dir'], env));
  const color = io.color === true && !env.NO_COLOR;

  const cursors = new Map<string, number>();
  // Start at the end of what is there: tail shows what arrives from now on.
  await follow(dataDir, kinds, cursors, () => {});
  let stopped = false;
  const stop = io.untilStopped().then(() => void (stopped = true));
  while (!stopped) {
    await follow(dataDir, kinds, cursors, (k, item) => {
      if (k === 'logs' && LEVELS.indexOf(item.level as Level) < minLevel) return;
      io.stdout(formatEvent(k, item, color));
    });
    await Promise.race([stop, new Promise((r) => setTimeout(r, POLL_MS))]);
  }
  return 0;
}

/** Reads every file's new complete lines, oldest day first; the first call only records where files end. */
async function follow(
  dataDir: string,
  kinds: Kind[],
  cursors: Map<string, number>,
  onItem: (kind: Kind, item: Record<string, unknown>) => void,
): Promise<void> {
  const first = cursors.size === 0;
  for (const kind of kinds) {
    for (const day of await listDays(dataDir, kind)) {
      const file = join(dataDir, kind, `${day}.jsonl`);
      const from = cursors.get(file) ?? 0;
      const result = await scanFile(file, from, first ? () => {} : ({ item }) => onItem(kind, item));
      cursors.set(file, result.size < from ? result.size : result.end);
    }
  }
  // An empty store still counts as "looked once".
  if (first) cursors.set('', 0);
}
