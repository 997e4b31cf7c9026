import type { Telemetry } from '../telemetry/client.js';
import type { LogLevel } from '../telemetry/records.js';
import { sanitizeMessage } from '../telemetry/privacy.js';
import { forwardingSuppressed, withoutTelemetry } from './reentry.js';

/**
 * Console capture: also forward what third-party code prints with `console.warn` / `console.error`
 * (code the app logger never sees) to telemetry.
 */

/** Console methods that can be captured; `log` is recorded at level `info`. */
export type ConsoleMethod = 'debug' | 'info' | 'log' | 'warn' | 'error';

/** Options of `captureConsole`. */
export interface CaptureConsoleOptions {
  /**
   * Console methods to patch.
   * @default ['warn', 'error']
   */
  levels?: ConsoleMethod[];
}

const LEVEL: Record<ConsoleMethod, LogLevel> = {
  debug: 'debug',
  info: 'info',
  log: 'info',
  warn: 'warn',
  error: 'error',
};

// Page-wide: there is one console, so a second capture would forward every line twice.
let installed = false;

/** Console arguments to one line: strings as-is, errors as `Name: message`, the rest as JSON (redacted). */
function format(args: unknown[]): { message: string; error?: unknown } {
  let error: unknown;
  const parts = args.map((arg) => {
    if (typeof arg === 'string') return arg;
    if (arg instanceof Error) {
      error ??= arg;
      return `${arg.name}: ${arg.message}`;
    }
    return sanitizeMessage(arg);
  });
  // printf-style `%s` directives are kept as written: substituting them is the console's job.
  return { message: sanitizeMessage(parts.join(' ')), error };
}

/**
 * Patches the chosen console methods to also call `telemetry.log`. What is printed is unchanged: the
 * original method runs first, with the same `this` and arguments. Lines printed while telemetry itself is
 * running (or through `createLogger`, which forwards on its own) are not forwarded again.
 *
 * Returns a function that restores the exact original methods. If other code patched the console after
 * us, restoring would remove its patch too, so ours is then left in place as a pass-through.
 * A second call while installed does nothing and returns a no-op.
 */
export function captureConsole(telemetry: Telemetry, options: CaptureConsoleOptions = {}): () => void {
  const target = globalThis.console as unknown as Record<string, unknown> | undefined;
  // A disabled client must cost nothing: no listeners, no patched globals (DESIGN.md section 4).
  // Call this after configure()/optIn(); it installs nothing while telemetry is off.
  if (!telemetry.isConfigured()) return () => {};
  if (installed || !target) return () => {};
  installed = true;
  let active = true;
  const restore: (() => void)[] = [];

  for (const method of new Set<ConsoleMethod>(options.levels ?? ['warn', 'error'])) {
    const level = LEVEL[method];
    const original = target[method];
    if (level === undefined || typeof original !== 'function') continue;
    const patched = function (this: unknown, ...args: unknown[]): void {
      Reflect.apply(original, this, args);
      if (!active || forwardingSuppressed()) return;
      withoutTelemetry(() => {
        const { message, error } = format(args);
        telemetry.log(
          level,
          message,
          error === undefined ? { source: 'console' } : { source: 'console', error },
        );
      });
    };
    target[method] = patched;
    restore.push(() => {
      if (target[method] === patched) target[method] = original;
    });
  }

  return () => {
    if (!active) return;
    active = false;
    installed = false;
    for (const undo of restore) undo();
  };
}
