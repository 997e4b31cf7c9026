import type { Attributes, ExceptionInfo, JsonValue } from './records.js';
import { createTextScrubber, type ScrubPattern } from './scrub.js';

export { UUID_PATTERN, type Replacement, type ScrubPattern } from './scrub.js';

/**
 * Turns anything an app passes in into a JSON-safe, size-capped value with personal data scrubbed.
 * Never throws: getters that throw, revoked proxies and exotic objects become placeholder strings.
 */

const STRING = 1024; // longest string kept in a context value, marker included
const MESSAGE = 4096; // longest log message or exception message
const STACK = 8192;
const DEPTH = 6;
const KEYS = 50; // per object
const ITEMS = 50; // per array
// Scrubbing reads this far past the cut, so a value straddling the cut is still recognised whole.
const MARGIN = 128;

export const LIMITS = {
  string: STRING,
  message: MESSAGE,
  stack: STACK,
  depth: DEPTH,
  keys: KEYS,
  items: ITEMS,
};
export const REDACTED = '[REDACTED]';
const UNSERIALIZABLE = '[Unserializable]';

// Keys whose values are credentials or personal data whatever they hold. A key is split into words
// (camelCase, snake_case, kebab-case) and joined as `_word_word_`, so `authToken` matches but
// `author` and `className` do not. A few compounds match however they are written (`api_key`,
// `apiKey`, `apikey`), and so do common session cookie names (`sessionid`, `PHPSESSID`, `sid`).
const SENSITIVE =
  /_(pass(word|wd|phrase)?|pwd|secret|token|auth(orization)?|cookie|credentials?|email|phone|ssn|cvv|pin|otp|jwt|bearer|session|sid|xsrf)_|(api|private)_?key|credit_?card|card_?number|clientsecret|setcookie|sess(ion)?_?id|csrf_?token/;
const WORD_SPLIT = /[^A-Za-z\d]+|(?<=[a-z\d])(?=[A-Z])/;

/** Options of the privacy step. Pure data: `createScrubber` reads them once. */
export interface ScrubOptions {
  /**
   * Extra patterns scrubbed out of every string (messages, names, values, keys, stacks, the URL) after
   * the built-in ones. A pattern without the `g` flag is made global. They run on every string (no
   * pre-check can be derived for them), so keep them anchored on a literal, e.g.
   * `{ pattern: /\bCUST-\d{6}\b/, replacement: '[customer]' }`. A replacement function that throws
   * turns the whole string into `[REDACTED]`.
   * @default []
   */
  scrubPatterns?: readonly ScrubPattern[];
  /**
   * Keys whose values are kept although their name reads as sensitive (`sessionId`, `authMethod`).
   * Matched whole and case-insensitively, as object keys and as `key=value` in text. The values are
   * still scrubbed for patterns (emails, tokens, cards…).
   * @default []
   */
  allowKeys?: readonly string[];
}

/**
 * The privacy step with its options applied. The functions need no `this` (destructure them freely), keep
 * only small caches and never throw.
 */
export interface Scrubber {
  /** Scrubs a string and cuts it to `max` UTF-16 units, marker included (never splitting a surrogate pair). */
  cleanString: (value: string, max?: number) => string;
  /** Any value to a JSON-safe value (undefined becomes null). */
  sanitize: (value: unknown) => JsonValue;
  /** A context or attributes argument to a flat map; a non-object becomes `{ value }`. */
  sanitizeAttributes: (value: unknown) => Attributes;
  /** A message (or metric or span name) argument to a capped, scrubbed string. */
  sanitizeMessage: (value: unknown) => string;
  /** Any thrown value to `{ type, message, stack }`: non-Error rejections keep their value as the message. */
  exceptionInfo: (error: unknown) => ExceptionInfo;
  /** Whether the value under `key` is redacted whatever it holds. */
  isSensitiveKey: (key: string) => boolean;
  /** The page URL without query string or fragment, scrubbed; undefined outside a page. */
  pageUrl: () => string | undefined;
}

/** The constructor name of an object, for placeholders. */
function describe(value: object): string {
  try {
    const name: unknown = value.constructor.name;
    return typeof name === 'string' && name ? name : 'Object';
  } catch {
    return 'Object';
  }
}

/** `s` cut to at most `end` units without keeping half of a surrogate pair. */
function cutAt(s: string, end: number): string {
  return s.slice(0, end > 0 && (s.charCodeAt(end - 1) & 0xfc00) === 0xd800 ? end - 1 : end);
}

