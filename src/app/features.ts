/**
 * Feature flags of the demo app. Each flag has a phase, fixed at build time from a Vite env
 * variable `VITE_FEATURE_<NAME>`:
 *
 * - `DISABLED` (the default, also for a missing or unknown value): off for everyone.
 * - `BETA`: on only for beta users, i.e. when `localStorage.beta === 'true'` in this browser
 *   (set it in the devtools console: `localStorage.beta = 'true'`). Off when storage is unavailable.
 * - `ENABLED`: on for everyone.
 *
 * The telemetry library never imports this module: the app passes `() => isFeatureEnabled('TELEMETRY')`
 * as its `featureFlag` option, a second gate on top of `VITE_TELEMETRY_ENABLED`.
 */

export const FEATURE_PHASES = ['DISABLED', 'BETA', 'ENABLED'] as const;
export type FeaturePhase = (typeof FEATURE_PHASES)[number];

/** localStorage key that marks this browser as a beta user's. */
export const BETA_STORAGE_KEY = 'beta';

/** Reads a phase from an env value; anything else (including undefined) is `DISABLED`. */
export function parsePhase(value: unknown): FeaturePhase {
  const phase = typeof value === 'string' ? value.trim().toUpperCase() : '';
  return (FEATURE_PHASES as readonly string[]).includes(phase) ? (phase as FeaturePhase) : 'DISABLED';
}

/** Every flag and its phase. */
export const FEATURES = {
  TELEMETRY: parsePhase(import.meta.env.VITE_FEATURE_TELEMETRY),
} satisfies Record<string, FeaturePhase>;

export type FeatureName = keyof typeof FEATURES;

/** True when this browser has opted into beta features. */
export function isBetaUser(): boolean {
  try {
    return globalThis.localStorage?.getItem(BETA_STORAGE_KEY) === 'true';
  } catch {
    // Storage access throws in sandboxed iframes and when the user blocks it.
    return false;
  }
}

/** Whether a feature is on for this user now. */
export function isFeatureEnabled(name: FeatureName): boolean {
  const phase = FEATURES[name];
  return phase === 'ENABLED' || (phase === 'BETA' && isBetaUser());
}
