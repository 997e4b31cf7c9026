/** Random JSON values and valid native items for the request fuzz (fuzz-cases.ts), from a seeded PRNG. */

export type Rand = () => number;
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
export const int = (rand: Rand, max: number): number => Math.floor(rand() * max);

// Characters that JSON and the store's raw-text reuse care about: quotes, backslashes, braces,
// control characters, line separators, surrogate halves, non-BMP.
const SOUP = [...'aZ09 _-.:/\\"\'{}[],\n\r\t\u0000\u001f\u007f\u2028\u2029é€😀\ud800\udfff'];
const KEYS = [
  'a',
  'level',
  'message',
  '__proto__',
  'constructor',
  'toString',
  '',
  '0',
  '10',
  'é',
  '😀',
  'a"b',
  'x\\y',
];
const NUMBERS = [0, -0, 1, -1, 0.1, 1e308, -1e308, 5e-324, 2 ** 53 + 2, -(2 ** 63), 1e21, 123.456];

export function randString(rand: Rand, max = 40): string {
  let s = '';
  for (let n = int(rand, max); n > 0; n--) s += pick(rand, SOUP);
  return s;
}

export function randNumber(rand: Rand): number {
  return rand() < 0.5 ? pick(rand, NUMBERS) : (rand() - 0.5) * 10 ** int(rand, 30);
}

/** Any JSON value, nested at most `depth` more levels. */
export function randJson(rand: Rand, depth: number): Json {
  const r = rand();
  if (depth <= 0 || r < 0.45) {
    if (r < 0.15) return randString(rand);
    if (r < 0.3) return randNumber(rand);
    return pick(rand, [true, false, null, '']);
  }
  if (r < 0.65) return Array.from({ length: int(rand, 4) }, () => randJson(rand, depth - 1));
  return randObject(rand, depth - 1);
}

export function randObject(rand: Rand, depth: number): { [key: string]: Json } {
  const out: { [key: string]: Json } = {};
  // defineProperty, so `__proto__` becomes an own key as JSON.parse makes it.
  for (let n = int(rand, 4); n > 0; n--) {
    const key = rand() < 0.7 ? pick(rand, KEYS) : randString(rand, 8);
    Object.defineProperty(out, key, {
      value: randJson(rand, depth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

/** `n` (a multiple of 8) random hex digits. */
function hex(rand: Rand, n: number): string {
  let out = '';
  while (out.length < n)
    out += int(rand, 2 ** 32)
      .toString(16)
      .padStart(8, '0');
  return out;
}
const LEVELS = ['debug', 'info', 'warn', 'error'];

/** Fields the server does not check: any JSON goes, and is stored as sent. */
function loose(rand: Rand): Record<string, Json> {
  const out: Record<string, Json> = {};
  if (rand() < 0.8) out.timestamp = rand() < 0.5 ? randNumber(rand) : randJson(rand, 1);
  if (rand() < 0.2) out.url = randJson(rand, 1);
  if (rand() < 0.1) out.extra = randJson(rand, 3);
  // A field of the server's own is replaced by the server's value.
  if (rand() < 0.05) out.received_at = randString(rand);
  if (rand() < 0.05) out.batch_id = '../x';
  return out;
}

export function validLog(rand: Rand): Record<string, Json> {
  return {
    level: pick(rand, LEVELS),
    message: randString(rand, 200),
    context: randJson(rand, 4),
    ...loose(rand),
  };
}

export function validMetric(rand: Rand): Record<string, Json> {
  return { name: randString(rand), value: randNumber(rand), labels: randJson(rand, 2), ...loose(rand) };
}

export function validTrace(rand: Rand): Record<string, Json> {
  return {
    traceId: rand() < 0.9 ? hex(rand, 32) : randString(rand),
    spanId: hex(rand, 16),
    name: randString(rand),
    duration: randNumber(rand),
    attributes: randJson(rand, 3),
    ...loose(rand),
  };
}

/** `levels` objects nested as `{"d":{"d":…{}}}`, as text (JSON.stringify would overflow on deep ones). */
export function nestedText(levels: number): string {
  return '{"d":'.repeat(levels - 1) + '{}' + '}'.repeat(levels - 1);
}
