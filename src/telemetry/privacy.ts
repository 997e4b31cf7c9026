import type { Attributes, ExceptionInfo, JsonValue } from './records.js';

/**
 * Turns anything an app passes in into a JSON-safe, size-capped value with personal data scrubbed.
 * Never throws: getters that throw, revoked proxies and exotic objects become placeholder strings.
 */

export const LIMITS = {
  /** Longest string kept in a context value; the rest is cut and marked. */
  string: 1024,
  /** Longest log message or exception message. */
  message: 4096,
  /** Longest stack trace. */
  stack: 8192,
  depth: 6,
  keys: 50,
  items: 50,
} as const;

export const REDACTED = '[REDACTED]';

// Keys whose values are credentials or personal data whatever they hold. Keys are split into words
// (camelCase, snake_case, kebab-case) so `authToken` matches but `author` and `className` do not.
const SENSITIVE_WORDS = new Set(
  'password passwd pwd pass passphrase secret token auth authorization cookie credential credentials email phone ssn cvv pin otp jwt bearer session'.split(
    ' ',
  ),
);
const SENSITIVE_JOINED = /apikey|creditcard|cardnumber|privatekey|clientsecret|setcookie/;
const WORD_SPLIT = /[^A-Za-z0-9]+|(?<=[a-z0-9])(?=[A-Z])/;
// Context keys repeat call after call: remember each verdict (bounded, cleared when full).
const keyVerdicts = new Map<string, boolean>();

export function isSensitiveKey(key: string): boolean {
  let verdict = keyVerdicts.get(key);
  if (verdict === undefined) {
    const words = key.split(WORD_SPLIT).map((w) => w.toLowerCase());
    verdict = words.some((w) => SENSITIVE_WORDS.has(w)) || SENSITIVE_JOINED.test(words.join(''));
    if (keyVerdicts.size >= 1000) keyVerdicts.clear();
    keyVerdicts.set(key, verdict);
  }
  return verdict;
}
// The test is a cheap pre-check: only strings containing '@' or 'eyJ' or 'earer ' pay for the replaces.
const MAYBE_PII = /@|eyJ|earer /;
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const JWT = /eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g;
const BEARER = /([Bb]earer\s+)[A-Za-z0-9._~+/-]+=*/g;

/** Cuts a string to `max` UTF-16 units (never splitting a surrogate pair) and scrubs emails and tokens. */
export function cleanString(value: string, max: number = LIMITS.string): string {
  // Scrub before cutting, or an email straddling the cut would leave its first half behind. Only a
  // margin past the cut is scanned, so a 2 MB string costs no more than a short one.
  let s = value.length > max ? value.slice(0, max + 128) : value;
  if (MAYBE_PII.test(s)) {
    s = s.replace(EMAIL, '[email]').replace(JWT, '[token]').replace(BEARER, '$1[token]');
  }
  if (s.length > max) {
    let end = max;
    const code = s.charCodeAt(end - 1);
    if (code >= 0xd800 && code <= 0xdbff) end--;
    s = `${s.slice(0, end)}…[truncated ${value.length - end} chars]`;
  }
  return s;
}

function describe(value: object): string {
  try {
    const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
    return typeof name === 'string' && name !== '' ? name : 'Object';
  } catch {
    return 'Object';
  }
}

function sanitizeValue(value: unknown, depth: number, seen: object[]): JsonValue | undefined {
  switch (typeof value) {
    case 'string':
      return cleanString(value);
    case 'number':
      // JSON has no NaN or Infinity; keep the fact rather than turning it into null.
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'symbol':
      return cleanString(value.toString());
    case 'function':
      return `[Function ${value.name || 'anonymous'}]`;
    case 'undefined':
      return undefined;
  }
  if (value === null) return null;
  const obj = value as object;
  // `seen` holds the ancestors only (depth <= LIMITS.depth): cheaper than a WeakSet per call.
  if (seen.includes(obj)) return '[Circular]';
  if (depth >= LIMITS.depth) return `[${describe(obj)}]`;
  seen.push(obj);
  try {
    // Plain objects first: the common case skips the instanceof chain below.
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto === Object.prototype || proto === null) return sanitizeRecord(obj, depth, seen);
    if (Array.isArray(obj) || obj instanceof Set)
      return sanitizeList(Array.from(obj as Iterable<unknown>), depth, seen);
    if (obj instanceof Error) return errorToJson(obj, depth, seen);
    if (obj instanceof Date) return Number.isNaN(obj.getTime()) ? 'Invalid Date' : obj.toISOString();
    if (obj instanceof RegExp) return obj.toString();
    if (ArrayBuffer.isView(obj) || obj instanceof ArrayBuffer) return `[${describe(obj)}]`;
    if (typeof Node !== 'undefined' && obj instanceof Node) return `[${obj.nodeName}]`;
    if (obj instanceof Map) return sanitizeEntries(Array.from(obj.keys()), (k) => obj.get(k), depth, seen);
    return sanitizeRecord(obj, depth, seen);
  } catch {
    return '[Unserializable]';
  } finally {
    seen.pop();
  }
}

