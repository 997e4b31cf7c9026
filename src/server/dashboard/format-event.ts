/** One stored event as one terminal line, for `tail`: time, kind, the essentials, session. */

const RESET = '\u001b[0m';
const COLORS: Record<string, string> = {
  debug: '\u001b[90m',
  info: '\u001b[36m',
  warn: '\u001b[33m',
  error: '\u001b[31m',
  metrics: '\u001b[35m',
  traces: '\u001b[34m',
};

export function formatEvent(kind: string, item: Record<string, unknown>, color: boolean): string {
  const paint = (key: string, text: string): string =>
    color && COLORS[key] ? `${COLORS[key]}${text}${RESET}` : text;
  const at =
    typeof item.timestamp === 'string' || typeof item.timestamp === 'number'
      ? new Date(item.timestamp)
      : null;
  const time = at && !Number.isNaN(at.getTime()) ? at.toISOString().slice(11, 23) : '--:--:--.---';
  const session = typeof item.session_id === 'string' ? ` [${item.session_id.slice(0, 8)}]` : '';
  if (kind === 'logs') {
    const level = typeof item.level === 'string' ? item.level : 'info';
    const exception = item.exception as { type?: unknown } | undefined;
    const type = typeof exception?.type === 'string' ? ` ${exception.type}:` : '';
    return `${time} ${paint(level, level.toUpperCase().padEnd(5))}${type} ${text(item.message)}${session}`;
  }
  if (kind === 'metrics') {
    const labels = item.labels && typeof item.labels === 'object' ? JSON.stringify(item.labels) : '';
    return `${time} ${paint('metrics', 'METRIC')} ${text(item.name)} = ${text(item.value)}${labels === '{}' ? '' : ` ${labels}`}${session}`;
  }
  const trace = typeof item.traceId === 'string' ? ` trace=${item.traceId.slice(0, 8)}` : '';
  return `${time} ${paint('traces', 'SPAN  ')} ${text(item.name)} ${text(item.duration)} ms${trace}${session}`;
}

/** Stored text, shown on one line whatever it holds. */
function text(value: unknown): string {
  const s =
    typeof value === 'string'
      ? value
      : typeof value === 'number'
        ? String(value)
        : (JSON.stringify(value) ?? '');
  return s.replace(/[\r\n]+/g, ' ↵ ');
}
