/**
 * Parses a request body as JSON within a nesting limit. V8's JSON.parse does not recurse, so it
 * takes 1 MiB of `[[[[…` (a million levels) without a stack overflow, but it spends ~40 times the
 * time of an ordinary body of that size on it, and what it returns would overflow the stack of
 * everything recursive after it: the OTLP mapping (otlp-in.ts), JSON.stringify when the store
 * serialises an item, the dashboard's answers. So the depth is counted on the text first, in one
 * loop without recursion, stopping at the first level past the limit.
 */

/**
 * Deepest nesting of objects and arrays a body may have. A native body puts the client's context 4
 * levels down, and the client cuts its values at 6 (privacy.ts); OTLP/JSON takes 4 levels per
 * level of a nested attribute (`kvlistValue.values[].value`) under 9 of envelope, so 64 leaves room
 * for any real exporter while stopping what is only nesting.
 */
export const MAX_JSON_DEPTH = 64;

export type JsonResult = { ok: true; value: unknown } | { ok: false; reason: string };

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

export function parseJson(text: string, maxDepth = MAX_JSON_DEPTH): JsonResult {
  if (deeperThan(text, maxDepth)) {
    return { ok: false, reason: `JSON nests deeper than ${maxDepth} levels of objects and arrays` };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (error) {
    // V8 quotes up to 10 characters either side of the error (`Unexpected token 'x', ..."n": x}" is
    // not valid JSON`), which may be part of a token: the reason keeps only what went wrong.
    const message = (error as Error).message.replace(/, (\.\.\.)?"[\s\S]*"(\.\.\.)? is not valid JSON$/, '');
    return { ok: false, reason: `invalid JSON: ${message}` };
  }
}

/**
 * True when brackets outside strings open more than `max` levels. Not a validator: text that is
 * not JSON gives some answer, and JSON.parse then refuses it.
 */
export function deeperThan(text: string, max: number): boolean {
  const n = text.length;
  let depth = 0;
  let i = 0;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      i = afterString(text, i);
      continue;
    }
    if (c === OPEN_OBJECT || c === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) depth--;
    i++;
  }
  return false;
}

/** Offset after the string whose opening quote is at `i` (the text's end when it never closes). */
function afterString(text: string, i: number): number {
  let at = i + 1;
  for (;;) {
    // indexOf runs natively: most of a body is string content.
    const quote = text.indexOf('"', at);
    if (quote === -1) return text.length;
    let backslashes = 0;
    while (text.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1;
    at = quote + 1;
  }
}
