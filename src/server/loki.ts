/**
 * Stored JSONL lines → Loki's push API body (`POST /loki/api/v1/push`, JSON form):
 * `{ streams: [{ stream: {labels}, values: [[ns, line], …] }] }`. Labels are few and low-cardinality
 * (app, version, level, kind), as Loki indexes every distinct label set as its own stream; the
 * session, trace ids and context stay in the line, where Grafana's `| json` reads them.
 */
import { nanos } from '../telemetry/encoders/otlp-map.js';
import type { Kind, Resource } from '../telemetry/records.js';
import { lineResource, lineTime, type Line } from './otlp-lines.js';

export const LOKI_PUSH_PATH = '/loki/api/v1/push';

/** A line's level label: its log level; for spans, error when failed; otherwise info. */
function levelOf(kind: Kind, line: Line): string {
  if (kind === 'logs') return typeof line.level === 'string' ? line.level : 'info';
  if (kind === 'traces') return line.status === 'error' ? 'error' : 'info';
  return 'info';
}

export function lokiBodyFromLines(
  kind: Kind,
  lines: readonly Line[],
  fallback: Resource,
): { body: string; count: number } | undefined {
  const streams = new Map<string, { stream: Record<string, string>; values: [string, string][] }>();
  for (const line of lines) {
    const { app, version } = lineResource(line, fallback);
    const stream = { app, version, level: levelOf(kind, line), kind };
    const key = `${app}\n${version}\n${stream.level}`;
    let entry = streams.get(key);
    if (!entry) streams.set(key, (entry = { stream, values: [] }));
    // The resource is in the labels already; the rest of the stored line is the log line.
    const { resource: _resource, ...rest } = line;
    entry.values.push([nanos(lineTime(line)), JSON.stringify(rest)]);
  }
  if (!streams.size) return undefined;
  return { body: JSON.stringify({ streams: [...streams.values()] }), count: lines.length };
}
