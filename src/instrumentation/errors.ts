import type { Telemetry } from '../telemetry/client.js';
import { exceptionInfo } from '../telemetry/privacy.js';

/**
 * Uncaught errors and unhandled promise rejections as `telemetry.exception`, with bursts folded and a
 * rate cap, so an error thrown in a loop (every frame of an animation, every retry) cannot flood the outbox.
 */

/** Options of `captureErrors`. */
export interface CaptureErrorsOptions {
  /**
   * Repeats of one error (same type, message and top stack frame) within this many ms of its last report
   * are not reported one by one: when the window ends, one more report carries their count as `repeat`.
   * @default 1000
   */
  dedupeWindowMs?: number;
  /**
   * Most reports per rolling minute. Reports over the cap are dropped; their count rides on the next
   * report that passes, as `suppressed`.
   * @default 30
   */
  maxPerMinute?: number;
}

type Context = Record<string, unknown>;

interface Burst {
  repeats: number;
  last: { error: unknown; context: Context };
  timer: ReturnType<typeof setTimeout>;
}

const MINUTE = 60_000;
// Distinct errors tracked at once. An error loop with a counter in its message makes a new key each
// time; past this it is treated as over the rate cap instead of growing the map.
const MAX_KEYS = 100;
// Clients already capturing: a second call for the same client would report every error twice.
const capturing = new WeakSet<Telemetry>();

function positive(value: number | undefined, fallback: number): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : fallback;
}

/** The top stack frame: the first line ending in `:line:col` (V8 `at f (u:1:2)`, Firefox/Safari `f@u:1:2`). */
function topFrame(stack: string | undefined): string {
  if (!stack) return '';
  for (const line of stack.split('\n', 12)) if (/:\d+(:\d+)?\)?\s*$/.test(line)) return line.trim();
  return '';
}

/** A script URL without query string or fragment, which may carry tokens (signed CDN URLs, session ids). */
function scriptUrl(value: unknown): string | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  return value.split(/[?#]/, 1)[0];
}

/**
 * Reports `error` events on the window (uncaught exceptions) and `unhandledrejection` events. Any thrown
 * value is accepted: strings, plain objects, `undefined`. Events are only observed: `preventDefault()`
 * is never called, so the browser still prints them to the console.
 *
 * Returns a function that removes the listeners and timers, first reporting any repeat counts still pending.
 * A second call for the same client while installed does nothing and returns a no-op.
 */
export function captureErrors(telemetry: Telemetry, options: CaptureErrorsOptions = {}): () => void {
  const target = globalThis as unknown as Partial<EventTarget>;
  // A disabled client must cost nothing: no listeners, no patched globals (DESIGN.md section 4).
  // Call this after configure()/optIn(); it installs nothing while telemetry is off.
  if (!telemetry.isConfigured()) return () => {};
  if (typeof target.addEventListener !== 'function' || capturing.has(telemetry)) return () => {};
  capturing.add(telemetry);
  const windowMs = positive(options.dedupeWindowMs, 1000);
  const maxPerMinute = Math.floor(positive(options.maxPerMinute, 30));
  const bursts = new Map<string, Burst>();
  const sentAt: number[] = [];
  let suppressed = 0;

  function send(error: unknown, context: Context): void {
    const now = Date.now();
    while (sentAt.length > 0 && now - sentAt[0]! >= MINUTE) sentAt.shift();
    if (sentAt.length >= maxPerMinute) {
      suppressed++;
      return;
    }
    sentAt.push(now);
    const extra = suppressed > 0 ? { ...context, suppressed } : context;
    suppressed = 0;
    telemetry.exception(error, extra);
  }

  /** End of a burst's window: report the folded repeats (which opens a new window) or forget the key. */
  function close(key: string): void {
    const burst = bursts.get(key);
    if (!burst) return;
    if (burst.repeats === 0) {
      bursts.delete(key);
      return;
    }
    const { error, context } = burst.last;
    const repeat = burst.repeats;
    burst.repeats = 0;
    // An error still looping gets one report per window, carrying how often it happened meanwhile.
    burst.timer = setTimeout(() => close(key), windowMs);
    send(error, { ...context, repeat });
  }

  function capture(error: unknown, context: Context): void {
    try {
      const info = exceptionInfo(error);
      const where = typeof context.filename === 'string' ? context.filename : '';
      const key = `${info.type}\n${info.message}\n${topFrame(info.stack) || where}`;
      const burst = bursts.get(key);
      if (burst) {
        burst.repeats++;
        burst.last = { error, context };
        return;
      }
      if (bursts.size >= MAX_KEYS) {
        suppressed++;
        return;
      }
      bursts.set(key, {
        repeats: 0,
        last: { error, context },
        timer: setTimeout(() => close(key), windowMs),
      });
      send(error, context);
    } catch {
      // A throw here would be reported as a new error event: the listener must never throw.
    }
  }

  const onError = (event: Event): void => {
    const e = event as Partial<ErrorEvent>;
    // Resource load failures (img, script) fire plain `error` events that do not bubble to the window;
    // only an ErrorEvent carries a script error.
    if (typeof e.message !== 'string' && e.error === undefined) return;
    // A cross-origin script without CORS gives only "Script error." and no error object (HTML spec,
    // "muted errors"): keep the message, typed as an Error.
    const thrown: unknown = e.error;
    const error =
      thrown !== undefined && thrown !== null
        ? thrown
        : { name: 'Error', message: e.message || 'Script error.' };
    const context: Context = { source: 'window.error' };
    const filename = scriptUrl(e.filename);
    if (filename !== undefined) context.filename = filename;
    if (typeof e.lineno === 'number' && e.lineno > 0) context.lineno = e.lineno;
    if (typeof e.colno === 'number' && e.colno > 0) context.colno = e.colno;
    capture(error, context);
  };

  const onRejection = (event: Event): void => {
    capture((event as Partial<PromiseRejectionEvent>).reason, { source: 'unhandledrejection' });
  };

  target.addEventListener('error', onError);
  target.addEventListener('unhandledrejection', onRejection);
  let removed = false;

  return () => {
    if (removed) return;
    removed = true;
    capturing.delete(telemetry);
    target.removeEventListener?.('error', onError);
    target.removeEventListener?.('unhandledrejection', onRejection);
    for (const [key, burst] of [...bursts]) {
      clearTimeout(burst.timer);
      if (burst.repeats > 0) close(key);
      clearTimeout(bursts.get(key)?.timer);
    }
    bursts.clear();
  };
}