/** Builds the privacy step with `options` applied (see `ScrubOptions`). */
export function createScrubber(options: ScrubOptions = {}): Scrubber {
  const allow = new Set((options.allowKeys ?? []).map((k) => String(k).toLowerCase()));
  // Context keys repeat call after call: remember each verdict and scrubbed key (bounded, cleared when full).
  const keyCache = new Map<string, [clean: string, sensitive: boolean]>();

  function isSensitiveKey(key: string): boolean {
    return (
      !allow.has(key.toLowerCase()) && SENSITIVE.test(`_${key.split(WORD_SPLIT).join('_')}_`.toLowerCase())
    );
  }

  const scrub = createTextScrubber(isSensitiveKey, options.scrubPatterns);

  function cleanString(value: string, max: number = STRING): string {
    // Scrub before cutting, or an email straddling the cut would leave its first half behind. Only a
    // margin past the cut is scanned, so a 2 MB string costs no more than a short one.
    const sliced = value.length > max + MARGIN;
    const s = scrub(sliced ? value.slice(0, max + MARGIN) : value);
    if (s.length <= max && !sliced) return s;
    // No room for the marker under a tiny cap: a plain cut keeps the promise of never exceeding it.
    if (max < 32) return cutAt(s, Math.max(0, max));
    // Room for the marker: its count has at most as many digits as this sum.
    let end = Math.max(0, max - 19 - String(value.length + s.length).length);
    // Scrubbing may have shortened the text: still drop the margin, which may end in half a value.
    if (sliced) end = Math.min(end, Math.max(0, s.length - MARGIN));
    let kept = cutAt(s, end);
    // Cut at a word boundary when there is one nearby, so no half token is left to look like data.
    const space = kept.search(/\s\S{0,63}$/);
    if (space > 0) kept = kept.slice(0, space + 1);
    // A cut can still form a new match (the first 16 digits of a longer number): scrub what is kept.
    for (let i = 0; i < 3; i++) {
      const again = scrub(kept);
      if (again === kept) break;
      kept = cutAt(again, end);
    }
    const cut = value.length - (sliced ? max + MARGIN : value.length) + s.length - kept.length;
    return `${kept}…[truncated ${Math.max(0, cut)} chars]`;
  }

  /** A key as it is sent, and whether its value is redacted. */
  function readKey(rawKey: unknown): [string, boolean] {
    if (typeof rawKey !== 'string' || rawKey.length > 128) {
      const key = cleanString(String(rawKey), 128);
      return [key, isSensitiveKey(key)];
    }
    let entry = keyCache.get(rawKey);
    if (entry === undefined) {
      entry = [cleanString(rawKey, 128), isSensitiveKey(rawKey)];
      if (keyCache.size >= 1000) keyCache.clear();
      keyCache.set(rawKey, entry);
    }
    return entry;
  }

  // `seen` holds the ancestors only (depth <= DEPTH): cheaper than a WeakSet per call.
  function sanitizeValue(value: unknown, depth: number, seen: object[]): JsonValue | undefined {
    switch (typeof value) {
      case 'string':
        return cleanString(value);
      case 'number':
        // JSON has no NaN or Infinity; keep the fact rather than turning it into null.
        return Number.isFinite(value) ? value : String(value);
      case 'boolean':
      case 'undefined':
        return value;
      case 'function':
        return `[Function ${cleanString(value.name, 128) || 'anonymous'}]`;
      case 'bigint':
      case 'symbol':
        return cleanString(String(value));
    }
    if (value === null) return null;
    const obj = value as object;
    if (seen.includes(obj)) return '[Circular]';
    if (depth >= DEPTH) return `[${describe(obj)}]`;
    seen.push(obj);
    try {
      // Plain objects first: the common case skips the instanceof chain below.
      const proto: unknown = Object.getPrototypeOf(obj);
      if (proto === Object.prototype || proto === null) return sanitizeRecord(obj, depth, seen);
      if (Array.isArray(obj) || obj instanceof Set) {
        // Only the first ITEMS are read: copying the whole list first made a sparse
        // `new Array(1e8)` take 18 s (and `new Array(1e9)` run out of memory).
        const total = Array.isArray(obj) ? obj.length : obj.size;
        const list = Array.isArray(obj) ? obj.slice(0, ITEMS) : first(obj, ITEMS);
        // Array.from, not map: a hole becomes null, as JSON has it.
        const out = Array.from(list, (item) => sanitizeValue(item, depth + 1, seen) ?? null);
        if (total > ITEMS) out.push(`[${total - ITEMS} more]`);
        return out;
      }
      if (obj instanceof Error) {
        const out: Attributes = { ...exceptionInfo(obj) };
        const cause = depth + 1 < DEPTH ? sanitizeValue(obj.cause, depth + 1, seen) : undefined;
        if (cause !== undefined) out.cause = cause;
        return out;
      }
      if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
      if (obj instanceof RegExp) return cleanString(String(obj));
      if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return `[${describe(obj)}]`;
      if (typeof Node !== 'undefined' && obj instanceof Node) return `[${obj.nodeName}]`;
      if (obj instanceof Map)
        return sanitizeEntries(first(obj.keys(), KEYS), (k) => obj.get(k), depth, seen, obj.size);
      return sanitizeRecord(obj, depth, seen);
    } catch {
      return UNSERIALIZABLE;
    } finally {
      seen.pop();
    }
  }

  function sanitizeRecord(obj: object, depth: number, seen: object[]): Attributes {
    return sanitizeEntries(
      Object.keys(obj),
      (k) => (obj as Record<string, unknown>)[k as string],
      depth,
      seen,
    );
  }

  function sanitizeEntries(
    keys: unknown[],
    read: (key: unknown) => unknown,
    depth: number,
    seen: object[],
    total = keys.length,
  ): Attributes {
    const out: Attributes = {};
    for (const rawKey of keys.slice(0, KEYS)) {
      const [key, sensitive] = readKey(rawKey);
      let v: JsonValue | undefined = REDACTED;
      if (!sensitive) {
        try {
          v = sanitizeValue(read(rawKey), depth + 1, seen);
        } catch {
          // A getter that throws loses only its own key.
          v = UNSERIALIZABLE;
        }
      }
      if (v !== undefined) setOwn(out, key, v);
    }
    if (total > KEYS) out['…'] = `${total - KEYS} more keys`;
    return out;
  }

  function sanitize(value: unknown): JsonValue {
    return sanitizeValue(value, 0, []) ?? null;
  }

  function sanitizeAttributes(value: unknown): Attributes {
    if (value == null) return {};
    const v = sanitize(value);
    return typeof v === 'object' && v && !Array.isArray(v) ? v : { value: v };
  }

  function sanitizeMessage(value: unknown): string {
    if (value === undefined) return 'undefined';
    const v = typeof value === 'string' ? value : sanitize(value);
    // What sanitize() gives is plain, bounded JSON: stringifying it cannot throw.
    return cleanString(typeof v === 'string' ? v : JSON.stringify(v), MESSAGE);
  }

  function exceptionInfo(error: unknown): ExceptionInfo {
    try {
      if (typeof error !== 'object' || !error)
        return { type: error === null ? 'null' : typeof error, message: sanitizeMessage(error) };
      const e = error as { name?: unknown; message?: unknown; stack?: unknown };
      const isError = error instanceof Error || 'message' in error;
      const info: ExceptionInfo = {
        type: typeof e.name === 'string' && e.name && isError ? cleanString(e.name, 128) : describe(error),
        message: sanitizeMessage(isError ? e.message : error),
      };
      if (isError && typeof e.stack === 'string') info.stack = cleanString(e.stack, STACK);
      return info;
    } catch {
      return { type: 'Unknown', message: UNSERIALIZABLE };
    }
  }

  let lastHref: string | undefined;
  let lastUrl: string | undefined;

  // Query string and fragment often carry tokens or personal data: only origin and path are kept.
  // Cached per `document.URL` (about 40 ns to read in Chromium), since building it from `location`
  // costs microseconds. `location` is not even looked at per call: in Chromium `typeof location`
  // alone took 290 ns (the Location object is reachable cross-origin and checked on access), 44 % of
  // a log() call in the bench.
  function pageUrl(): string | undefined {
    try {
      // Checked, not caught: a ReferenceError on every call (Node, some workers) costs microseconds.
      const href =
        typeof document !== 'undefined'
          ? document.URL
          : typeof location !== 'undefined'
            ? location.href
            : undefined;
      if (href === undefined) return undefined;
      if (href !== lastHref) {
        lastHref = href;
        // The origin is the app's own (an IP host is the server's, not the user's): kept as it is, as
        // URLs in text keep theirs; the path may carry personal data and is scrubbed.
        lastUrl = location.origin + cleanString(location.pathname);
      }
      return lastUrl;
    } catch {
      return undefined;
    }
  }

  return {
    cleanString,
    sanitize,
    sanitizeAttributes,
    sanitizeMessage,
    exceptionInfo,
    isSensitiveKey,
    pageUrl,
  };
}

