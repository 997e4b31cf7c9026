import type { Random } from './records.js';

/** localStorage key holding the user's choice: 'in', 'out', or absent (not asked yet). */
export const CONSENT_KEY = 'pwa-telemetry:consent';
/** The user's choice as stored: 'unknown' until they opt in or out. */
export type ConsentState = 'unknown' | 'granted' | 'denied';

// Reading `localStorage` itself throws in sandboxed iframes and when storage is disabled, and it does
// not exist in workers: every access goes through a try.

export function storedConsent(): ConsentState {
  try {
    const value = localStorage.getItem(CONSENT_KEY);
    return value === 'out' ? 'denied' : value === 'in' ? 'granted' : 'unknown';
  } catch {
    return 'unknown';
  }
}

/** Persists the choice; returns false when it could not be stored (the in-memory choice still holds). */
export function storeConsent(state: 'granted' | 'denied'): boolean {
  try {
    localStorage.setItem(CONSENT_KEY, state === 'denied' ? 'out' : 'in');
    return true;
  } catch {
    return false;
  }
}

/** Whether this session is in the sample: a stable hash of the id, so a reload does not re-roll. */
export function inSample(id: string, rate: number, _random?: Random): boolean {
  if (rate >= 1) return true;
  let hash = 2166136261;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619);
  return (hash >>> 0) / 2 ** 32 < rate;
}

/** `navigator.globalPrivacyControl` (Sec-GPC), where the browser has it. */
export function globalPrivacyControl(): boolean {
  try {
    return (
      (globalThis.navigator as { globalPrivacyControl?: unknown } | undefined)?.globalPrivacyControl === true
    );
  } catch {
    return false;
  }
}
