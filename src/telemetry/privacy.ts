import type { Attributes, ExceptionInfo, JsonValue } from './records.js';

/**
 * Turns anything an app passes in into a JSON-safe, size-capped value with personal data scrubbed.
 * Never throws: getters that throw, revoked proxies and exotic objects become placeholder strings.
 */

const STRING = 1024; // longest string kept in a context value; the rest is cut and marked
const MESSAGE = 4096; // longest log message or exception message
const STACK = 8192;
const DEPTH = 6;
const KEYS = 50; // per object
const ITEMS = 50; // per array

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
// `apiKey`, `apikey`).
const SENSITIVE =
  /_(pass(word|wd|phrase)?|pwd|secret|token|auth(orization)?|cookie|credentials?|email|phone|ssn|cvv|pin|otp|jwt|bearer|session)_|(api|private)_?key|credit_?card|card_?number|clientsecret|setcookie/;
const WORD_SPLIT = /[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/;
// Context keys repeat call after call: remember each verdict (bounded, cleared when full).
const keyVerdicts = new Map<string, boolean>();

export function isSensitiveKey(key: string): boolean {
  let verdict = keyVerdicts.get(key);
  if (verdict === undefined) {
    verdict = SENSITIVE.test(`_${key.split(WORD_SPLIT).join('_')}_`.toLowerCase());
    if (keyVerdicts.size >= 1000) keyVerdicts.clear();
    keyVerdicts.set(key, verdict);
  }
  return verdict;
}

// A cheap pre-check: only strings containing '@' or 'eyJ' or 'earer ' pay for the replaces.
const MAYBE_PII = /@|eyJ|earer /;
const EMAIL = /[\w.%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const JWT = /eyJ[\w-]{5,}\.[\w-]{5,}\.[\w-]*/g;
const BEARER = /(bearer\s+)[\w.~+/-]+=*/gi;

/** Cuts a string to `max` UTF-16 units (never splitting a surrogate pair) and scrubs emails and tokens. */
export function cleanString(value: string, max: number = STRING): string {
  // Scrub before cutting, or an email straddling the cut would leave its first half behind. Only a
  // margin past the cut is scanned, so a 2 MB string costs no more than a short one.
  let s = value.slice(0, max + 128);
  if (MAYBE_PII.test(s)) s = s.replace(EMAIL, '[email]').replace(JWT, '[token]').replace(BEARER, '$1[token]');
  if (s.length > max) {
    // Do not keep half of a surrogate pair.
    const end = (s.charCodeAt(max - 1) & 0xfc00) === 0xd800 ? max - 1 : max;
    s = `${s.slice(0, end)}…[truncated ${value.length - end} chars]`;
  }
  return s;
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
      return `[Function ${value.name || 'anonymous'}]`;
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
      const list = [...(obj as Iterable<unknown>)];
      const out = list.slice(0, ITEMS).map((item) => sanitizeValue(item, depth + 1, seen) ?? null);
      if (list.length > ITEMS) out.push(`[${list.length - ITEMS} more]`);
      return out;
    }
    if (obj instanceof Error) {
      const out: Attributes = { ...exceptionInfo(obj) };
      const cause = depth + 1 < DEPTH ? sanitizeValue(obj.cause, depth + 1, seen) : undefined;
      if (cause !== undefined) out.cause = cause;
      return out;
    }
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (obj instanceof RegExp) return String(obj);
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return `[${describe(obj)}]`;
    if (typeof Node !== 'undefined' && obj instanceof Node) return `[${obj.nodeName}]`;
    if (obj instanceof Map) return sanitizeEntries([...obj.keys()], (k) => obj.get(k), depth, seen);
    return sanitizeRecord(obj, depth, seen);
  } catch {
    return UNSERIALIZABLE;
  } finally {
    seen.pop();
  }
}

function sanitizeRecord(obj: object, depth: number, seen: object[]): Attributes {
  return sanitizeEntries(Object.keys(obj), (k) => (obj as Record<string, unknown>)[k as string], depth, seen);
}

function sanitizeEntries(
  keys: unknown[],
  read: (key: unknown) => unknown,
  depth: number,
  seen: object[],
): Attributes {
  const out: Attributes = {};
  for (const rawKey of keys.slice(0, KEYS)) {
    const key =
      typeof rawKey === 'string' && rawKey.length <= 128 ? rawKey : cleanString(String(rawKey), 128);
    let v: JsonValue | undefined = REDACTED;
    if (!isSensitiveKey(key)) {
      try {
        v = sanitizeValue(read(rawKey), depth + 1, seen);
      } catch {
        // A getter that throws loses only its own key.
        v = UNSERIALIZABLE;
      }
    }
    if (v !== undefined) out[key] = v;
  }
  if (keys.length > KEYS) out['…'] = `${keys.length - KEYS} more keys`;
  return out;
}

/** Any value to a JSON-safe value (undefined becomes null). */
export function sanitize(value: unknown): JsonValue {
  return sanitizeValue(value, 0, []) ?? null;
}

/** A context or attributes argument to a flat map; a non-object becomes `{ value }`. */
export function sanitizeAttributes(value: unknown): Attributes {
  if (value == null) return {};
  const v = sanitize(value);
  return typeof v === 'object' && v && !Array.isArray(v) ? v : { value: v };
}

/** A message argument to a capped, scrubbed string. */
export function sanitizeMessage(value: unknown): string {
  if (value === undefined) return 'undefined';
  let v = typeof value === 'string' ? value : sanitize(value);
  if (typeof v !== 'string') {
    try {
      v = JSON.stringify(v);
    } catch {
      v = UNSERIALIZABLE;
    }
  }
  return cleanString(v, MESSAGE);
}

/** Any thrown value to `{ type, message, stack }`: non-Error rejections keep their value as the message. */
export function exceptionInfo(error: unknown): ExceptionInfo {
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

/**
 * The page URL without query string or fragment, which often carry tokens or personal data.
 * Cached per `document.URL` (cheap to read), since building it from `location` costs microseconds.
 */
export function pageUrl(): string | undefined {
  try {
    // Checked, not caught: a ReferenceError on every call (Node, some workers) costs microseconds.
    if (typeof location === 'undefined') return undefined;
    const href = typeof document === 'undefined' ? location.href : document.URL;
    if (href !== lastHref) {
      lastHref = href;
      lastUrl = cleanString(location.origin + location.pathname);
    }
    return lastUrl;
  } catch {
    return undefined;
  }
}
