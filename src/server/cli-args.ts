/** Flag parsing shared by the `stats` and `tail` commands (node:util parseArgs, strict). */
import { parseArgs, type ParseArgsConfig } from 'node:util';

/** A bad flag or value: the CLI prints the message and exits 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** Parsed flags; parseArgs' own errors (unknown flag, missing value) become UsageErrors. */
export function parseFlags<O extends Options>(argv: readonly string[], options: O): Record<keyof O, unknown> {
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    return values as unknown as Record<keyof O, unknown>;
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0]);
  }
}

/** The data dir from `--data-dir`, else TELEMETRY_DATA_DIR, else the server's default. */
export function dataDirOf(flag: unknown, env: Readonly<Record<string, string | undefined>>): string {
  return typeof flag === 'string' && flag !== '' ? flag : env.TELEMETRY_DATA_DIR || './.data/telemetry';
}

const DURATION = /^(\d+)(m|h|d)$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** `--since`: a duration back from now (`30m`, `24h`, `7d`) or an ISO date/time; epoch ms. */
export function parseSince(value: string, now: number): number {
  const match = DURATION.exec(value);
  if (match) return now - Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
  const ms = /^\d{4}-\d{2}-\d{2}/.test(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms))
    throw new UsageError(`--since must be like 30m, 24h, 7d or an ISO date, got "${value}"`);
  return ms;
}
