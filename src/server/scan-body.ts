/**
 * The fast path of a native body: one pass over its bytes that checks the JSON grammar, finds each
 * item of `logs`, `traces` and `metrics` and checks the fields the store relies on, without
 * building the items as objects. JSON.parse of the whole body was the largest cost per request
 * (twice the item-span scan, plus the garbage of every item); the envelope around the items is
 * small and still goes through JSON.parse and validateBody, so its rules live in one place.
 *
 * It only says yes when it is sure: anything it does not handle (a line break, an escaped key or
 * level, an item carrying a field of ours, invalid UTF-8, a problem of any kind) returns undefined
 * and the caller takes the general path, which also words the 400 the client gets.
 *
 * One loop and an explicit stack rather than a function per value: calls per token cost as much
 * as JSON.parse did.
 */
import { isUtf8 } from 'node:buffer';
import { KINDS } from '../telemetry/records.js';
import type { ItemSpans } from './item-spans.js';
import { fieldOf, LEVEL, NUMBER_FIELDS, REQUIRED, same, STRING_FIELDS } from './scan-fields.js';
import { MAX_ITEMS, validateBody, type ValidBody } from './validate.js';

export interface ScannedBody {
  /** The body as sent. */
  bytes: Buffer;
  /** The validated envelope (batchId, session, resource, dropped…); its item arrays are empty. */
  envelope: ValidBody;
  /** `[start, end)` byte offsets of each item's object, by kind. */
  spans: ItemSpans;
}

// What each open container is; the top-level object, a kind's array and its items are watched.
const TOP = 1;
const ITEMS = 2;
const ITEM = 3;
const OBJECT = 4;
const ARRAY = 5;
/** Deeper bodies are rare; the general path takes them. */
const MAX_DEPTH = 64;
/** The open containers; one for all scans, since a scan runs to its end without yielding. */
const stack = new Uint8Array(MAX_DEPTH + 1);

// What comes next.
const VALUE = 0;
const FIRST_KEY = 1;
const KEY = 2;
const FIRST_VALUE = 3;
const AFTER = 4;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

export function scanBody(bytes: Buffer): ScannedBody | undefined {
  if (!isUtf8(bytes)) return undefined;
  const bom = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  const spans: ItemSpans = { logs: [], traces: [], metrics: [] };
  const arrays: number[] = [];
  if (!scan(bytes, bom, spans, arrays)) return undefined;
  if ((spans.logs.length + spans.traces.length + spans.metrics.length) / 2 > MAX_ITEMS) return undefined;
  // The envelope is the body without its item arrays: small, so JSON.parse and validateBody check it.
  let envelope = '';
  let from = bom;
  for (let k = 0; k < arrays.length; k += 2) {
    envelope += `${bytes.toString('utf8', from, arrays[k])}[]`;
    from = arrays[k + 1]!;
  }
  envelope += bytes.toString('utf8', from);
  const checked = validateBody(JSON.parse(envelope));
  return checked.ok ? { bytes, envelope: checked.body, spans } : undefined;
}

