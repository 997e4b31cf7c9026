import { createTelemetry, type Telemetry } from './client.js';
import { fromViteEnv, type TelemetryEnv, type TelemetryOptions } from './config.js';

/** The app-wide client: `configure()` once at start-up (e.g. with the feature flag), then use it anywhere. */
export interface TelemetrySingleton extends Telemetry {
  /**
   * Sets options on top of the Vite env (`VITE_TELEMETRY_*`). Call it before the first event: the
   * client is created from env alone on first use otherwise. Calling it again shuts the old client
   * down (flushing it) and starts a new one.
   */
  configure(options: TelemetryOptions): void;
}

function viteEnv(): TelemetryEnv | undefined {
  try {
    // Vite replaces import.meta.env at build time; elsewhere (Node, tests) it is undefined.
    return (import.meta as ImportMeta & { env?: TelemetryEnv }).env;
  } catch {
    return undefined;
  }
}

let client: Telemetry | null = null;
const current = (): Telemetry => (client ??= createTelemetry(fromViteEnv(viteEnv())));

/** The singleton. Nothing is opened until first use, and nothing at all when telemetry is off. */
export const telemetry: TelemetrySingleton = {
  configure(options) {
    const previous = client;
    client = createTelemetry({ ...fromViteEnv(viteEnv()), ...options });
    if (previous) void previous.shutdown();
  },
  log: (level, message, context) => current().log(level, message, context),
  metric: (name, value, labels) => current().metric(name, value, labels),
  trace: (name, durationMs, attributes) => current().trace(name, durationMs, attributes),
  startSpan: (name, attributes, options) => current().startSpan(name, attributes, options),
  exception: (error, context) => current().exception(error, context),
  flush: () => current().flush(),
  optOut: () => current().optOut(),
  optIn: () => current().optIn(),
  isEnabled: () => current().isEnabled(),
  status: () => current().status(),
  shutdown: () => current().shutdown(),
};