function sanitizeRecord(obj: object, depth: number, seen: object[]): Attributes {
  const record = obj as Record<string, unknown>;
  return sanitizeEntries(Object.keys(record), (k) => record[k as string], depth, seen);
}

function sanitizeList(list: unknown[], depth: number, seen: object[]): JsonValue[] {
  const out: JsonValue[] = [];
  const n = Math.min(list.length, LIMITS.items);
  for (let i = 0; i < n; i++) out.push(sanitizeValue(list[i], depth + 1, seen) ?? null);
  if (list.length > n) out.push(`[${list.length - n} more]`);
  return out;
}

function sanitizeEntries(
  keys: unknown[],
  read: (key: unknown) => unknown,
  depth: number,
  seen: object[],
): Attributes {
  const out: Attributes = {};
  const n = Math.min(keys.length, LIMITS.keys);
  for (let i = 0; i < n; i++) {
    const rawKey = keys[i];
    const key =
      typeof rawKey === 'string' && rawKey.length <= 128 ? rawKey : cleanString(String(rawKey), 128);
    if (isSensitiveKey(key)) {
      out[key] = REDACTED;
      continue;
    }
    let v: JsonValue | undefined;
    try {
      v = sanitizeValue(read(rawKey), depth + 1, seen);
    } catch {
      // A getter that throws loses only its own key.
      v = '[Unserializable]';
    }
    if (v !== undefined) out[key] = v;
  }
  if (keys.length > n) out['…'] = `${keys.length - n} more keys`;
  return out;
}

function errorToJson(error: Error, depth: number, seen: object[]): Attributes {
  const info = exceptionInfo(error);
  const out: Attributes = { type: info.type, message: info.message };
  if (info.stack !== undefined) out.stack = info.stack;
  if (error.cause !== undefined && depth + 1 < LIMITS.depth) {
    const cause = sanitizeValue(error.cause, depth + 1, seen);
    if (cause !== undefined) out.cause = cause;
  }
  return out;
}

/** Any value to a JSON-safe value (undefined becomes null). */
export function sanitize(value: unknown): JsonValue {
  return sanitizeValue(value, 0, []) ?? null;
}

/** A context or attributes argument to a flat map; a non-object becomes `{ value }`. */
export function sanitizeAttributes(value: unknown): Attributes {
  if (value === undefined || value === null) return {};
  const v = sanitize(value);
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? v : { value: v };
}

/** A message argument to a capped, scrubbed string. */
export function sanitizeMessage(value: unknown): string {
  if (typeof value === 'string') return cleanString(value, LIMITS.message);
  if (value === undefined) return 'undefined';
  const v = sanitize(value);
  return cleanString(typeof v === 'string' ? v : safeStringify(v), LIMITS.message);
}

function safeStringify(value: JsonValue): string {
  try {
    return JSON.stringify(value);
  } catch {
    return '[Unserializable]';
  }
}

/** Any thrown value to `{ type, message, stack }`: non-Error rejections keep their value as the message. */
export function exceptionInfo(error: unknown): ExceptionInfo {
  try {
    if (error instanceof Error || (typeof error === 'object' && error !== null && 'message' in error)) {
      const e = error as { name?: unknown; message?: unknown; stack?: unknown };
      const type = typeof e.name === 'string' && e.name !== '' ? e.name : describe(error);
      const info: ExceptionInfo = { type: cleanString(type, 128), message: sanitizeMessage(e.message) };
      if (typeof e.stack === 'string') info.stack = cleanString(e.stack, LIMITS.stack);
      return info;
    }
    const type = error === null ? 'null' : typeof error === 'object' ? describe(error) : typeof error;
    return { type, message: sanitizeMessage(error) };
  } catch {
    return { type: 'Unknown', message: '[Unserializable]' };
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
    const href =
      typeof document !== 'undefined'
        ? document.URL
        : typeof location !== 'undefined'
          ? location.href
          : undefined;
    if (href === undefined) return undefined;
    if (href !== lastHref) {
      lastHref = href;
      lastUrl = cleanString(location.origin + location.pathname);
    }
    return lastUrl;
  } catch {
    return undefined;
  }
}
