/** `pwa-telemetry stats`: what the store holds over a time range, readable in a terminal or as JSON. */
import { resolve } from 'node:path';
import { dataDirOf, parseFlags, parseSince, UsageError } from './cli-args.js';
import type { CliIo } from './cli.js';
import { errorsView } from './dashboard/errors.js';
import { healthView } from './dashboard/health.js';
import { parseQuery } from './dashboard/query.js';
import { StoreIndex } from './dashboard/store-index.js';
import { LEVELS } from './dashboard/tables.js';
import { vitalsView } from './dashboard/vitals.js';
import { utcDay } from './days.js';

export const STATS_USAGE = `Usage: pwa-telemetry stats [options]

Counts by kind and level, web vitals p75 with their rating, top errors and client drops.

Options:
  --data-dir <path>   TELEMETRY_DATA_DIR   default ./.data/telemetry
  --since <when>      30m, 24h, 7d or an ISO date   default 24h
  --json              one JSON object, for scripts
  --help              show this text`;

const FLAGS = {
  'data-dir': { type: 'string' },
  since: { type: 'string', default: '24h' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** Resolves with the exit code; a usage error throws UsageError (the dispatcher prints it, exits 2). */
export async function runStats(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: CliIo,
  now = Date.now(),
): Promise<number> {
  const flags = parseFlags(argv, FLAGS);
  if (flags.help === true) {
    io.stdout(STATS_USAGE);
    return 0;
  }
  const dataDir = resolve(dataDirOf(flags['data-dir'], env));
  const from = parseSince(String(flags.since), now);
  if (from > now) throw new UsageError('--since is in the future');
  const index = new StoreIndex(dataDir, { minDay: utcDay(from) });
  await index.refresh();
  const data = index.data;
  const query = parseQuery(new URLSearchParams({ from: String(from), to: String(now) }), data, now);

  const levels = Object.fromEntries(LEVELS.map((l) => [l, 0])) as Record<string, number>;
  let logs = 0;
  for (let i = 0; i < data.logs.count; i++) {
    const t = data.logs.t.data[i]!;
    if (t < from || t > now) continue;
    logs++;
    levels[LEVELS[data.logs.level.data[i]!]!]!++;
  }
  const health = healthView(data, query);
  const counts = Object.fromEntries(health.received.map((r) => [r.kind, r.total]));
  const vitals = vitalsView(data, query).vitals.map((v) => ({
    name: v.key,
    p75: v.p75,
    unit: v.unit,
    rating: v.rating,
    samples: v.count,
  }));
  const errors = (await errorsView(index, query)).groups.slice(0, 10).map((g) => ({
    type: g.type,
    message: g.message,
    frame: g.frame,
    count: g.count,
    sessions: g.sessions,
    lastSeen: new Date(g.lastSeen).toISOString(),
  }));
  const drops = Object.fromEntries(health.drops.map((d) => [d.reason, d.total]));
  const result = {
    dataDir,
    from: new Date(from).toISOString(),
    to: new Date(now).toISOString(),
    counts: { ...counts, logs },
    levels,
    sessions: health.sessions,
    vitals,
    errors,
    drops,
  };
  if (flags.json === true) io.stdout(JSON.stringify(result, null, 2));
  else for (const line of readable(result)) io.stdout(line);
  return 0;
}

const n = (v: number): string => v.toLocaleString('en-US', { maximumFractionDigits: 0 });

function readable(r: {
  dataDir: string;
  from: string;
  counts: Record<string, number>;
  levels: Record<string, number>;
  sessions: number;
  vitals: { name: string; p75: number | null; unit: string; rating: string | null; samples: number }[];
  errors: { type: string; message: string; frame: string; count: number; sessions: number }[];
  drops: Record<string, number>;
}): string[] {
  const out = [`${r.dataDir} since ${r.from}`, ''];
  const levels = LEVELS.map((l) => `${l} ${n(r.levels[l] ?? 0)}`).join(', ');
  out.push(`events    logs ${n(r.counts.logs ?? 0)} (${levels})`);
  out.push(
    `          metrics ${n(r.counts.metrics ?? 0)}, traces ${n(r.counts.traces ?? 0)}, sessions ${n(r.sessions)}`,
  );
  out.push('', 'web vitals (p75)');
  for (const v of r.vitals) {
    if (v.p75 === null) out.push(`  ${v.name.padEnd(5)} no samples`);
    else {
      const value = v.unit === '' ? v.p75.toFixed(3) : `${n(v.p75)} ${v.unit}`;
      out.push(
        `  ${v.name.padEnd(5)} ${value.padStart(10)}  ${(v.rating ?? '').padEnd(17)} ${n(v.samples)} samples`,
      );
    }
  }
  out.push('', 'top errors');
  if (r.errors.length === 0) out.push('  none');
  for (const e of r.errors) {
    out.push(`  ${n(e.count).padStart(6)}×  ${e.type}: ${e.message}  (${n(e.sessions)} sessions)`);
    if (e.frame) out.push(`           at ${e.frame}`);
  }
  out.push('', 'drops reported by clients');
  const drops = Object.entries(r.drops);
  if (drops.length === 0) out.push('  none');
  for (const [reason, count] of drops) out.push(`  ${reason.padEnd(20)} ${n(count)}`);
  return out;
}
