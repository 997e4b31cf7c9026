/**
 * An anonymous user id that changes every day (UTC) and cannot be joined across days: it is random,
 * not derived from anything about the user or the device, and the previous day's value is overwritten,
 * never kept. Stored in localStorage beside the consent choice, so every tab of the origin shares it.
 */

/** localStorage key: `<day number>.<id>`. */
export const ANONYMOUS_ID_KEY = 'pwa-telemetry:anonymous-id';

const DAY_MS = 86_400_000;

/** Returns `id(now)`: today's id, made and stored on the first call of each day. */
export function anonymousIds(newId: () => string): (now: number) => string {
  let day = NaN;
  let id = '';
  return (now) => {
    const today = Math.floor(now / DAY_MS);
    if (today === day) return id;
    day = today;
    try {
      const [storedDay, storedId] = (localStorage.getItem(ANONYMOUS_ID_KEY) ?? '').split('.');
      if (Number(storedDay) === today && storedId) return (id = storedId);
      id = newId();
      localStorage.setItem(ANONYMOUS_ID_KEY, `${today}.${id}`);
    } catch {
      // No localStorage (workers, sandboxed frames): the id lives as long as this page.
      id = newId();
    }
    return id;
  };
}

/** Forgets today's id (opt-out): the next opt-in starts a new one. */
export function clearAnonymousId(): void {
  try {
    localStorage.removeItem(ANONYMOUS_ID_KEY);
  } catch {
    // nothing stored
  }
}