/** The privacy step with default options, used where no client options reach (instrumentation). */
export const defaultScrubber: Scrubber = createScrubber();
// Its functions, each on its own: a destructuring of defaultScrubber would stay in every bundle (it
// reads properties), these go from bundles that use none of them, such as the client's.
export const cleanString: Scrubber['cleanString'] = (value, max) => defaultScrubber.cleanString(value, max);
export const sanitize: Scrubber['sanitize'] = (value) => defaultScrubber.sanitize(value);
export const sanitizeAttributes: Scrubber['sanitizeAttributes'] = (value) =>
  defaultScrubber.sanitizeAttributes(value);
export const sanitizeMessage: Scrubber['sanitizeMessage'] = (value) => defaultScrubber.sanitizeMessage(value);
export const exceptionInfo: Scrubber['exceptionInfo'] = (error) => defaultScrubber.exceptionInfo(error);
export const isSensitiveKey: Scrubber['isSensitiveKey'] = (key) => defaultScrubber.isSensitiveKey(key);
export const pageUrl: Scrubber['pageUrl'] = () => defaultScrubber.pageUrl();

/** Why `applyBeforeSend` dropped a record: the hook asked, or it threw or returned something unusable. */
export type BeforeSendDrop = 'before_send' | 'before_send_error';

