/** The logs view: volume by level over time, and a filtered list paged newest first. */
import type { LogsResponse } from './api-types.js';
import { bucketOf, type Query } from './query.js';
import { passes } from './rows.js';
import type { StoreIndex } from './store-index.js';
import { LEVELS, type LogTable } from './tables.js';

/** @default 50 rows a page */
export const PAGE_SIZE = 50;

/** Lower-cased messages, by interned id, kept across queries (messages only ever get added). */
const lowered = new WeakMap<LogTable, string[]>();

/**
 * `level` (comma-separated levels; all when absent), `q` (case-insensitive text in the message),
 * `page` (0 is the newest page). The volume chart follows `q` but shows every level.
 */
export async function logsView(index: StoreIndex, query: Query): Promise<LogsResponse> {
  const data = index.data;
  const logs = data.logs;
  const { filter, buckets, params } = query;
  const wanted = new Set((params.get('level') ?? '').split(',').filter((l) => l !== ''));
  const levelOk = LEVELS.map((l) => wanted.size === 0 || wanted.has(l));
  const matches = messageMatcher(logs, (params.get('q') ?? '').trim().toLowerCase());
  const page = Math.max(0, Math.floor(Number(params.get('page')) || 0));

  const volume = LEVELS.map(() => new Array<number>(buckets.count).fill(0));
  const rows: number[] = [];
  let total = 0;
  const skip = page * PAGE_SIZE;
  if (!filter.none) {
    // Newest first, so the page's rows are the first `PAGE_SIZE` matches after `skip`.
    for (let i = logs.count - 1; i >= 0; i--) {
      if (!passes(logs, i, filter) || !matches(logs.message.data[i]!)) continue;
      const level = logs.level.data[i]!;
      const b = bucketOf(buckets, logs.t.data[i]!);
      if (b >= 0 && b < buckets.count) volume[level]![b]!++;
      if (!levelOk[level]) continue;
      if (total >= skip && rows.length < PAGE_SIZE) rows.push(i);
      total++;
    }
  }
  // Rows are in store order (received); show them by event time, newest first, within the page.
  rows.sort((a, b) => logs.t.data[b]! - logs.t.data[a]!);
  const items = await index.items(logs, rows);
  return {
    buckets,
    volume: LEVELS.map((level, l) => ({ level, values: volume[l]! })),
    total,
    page,
    pageSize: PAGE_SIZE,
    rows: rows.map((i, n) => {
      const item = items[n] ?? {};
      return {
        time: logs.t.data[i]!,
        level: LEVELS[logs.level.data[i]!]!,
        message: logs.messages.values[logs.message.data[i]!]!,
        session: data.sessions.values[logs.session.data[i]!]!,
        version: data.versions.values[logs.version.data[i]!]!,
        context: item.context ?? null,
        url: item.url ?? null,
        exception: item.exception ?? null,
        traceId: item.traceId ?? null,
      };
    }),
  };
}

function messageMatcher(logs: LogTable, q: string): (message: number) => boolean {
  if (q === '') return () => true;
  const lower = lowered.get(logs) ?? [];
  lowered.set(logs, lower);
  const values = logs.messages.values;
  for (let m = lower.length; m < values.length; m++) lower.push(values[m]!.toLowerCase());
  const hit = new Uint8Array(values.length);
  for (let m = 0; m < values.length; m++) hit[m] = lower[m]!.includes(q) ? 1 : 0;
  return (message) => hit[message] === 1;
}
