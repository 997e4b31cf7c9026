import type { TelemetryLevel } from './config.js';
import type { Kind } from './records.js';

/** The log levels `log()` takes; anything else is recorded as 'info'. */
export const LEVELS: unknown[] = ['debug', 'info', 'warn', 'error'];

/** Whether `level` collects this record: what a level leaves out is not collected (nor counted as dropped). */
export function collects(
  level: TelemetryLevel,
  kind: Kind,
  item: { level?: string; name?: string },
): boolean {
  if (level === 'verbose') return true;
  if (kind === 'logs') return level === 'normal' ? item.level !== 'debug' : item.level === 'error';
  // Web vitals as trackWebVitals names them (`web_vital_lcp`, …): what 'minimal' keeps besides errors.
  return level === 'normal' || (kind === 'metrics' && !!item.name?.startsWith('web_vital_'));
}
