/** What the filters offer: app versions and recent sessions, and the time span of the data. */
import type { MetaResponse } from './api-types.js';
import type { IndexData } from './store-index.js';
import { compareVersions } from './vitals.js';

/** @default 200 sessions, most recently seen first */
const MAX_SESSIONS = 200;

export function metaView(data: IndexData, auth: boolean): MetaResponse {
  // Dense by session id: one typed-array slot per session beats a Map lookup per row.
  const lastSeen = new Float64Array(data.sessions.size).fill(-Infinity);
  for (const rows of [data.logs, data.metrics, data.traces]) {
    for (let i = 0; i < rows.count; i++) {
      const s = rows.session.data[i]!;
      const t = rows.received.data[i]!;
      if (t > lastSeen[s]!) lastSeen[s] = t;
    }
  }
  const sessions = [...lastSeen.keys()]
    .filter((s) => s !== 0 && lastSeen[s]! > -Infinity)
    .sort((a, b) => lastSeen[b]! - lastSeen[a]!)
    .slice(0, MAX_SESSIONS)
    .map((s) => ({ id: data.sessions.values[s]!, lastSeen: lastSeen[s]! }));
  const tables = [data.logs, data.metrics, data.traces];
  const oldest = Math.min(...tables.map((t) => t.minT));
  const newest = Math.max(...tables.map((t) => t.maxT));
  return {
    auth,
    versions: data.versions.values.filter((v) => v !== '').sort(compareVersions),
    sessions,
    counts: { logs: data.logs.count, metrics: data.metrics.count, traces: data.traces.count },
    oldest: Number.isFinite(oldest) ? oldest : null,
    newest: Number.isFinite(newest) ? newest : null,
  };
}
