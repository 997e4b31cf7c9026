import type { Telemetry } from '../telemetry/client.js';
import type { LogLevel } from '../telemetry/records.js';
import { sanitizeAttributes, sanitizeMessage } from '../telemetry/privacy.js';
import { forwardingSuppressed, withoutTelemetry } from './reentry.js';

/**
 * The app logger (seed plan T1.4): prints to the console for developers and forwards every entry to
 * telemetry, with credentials and personal data redacted in both outputs.
 */

/** A log level, or `'silent'` to turn an output off. */
export type LoggerThreshold = LogLevel | 'silent';

/** Options of `createLogger`. */
export interface LoggerOptions {
  /**
   * Lowest level printed to the console. Apps usually pass `import.meta.env.DEV ? 'debug' : 'warn'`.
   * @default 'info'
   */
  level?: LoggerThreshold;
  /**
   * Lowest level forwarded to telemetry, independent of what the console shows.
   * @default 'debug' (every entry)
   */
  telemetryLevel?: LoggerThreshold;
  /**
   * Where entries are printed. Looked up on every call, so spies and devtools wrappers are honoured.
   * @default globalThis.console
   */
  console?: Pick<Console, LogLevel>;
}

/** What `perf` takes: `value` becomes the metric value, the other fields its labels. */
export interface PerfData {
  value?: unknown;
  [label: string]: unknown;
}

export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
  /** Logs `[PERF] metric` at info and records `metric.toLowerCase()` when `data.value` is a finite number. */
  perf(metric: string, data?: PerfData): void;
}

const RANK: Record<LoggerThreshold, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

function rank(threshold: unknown, fallback: LoggerThreshold): number {
  return RANK[threshold as LoggerThreshold] ?? RANK[fallback];
}

/** Creates a logger bound to `telemetry`. Nothing is patched; it is removed by dropping the reference. */
export function createLogger(telemetry: Telemetry, options: LoggerOptions = {}): Logger {
  const consoleRank = rank(options.level, 'info');
  const telemetryRank = rank(options.telemetryLevel, 'debug');

  function write(level: LogLevel, message: unknown, context: unknown): void {
    try {
      // Redact once, before either output: the console of a support session is as public as the wire.
      const text = sanitizeMessage(message);
      const ctx = context === undefined ? undefined : sanitizeAttributes(context);
      // Logged from inside telemetry (a diagnostic routed back here): print only, or it would loop.
      const nested = forwardingSuppressed();
      if (RANK[level] >= consoleRank) {
        withoutTelemetry(() => {
          const out = options.console ?? globalThis.console;
          const line = `[${level.toUpperCase()}] ${text}`;
          if (ctx && Object.keys(ctx).length > 0) out[level](line, ctx);
          else out[level](line);
        });
      }
      if (!nested && RANK[level] >= telemetryRank) withoutTelemetry(() => telemetry.log(level, text, ctx));
    } catch {
      // A logger must never throw into the code that called it.
    }
  }

  return {
    debug: (message, context) => write('debug', message, context),
    info: (message, context) => write('info', message, context),
    warn: (message, context) => write('warn', message, context),
    error: (message, context) => write('error', message, context),
    perf(metric, data = {}) {
      const name = String(metric);
      write('info', `[PERF] ${name}`, data);
      try {
        const { value, ...labels } = data;
        if (typeof value !== 'number' || !Number.isFinite(value)) return;
        // Metrics are what `perf` is for, so only 'silent' (not a level threshold) turns them off.
        if (telemetryRank === RANK.silent || forwardingSuppressed()) return;
        // `value` stays out of the labels: a label holding the measurement makes every point its own series.
        const clean = sanitizeAttributes(labels);
        withoutTelemetry(() => telemetry.metric(name.toLowerCase(), value, clean));
      } catch {
        // see write()
      }
    },
  };
}
