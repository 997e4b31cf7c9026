/** Turns one stored line into a row of its kind's table. */
import type { Kind } from '../../telemetry/records.js';
import { DROPPED_METRIC } from '../dropped.js';
import { errorKey, groupId } from './error-groups.js';
import type { Common } from './rows.js';
import type { ScannedLine } from './scan.js';
import type { IndexData } from './store-index.js';
import { LEVELS, type Level } from './tables.js';

export function addLine(data: IndexData, kind: Kind, file: number, line: ScannedLine): void {
  const { item } = line;
  const received = toMs(item.received_at) ?? 0;
  const common: Common = {
    t: toMs(item.timestamp) ?? received,
    received,
    session: data.sessions.id(typeof item.session_id === 'string' ? item.session_id : ''),
    version: data.versions.id(versionOf(item)),
    file,
    offset: line.offset,
    length: line.length,
  };
  if (kind === 'logs') addLog(data, item, common);
  else if (kind === 'metrics') addMetric(data, item, common);
  else addTrace(data, item, common);
  addEnvelopeDrops(data, item, common);
}

function addLog(data: IndexData, item: Record<string, unknown>, common: Common): void {
  const logs = data.logs;
  logs.addCommon(common);
  logs.level.push(Math.max(0, LEVELS.indexOf(item.level as Level)));
  logs.message.push(logs.messages.id(str(item.message)));
  const key = errorKey(item);
  if (key === undefined) return logs.group.push(-1);
  const id = logs.groups.id(groupId(key));
  if (id === logs.groupKeys.length) logs.groupKeys.push(key);
  logs.group.push(id);
}

function addMetric(data: IndexData, item: Record<string, unknown>, common: Common): void {
  const metrics = data.metrics;
  const name = str(item.name);
  const value = typeof item.value === 'number' ? item.value : NaN;
  metrics.addCommon(common);
  metrics.name.push(metrics.names.id(name));
  metrics.value.push(value);
  if (name === DROPPED_METRIC) {
    const labels = item.labels as Record<string, unknown> | undefined;
    addDrop(data, common, str(labels?.reason, 'unknown'), value);
  }
}

function addTrace(data: IndexData, item: Record<string, unknown>, common: Common): void {
  const traces = data.traces;
  const row = traces.addCommon(common);
  traces.name.push(traces.names.id(str(item.name)));
  traces.duration.push(typeof item.duration === 'number' ? item.duration : NaN);
  const trace = traces.traceIds.id(str(item.traceId));
  traces.trace.push(trace);
  // Prepend to the trace's list: the head is its newest span.
  const head = trace < traces.head.length ? traces.head.data[trace]! : -1;
  traces.next.push(head);
  traces.head.set(trace, row);
}

/**
 * A `dropped: { reason: count }` object stored with the lines of a batch (in case the server keeps
 * the envelope's field as is rather than as {@link DROPPED_METRIC} points): counted once per batch.
 */
function addEnvelopeDrops(data: IndexData, item: Record<string, unknown>, common: Common): void {
  const dropped = item.dropped;
  if (typeof dropped !== 'object' || dropped === null || typeof item.batch_id !== 'string') return;
  if (data.dropBatches.has(item.batch_id)) return;
  data.dropBatches.add(item.batch_id);
  for (const [reason, count] of Object.entries(dropped)) {
    if (typeof count === 'number' && count > 0) addDrop(data, common, reason, count);
  }
}

function addDrop(data: IndexData, common: Common, reason: string, count: number): void {
  if (!(count > 0)) return;
  data.drops.addCommon(common);
  data.drops.reason.push(data.drops.reasons.id(reason));
  data.drops.amount.push(count);
}

/** The app version a line came from: `resource.version` as the store keeps it, or `app_version`. */
function versionOf(item: Record<string, unknown>): string {
  const resource = item.resource as Record<string, unknown> | undefined;
  const version = resource?.version ?? item.app_version;
  return typeof version === 'string' ? version : '';
}

let lastIso = '';
let lastMs: number | undefined;

/** Epoch ms from a number or an ISO string; undefined for anything else. */
export function toMs(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  // `received_at` is the same on every line of a batch, and so are many timestamps of one flush.
  if (value === lastIso) return lastMs;
  const fast = isoMs(value);
  if (fast !== undefined) {
    lastIso = value;
    lastMs = fast;
  }
  if (fast !== undefined) return fast;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** `value` when it is a string, else `fallback`: stored lines are outside input. */
export function str(value: unknown, fallback = ''): string {
  return typeof value === 'string' ? value : fallback;
}

/**
 * `YYYY-MM-DDTHH:MM:SS.sssZ` (what `toISOString` writes, so nearly every stored time) read by digit
 * arithmetic: several times faster than Date.parse, which matters for a million lines at start.
 */
function isoMs(s: string): number | undefined {
  if (s.length !== 24 || s.charCodeAt(23) !== 90 /* Z */ || s.charCodeAt(10) !== 84 /* T */) return undefined;
  const d = (i: number): number => s.charCodeAt(i) - 48;
  const ms = Date.UTC(
    d(0) * 1000 + d(1) * 100 + d(2) * 10 + d(3),
    d(5) * 10 + d(6) - 1,
    d(8) * 10 + d(9),
    d(11) * 10 + d(12),
    d(14) * 10 + d(15),
    d(17) * 10 + d(18),
    d(20) * 100 + d(21) * 10 + d(22),
  );
  return Number.isNaN(ms) ? undefined : ms;
}
