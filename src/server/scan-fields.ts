/**
 * The item fields scan-body.ts checks, as validate.ts requires them: their names as bits, what
 * each kind needs, and the fields of ours an item must not carry for its bytes to be reused.
 */
import { OURS } from './lines.js';

export const LEVEL = 1;
export const MESSAGE = 2;
export const NAME = 4;
export const VALUE = 8;
export const TRACE_ID = 16;
export const SPAN_ID = 32;
export const DURATION = 64;
export const STRING_FIELDS = MESSAGE | NAME | TRACE_ID | SPAN_ID;
export const NUMBER_FIELDS = VALUE | DURATION;

/** What each kind's items need, in the order of KINDS (logs, traces, metrics). */
export const REQUIRED = [LEVEL | MESSAGE, TRACE_ID | SPAN_ID | NAME | DURATION, NAME | VALUE];

/** Lengths of the fields the store adds (lines.ts): an item carrying one goes the general path. */
const OURS_LENGTHS = new Set(OURS.map((key) => key.length));

/** The bit of the item key at `[start, start + length)`: 0 for other keys, -1 for a field of ours. */
export function fieldOf(b: Buffer, start: number, length: number): number {
  switch (length) {
    case 4:
      return same(b, start, 'name') ? NAME : 0;
    case 5:
      return same(b, start, 'level') ? LEVEL : same(b, start, 'value') ? VALUE : 0;
    case 6:
      return same(b, start, 'spanId') ? SPAN_ID : 0;
    case 7:
      return same(b, start, 'message') ? MESSAGE : same(b, start, 'traceId') ? TRACE_ID : 0;
    case 8:
      if (same(b, start, 'duration')) return DURATION;
      break;
  }
  if (OURS_LENGTHS.has(length) && OURS.some((key) => key.length === length && same(b, start, key))) return -1;
  return 0;
}

/** Whether the bytes at `at` are the ASCII text `ascii`. */
export function same(b: Buffer, at: number, ascii: string): boolean {
  for (let k = 0; k < ascii.length; k++) if (b[at + k] !== ascii.charCodeAt(k)) return false;
  return true;
}