/** Scans the whole body; false when the general path must take it. */
function scan(b: Buffer, start: number, spans: ItemSpans, arrays: number[]): boolean {
  const n = b.length;
  let depth = 0;
  /** What stack[depth] holds, kept at hand. */
  let open = 0;
  let state = VALUE;
  let i = start;
  /** Kinds seen at the top: a repeated one (JSON.parse keeps the last) is left to the general path. */
  let seenKinds = 0;
  /** The kind whose array is open, and what its items need. */
  let kind: 0 | 1 | 2 = 0;
  let required = 0;
  /** At the top: the kind the current key names (-1: none). In an item: the field it names. */
  let key = -1;
  let field = 0;
  let found = 0;
  let itemStart = 0;

  for (;;) {
    let c = b[i];
    while (c === 0x20 || c === 0x09) c = b[++i];
    if (c === undefined) return false;

    if (state === AFTER) {
      if (depth === 0) return i === n ? true : false;
      const container = open;
      const inObject = container === TOP || container === ITEM || container === OBJECT;
      if (c === 0x2c) {
        state = inObject ? KEY : VALUE;
        i++;
        continue;
      }
      if (c !== (inObject ? 0x7d : 0x5d)) return false;
      i++;
      open = stack[--depth]!;
      if (container === ITEM) {
        if (found !== required) return false;
        spans[KINDS[kind]!].push(itemStart, i);
      } else if (container === ITEMS) {
        arrays.push(i);
      }
      if (depth === 0) {
        while (b[i] === 0x20 || b[i] === 0x09) i++;
        return i === n;
      }
      continue;
    }

    if (state === FIRST_KEY || state === KEY) {
      if (c === 0x7d && state === FIRST_KEY) {
        state = AFTER;
        continue;
      }
      if (c !== QUOTE) return false;
      const keyStart = i + 1;
      // Keys are short and unescaped in practice: an escape might spell a watched name.
      let j = keyStart;
      for (;;) {
        const k = b[j];
        if (k === QUOTE) break;
        if (k === undefined || k === BACKSLASH || k < 0x20) return false;
        j++;
      }
      if (open === TOP) key = topKey(b, keyStart, j - keyStart);
      else if (open === ITEM) {
        field = fieldOf(b, keyStart, j - keyStart);
        if (field < 0) return false;
      }
      i = j + 1;
      c = b[i];
      while (c === 0x20 || c === 0x09) c = b[++i];
      if (c !== 0x3a) return false;
      i++;
      state = VALUE;
      continue;
    }

    // FIRST_VALUE: an empty array, or else a value as in VALUE.
    if (state === FIRST_VALUE && c === 0x5d) {
      state = AFTER;
      continue;
    }

    // A value starts at i.
    if (open === TOP && key >= 0) {
      // A kind's array: its items are watched.
      if (c !== 0x5b || seenKinds & (1 << key)) return false;
      seenKinds |= 1 << key;
      kind = key as 0 | 1 | 2;
      required = REQUIRED[kind]!;
      arrays.push(i);
      stack[++depth] = open = ITEMS;
      state = FIRST_VALUE;
      i++;
      continue;
    }
    if (open === ITEMS) {
      if (c !== 0x7b) return false;
      itemStart = i;
      found = 0;
      stack[++depth] = open = ITEM;
      state = FIRST_KEY;
      i++;
      continue;
    }
    const watched = open === ITEM && field !== 0 && (field & required) !== 0;
    if (c === QUOTE) {
      let escaped = false;
      let j = i + 1;
      for (;;) {
        const k = b[j];
        // Most bytes: printable and neither a quote nor a backslash.
        if (k! > QUOTE && k !== BACKSLASH) {
          j++;
          continue;
        }
        if (k === QUOTE) break;
        if (k !== BACKSLASH) {
          // A control character, or the end of the body.
          if (k === undefined || k < 0x20) return false;
          j++;
          continue;
        }
        escaped = true;
        const e = b[j + 1];
        if (e === 0x75) {
          if (!hex(b[j + 2]) || !hex(b[j + 3]) || !hex(b[j + 4]) || !hex(b[j + 5])) return false;
          j += 6;
        } else if (
          e === QUOTE ||
          e === BACKSLASH ||
          e === 0x2f ||
          e === 0x62 ||
          e === 0x66 ||
          e === 0x6e ||
          e === 0x72 ||
          e === 0x74
        ) {
          j += 2;
        } else return false;
      }
      if (watched) {
        const ok = field === LEVEL ? !escaped && isLevel(b, i + 1, j) : (field & STRING_FIELDS) !== 0;
        found = ok ? found | field : found & ~field;
      }
      i = j + 1;
      state = AFTER;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      if (watched) found &= ~field;
      if (depth === MAX_DEPTH) return false;
      open = c === 0x7b ? (depth === 0 ? TOP : OBJECT) : ARRAY;
      stack[++depth] = open;
      state = c === 0x7b ? FIRST_KEY : FIRST_VALUE;
      i++;
      continue;
    }
    const isNumber = c === 0x2d || digit(c);
    const end = isNumber ? number(b, i) : literal(b, i);
    if (end < 0) return false;
    if (watched) {
      // 1e999 is valid JSON but not a finite number.
      const ok =
        isNumber && (field & NUMBER_FIELDS) !== 0 && Number.isFinite(Number(b.toString('latin1', i, end)));
      found = ok ? found | field : found & ~field;
    }
    i = end;
    state = AFTER;
  }
}

/** The index in KINDS of the top-level key at `[start, start + length)`, or -1. */
function topKey(b: Buffer, start: number, length: number): number {
  for (let k = 0; k < KINDS.length; k++)
    if (KINDS[k]!.length === length && same(b, start, KINDS[k]!)) return k;
  return -1;
}

const LEVELS = ['debug', 'info', 'warn', 'error'];

function isLevel(b: Buffer, start: number, end: number): boolean {
  for (const level of LEVELS) if (level.length === end - start && same(b, start, level)) return true;
  return false;
}

/** The end of `true`, `false` or `null` at `i`, or -1. */
function literal(b: Buffer, i: number): number {
  if (same(b, i, 'true') || same(b, i, 'null')) return i + 4;
  return same(b, i, 'false') ? i + 5 : -1;
}

/** The end of `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` at `i`, or -1. */
function number(b: Buffer, i: number): number {
  if (b[i] === 0x2d) i++;
  if (b[i] === 0x30) i++;
  else if (digit(b[i])) while (digit(b[i])) i++;
  else return -1;
  if (b[i] === 0x2e) {
    if (!digit(b[++i])) return -1;
    while (digit(b[i])) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === 0x2b || b[i] === 0x2d) i++;
    if (!digit(b[i])) return -1;
    while (digit(b[i])) i++;
  }
  return i;
}

function digit(c: number | undefined): boolean {
  return c! >= 0x30 && c! <= 0x39;
}

function hex(c: number | undefined): boolean {
  return digit(c) || (c! >= 0x41 && c! <= 0x46) || (c! >= 0x61 && c! <= 0x66);
}
