/**
 * Where each item of `logs`, `traces` and `metrics` sits in the raw body text, so the store can
 * write an item's own bytes instead of serialising again what JSON.parse just read (the biggest
 * cost per request once the I/O was batched). Only called on text JSON.parse accepted, so the
 * scanner skips values without checking them; any surprise returns undefined and the caller
 * falls back to JSON.stringify.
 */
import { KINDS, type Kind } from '../telemetry/records.js';

/** `[start, end)` offsets of each item's object text, by kind. */
export type ItemSpans = Record<Kind, number[]>;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;
const COLON = 0x3a;

class Unexpected extends Error {}

export function itemSpans(text: string): ItemSpans | undefined {
  try {
    return scan(text);
  } catch (error) {
    if (error instanceof Unexpected) return undefined;
    throw error;
  }
}

function scan(text: string): ItemSpans {
  const spans: ItemSpans = { logs: [], traces: [], metrics: [] };
  let i = skipSpace(text, 0);
  if (text.charCodeAt(i) !== OPEN_OBJECT) throw new Unexpected();
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_OBJECT) return spans;
  for (;;) {
    const keyEnd = endOfString(text, i);
    const key = text.slice(i + 1, keyEnd - 1);
    i = skipSpace(text, keyEnd);
    if (text.charCodeAt(i) !== COLON) throw new Unexpected();
    i = skipSpace(text, i + 1);
    if ((KINDS as readonly string[]).includes(key) && text.charCodeAt(i) === OPEN_ARRAY) {
      // A repeated key: JSON.parse keeps the last value, and so does this.
      const list: number[] = [];
      i = elements(text, i, list);
      spans[key as Kind] = list;
    } else {
      i = endOfValue(text, i);
    }
    i = skipSpace(text, i);
    const c = text.charCodeAt(i);
    if (c === CLOSE_OBJECT) return spans;
    if (c !== COMMA) throw new Unexpected();
    i = skipSpace(text, i + 1);
  }
}

/** Records `start, end` of each element of the array at `i`; returns the offset after `]`. */
function elements(text: string, i: number, out: number[]): number {
  i = skipSpace(text, i + 1);
  if (text.charCodeAt(i) === CLOSE_ARRAY) return i + 1;
  for (;;) {
    const end = endOfValue(text, i);
    out.push(i, end);
    i = skipSpace(text, end);
    const c = text.charCodeAt(i);
    if (c === CLOSE_ARRAY) return i + 1;
    if (c !== COMMA) throw new Unexpected();
    i = skipSpace(text, i + 1);
  }
}

/** Offset just after the value starting at `i`: nesting counted, strings skipped whole. */
function endOfValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === QUOTE) return endOfString(text, i);
  if (first !== OPEN_OBJECT && first !== OPEN_ARRAY) {
    // A number, true, false or null: runs to the next delimiter.
    while (i < text.length) {
      const c = text.charCodeAt(i);
      if (c === COMMA || c === CLOSE_OBJECT || c === CLOSE_ARRAY || c <= 0x20) break;
      i++;
    }
    return i;
  }
  let depth = 0;
  while (i < text.length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = endOfString(text, i);
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
    else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
      depth--;
      if (depth === 0) return i + 1;
    }
    i++;
  }
  throw new Unexpected();
}

/** Offset just after the closing quote of the string whose opening quote is at `i`. */
function endOfString(text: string, i: number): number {
  if (text.charCodeAt(i) !== QUOTE) throw new Unexpected();
  let at = i + 1;
  for (;;) {
    // indexOf runs natively: most of a body is string content.
    const quote = text.indexOf('"', at);
    if (quote === -1) throw new Unexpected();
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && text.charCodeAt(i) <= 0x20) i++;
  return i;
}
