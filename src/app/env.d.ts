/// <reference types="vite/client" />
import type { telemetry, TelemetryOptions } from '../telemetry/index.js';

declare global {
  /** Build-time env of the demo app, besides the library's `VITE_TELEMETRY_*` (see .env.example). */
  interface ImportMetaEnv {
    readonly VITE_FEATURE_TELEMETRY?: string;
    readonly VITE_TELEMETRY_ENDPOINT?: string;
    readonly VITE_TELEMETRY_APP?: string;
    readonly VITE_TELEMETRY_VERSION?: string;
  }

  interface Window {
    /** The app's telemetry client: the one handle end-to-end tests drive the app through. */
    __telemetry: typeof telemetry;
    /** Timings end-to-end tests shorten (set by an init script before the app starts); unset otherwise. */
    __telemetryTestOptions?: Pick<
      TelemetryOptions,
      'retryBaseMs' | 'retryMaxMs' | 'flushIntervalMs' | 'persistDelayMs' | 'maxAttempts'
    >;
  }
}
