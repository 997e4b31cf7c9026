import { createTelemetry, type Telemetry } from './client.js';
import { fromViteEnv, safeOptions, type TelemetryEnv, type TelemetryOptions } from './config.js';

/** The app-wide client: `configure()` once at start-up (e.g. with the feature flag), then use it anywhere. */
export interface TelemetrySingleton extends Telemetry {
  /**
   * Sets options on top of the Vite env (`VITE_TELEMETRY_*`). Call it before the first event: the
   * client is created from env alone on first use otherwise. Calling it again shuts the old client
   * down (flushing it) and starts a new one.
   */
  configure(options: TelemetryOptions): void;
}

/** A client from the Vite env (`VITE_TELEMETRY_*`), with `options` on top. */
function fromEnv(options?: TelemetryOptions): Telemetry {
  // Vite replaces import.meta.env at build time; elsewhere (Node, tests) it is undefined.
  return createTelemetry({
    ...fromViteEnv((import.meta as ImportMeta & { env?: TelemetryEnv }).env),
    // Copied safely: spreading a hostile options object could throw.
    ...safeOptions(options),
  });
}

let client: Telemetry | null = null;
const current = (): Telemetry => (client ??= fromEnv());

const METHODS = [
  'log',
  'metric',
  'trace',
  'startSpan',
  'exception',
  'flush',
  'optOut',
  'optIn',
  'consentState',
  'isEnabled',
  'isConfigured',
  'getSessionId',
  'getAnonymousId',
  'setLevel',
  'exportQueued',
  'clearQueued',
  'status',
  'shutdown',
] as const;

/** The singleton. Nothing is opened until first use, and nothing at all when telemetry is off. */
export const telemetry: TelemetrySingleton = {
  // Each method calls the current client, created on first use.
  ...(Object.fromEntries(
    METHODS.map((name) => [
      name,
      (...args: unknown[]) => (current()[name] as (...a: unknown[]) => unknown)(...args),
    ]),
  ) as unknown as Telemetry),
  configure(options) {
    const previous = client;
    client = fromEnv(options);
    if (previous) void previous.shutdown();
  },
};