/** A hook that may edit a record (in place or by returning a new one) or drop it (`null` or `false`). */
export type BeforeSend<T extends object> = (record: T) => T | null | false | undefined | void;

/**
 * Runs an app's `beforeSend` hook on one record. Returns the record to keep, or why it is dropped; the
 * caller counts drops. Never throws:
 * - no hook: the record itself;
 * - returns `null` or `false`: `'before_send'`;
 * - returns `undefined`: the record as the hook edited it in place;
 * - returns an object: that object;
 * - throws, returns anything else, or changes the type of a field the record had (an encoder relies on
 *   it, e.g. `timestamp` a number, `context` an object): `'before_send_error'`. Fields may be added, and
 *   `url`, `exception`, `parentSpanId` and `status` removed. Values are not checked (`level`, `status`).
 * The kept record passes the privacy step again, so a hook cannot add unscrubbed or non-JSON data:
 * strings are scrubbed and capped (`stack` at LIMITS.stack, others at LIMITS.message), objects sanitized.
 */
export function applyBeforeSend<T extends object>(
  record: T,
  hook: BeforeSend<T> | undefined,
  scrubber: Scrubber = defaultScrubber,
): T | BeforeSendDrop {
  if (!hook) return record;
  try {
    const types = new Map(Object.entries(record).map(([k, v]) => [k, kindOf(v)]));
    const result = hook(record);
    if (result === null || result === false) return 'before_send';
    const out = (result === undefined ? record : result) as unknown;
    if (kindOf(out) !== 'object') return 'before_send_error';
    const clean = scrubTop(out as Record<string, unknown>, scrubber);
    for (const [k, kind] of types) {
      const now = kindOf(clean[k]);
      if (now !== kind && kind !== 'undefined' && !(now === 'undefined' && OPTIONAL.has(k)))
        return 'before_send_error';
    }
    return clean as T;
  } catch {
    return 'before_send_error';
  }
}

// Fields a hook may remove: the encoders treat them as optional.
const OPTIONAL = new Set(['url', 'exception', 'parentSpanId', 'status']);

function kindOf(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** A record's top level: strings at the message cap (the stack at its own), nested values sanitized. */
function scrubTop(obj: Record<string, unknown>, scrubber: Scrubber): Record<string, JsonValue> {
  const out: Record<string, JsonValue> = {};
  for (const key of Object.keys(obj).slice(0, KEYS)) {
    const v = obj[key];
    if (v === undefined) continue;
    if (typeof v === 'string') setOwn(out, key, scrubber.cleanString(v, key === 'stack' ? STACK : MESSAGE));
    else if (kindOf(v) === 'object' && key === 'exception')
      setOwn(out, key, scrubTop(v as Record<string, unknown>, scrubber));
    else setOwn(out, key, scrubber.sanitize(v));
  }
  return out;
}

/**
 * `out[key] = value`, except that a `__proto__` key (JSON.parse makes one from `{"__proto__": …}`)
 * stays an own key: assigning it would set the object's prototype, losing the value from the JSON
 * and storing an object that is not plain.
 */
function setOwn(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else out[key] = value;
}

/** The first `n` items of an iterable, without reading (or copying) the rest. */
function first(list: Iterable<unknown>, n: number): unknown[] {
  const out: unknown[] = [];
  for (const item of list) {
    if (out.length >= n) break;
    out.push(item);
  }
  return out;
}
