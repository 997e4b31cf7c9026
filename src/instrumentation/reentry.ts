/**
 * A page-wide reentrancy guard shared by the logger and console capture.
 *
 * Telemetry may print (a diagnostic, a polyfill's `console.warn`), and apps often route telemetry's
 * `onDiagnostic` into their logger. Without a guard, logger → telemetry → console.warn → console capture →
 * telemetry → … loops until the stack overflows. While `withoutTelemetry(fn)` runs, anything logged is
 * printed but not forwarded again.
 *
 * Module-level on purpose: the console is page-wide, so the guard must be too.
 */

let depth = 0;

/** True while an entry is on its way to telemetry: anything logged now is printed, not forwarded. */
export function forwardingSuppressed(): boolean {
  return depth > 0;
}

/**
 * Runs `fn` so that whatever it logs (through `createLogger` or a captured console) is printed but not
 * sent to telemetry. Use it to wire telemetry's own diagnostics to the console:
 * `onDiagnostic: (m, d) => withoutTelemetry(() => console.warn(m, d))`. Never throws.
 */
export function withoutTelemetry(fn: () => void): void {
  depth++;
  try {
    fn();
  } catch {
    // Instrumentation must never throw into app code (DESIGN.md section 4).
  } finally {
    depth--;
  }
}
