/** The demo app builds the e2e tests run against, and where the global setup puts them. */
import { join } from 'node:path';

/** Token baked into the enabled builds and expected by the tests' ingest servers. */
export const E2E_TOKEN = 'e2e-token';

const enabled = {
  VITE_TELEMETRY_ENABLED: 'true',
  VITE_TELEMETRY_ENDPOINT: '/ingest',
  VITE_TELEMETRY_TOKEN: E2E_TOKEN,
  VITE_FEATURE_TELEMETRY: 'ENABLED',
};

/** Build-time env of each variant: what `npm start` or a deploy would set. */
export const VARIANTS = {
  /** Telemetry on: env switch and feature flag both say yes. */
  enabled,
  /** The env switch is off (VITE_TELEMETRY_ENABLED unset), though flag and endpoint are set. */
  'env-off': { ...enabled, VITE_TELEMETRY_ENABLED: '' },
  /** The env switch is on, the TELEMETRY feature flag is DISABLED. */
  'flag-off': { ...enabled, VITE_FEATURE_TELEMETRY: 'DISABLED' },
  /** The flag is in BETA: on only where localStorage.beta === 'true'. */
  beta: { ...enabled, VITE_FEATURE_TELEMETRY: 'BETA' },
} satisfies Record<string, Record<string, string>>;

export type Variant = keyof typeof VARIANTS;

/** Set by the global setup for the workers: the directory holding one build per variant. */
export const BUILDS_ENV = 'PWA_TELEMETRY_E2E_BUILDS';

export function buildDir(variant: Variant): string {
  const root = process.env[BUILDS_ENV];
  if (!root) throw new Error(`${BUILDS_ENV} is not set: the e2e global setup did not run`);
  return join(root, variant);
}
