import type { Random } from './records.js';

/** localStorage key holding the user's choice; absent means "not opted out". */
export const CONSENT_KEY = 'pwa-telemetry:consent';
/** sessionStorage key of the session id, so a reload stays in the same session and sampling bucket. */
export const SESSION_KEY = 'pwa-telemetry:session';

function storage(kind: 'localStorage' | 'sessionStorage'): Storage | undefined {
  try {
    return typeof globalThis[kind] === 'undefined' ? undefined : globalThis[kind];
  } catch {
    // Access throws in sandboxed iframes and when storage is disabled.
    return undefined;
  }
}

export function isOptedOut(): boolean {
  try {
    return storage('localStorage')?.getItem(CONSENT_KEY) === 'out';
  } catch {
    return false;
  }
}

/** Persists the choice; returns false when it could not be stored (the in-memory choice still holds). */
export function setOptedOut(out: boolean): boolean {
  try {
    const s = storage('localStorage');
    if (!s) return false;
    if (out) s.setItem(CONSENT_KEY, 'out');
    else s.removeItem(CONSENT_KEY);
    return true;
  } catch {
    return false;
  }
}

/** The tab's session id (kept across reloads in sessionStorage), or a new one. */
export function sessionId(newId: () => string): string {
  try {
    const s = storage('sessionStorage');
    const existing = s?.getItem(SESSION_KEY);
    if (existing) return existing;
    const id = newId();
    s?.setItem(SESSION_KEY, id);
    return id;
  } catch {
    return newId();
  }
}

/** Whether this session is in the sample: a stable hash of the id, so a reload does not re-roll. */
export function inSample(id: string, rate: number, _random?: Random): boolean {
  if (rate >= 1) return true;
  if (rate <= 0) return false;
  let hash = 2166136261;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 16777619);
  return (hash >>> 0) / 2 ** 32 < rate;
}
