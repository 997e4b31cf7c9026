/** Day-file naming shared by the store and retention: `<kind>/<YYYY-MM-DD>.jsonl`, days in UTC. */

export const DAY_MS = 86_400_000;

const DAY = /^\d{4}-\d{2}-\d{2}$/;
const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl$/;

/** The UTC calendar day of an epoch-millisecond time, as `YYYY-MM-DD`. */
export function utcDay(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/**
 * True for a real calendar day in `YYYY-MM-DD` form. Callers use it before building a path from
 * outside input (the dashboard's `day` parameter), so it must reject anything else.
 */
export function isDay(value: string): boolean {
  if (!DAY.test(value)) return false;
  const ms = Date.parse(`${value}T00:00:00Z`);
  return Number.isFinite(ms) && utcDay(ms) === value;
}

/** The day a store file holds, or undefined for any other file name (which is then left alone). */
export function dayOfFile(name: string): string | undefined {
  const day = DAY_FILE.exec(name)?.[1];
  return day !== undefined && isDay(day) ? day : undefined;
}
