/** The errors view: groups (type + message + top frame) with counts, first/last seen, sessions, latest stack. */
import type { ErrorsResponse } from './api-types.js';
import { bucketOf, type Query } from './query.js';
import { passes } from './rows.js';
import type { StoreIndex } from './store-index.js';

/** @default 50 groups, most frequent first */
const MAX_GROUPS = 50;

interface Group {
  id: number;
  count: number;
  first: number;
  last: number;
  latest: number;
  sessions: Set<number>;
}

export async function errorsView(index: StoreIndex, query: Query): Promise<ErrorsResponse> {
  const data = index.data;
  const logs = data.logs;
  const { filter, buckets } = query;
  const timeline = new Array<number>(buckets.count).fill(0);
  const groups = new Map<number, Group>();
  let total = 0;
  if (!filter.none) {
    for (let i = 0; i < logs.count; i++) {
      const id = logs.group.data[i]!;
      if (id === -1 || !passes(logs, i, filter)) continue;
      const t = logs.t.data[i]!;
      total++;
      const b = bucketOf(buckets, t);
      if (b >= 0 && b < buckets.count) timeline[b]!++;
      let group = groups.get(id);
      if (!group)
        groups.set(id, (group = { id, count: 0, first: t, last: t, latest: i, sessions: new Set() }));
      group.count++;
      if (t < group.first) group.first = t;
      if (t >= group.last) {
        group.last = t;
        group.latest = i;
      }
      group.sessions.add(logs.session.data[i]!);
    }
  }
  const top = [...groups.values()].sort((a, b) => b.count - a.count || b.last - a.last).slice(0, MAX_GROUPS);
  const latest = await index.items(
    logs,
    top.map((g) => g.latest),
  );
  return {
    buckets,
    timeline,
    total,
    groupCount: groups.size,
    groups: top.map((g, n) => {
      const key = logs.groupKeys[g.id]!;
      const item = latest[n] ?? {};
      const exception = (item.exception ?? {}) as Record<string, unknown>;
      return {
        ...key,
        count: g.count,
        firstSeen: g.first,
        lastSeen: g.last,
        sessions: g.sessions.size,
        latest: {
          time: g.last,
          session: data.sessions.values[logs.session.data[g.latest]!]!,
          version: data.versions.values[logs.version.data[g.latest]!]!,
          url: item.url ?? null,
          stack: typeof exception.stack === 'string' ? exception.stack : null,
        },
      };
    }),
  };
}
