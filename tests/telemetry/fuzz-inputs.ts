/**
 * Hostile inputs for the public-API fuzz (fuzz-public.test.ts): every kind of value a page might
 * pass by mistake or on purpose, made fresh from a seeded PRNG so a failure replays.
 */

export type Rand = () => number;
export const pick = <T>(rand: Rand, list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;

const boom = (what: string) => () => {
  throw new Error(`${what} throws`);
};

/** Values that are hard to read: cycles, throwing getters and traps, revoked proxies, odd prototypes. */
function trapValues(): unknown[] {
  const circular: Record<string, unknown> = { name: 'loop' };
  circular.self = circular;
  circular.list = [circular, { back: circular }];
  const getter = Object.defineProperty({ ok: 1 }, 'boom', { enumerable: true, get: boom('getter') });
  const { proxy: revoked, revoke } = Proxy.revocable({}, {});
  revoke();
  const traps = ['get', 'ownKeys', 'getPrototypeOf', 'has', 'getOwnPropertyDescriptor'].map(
    (trap) => new Proxy({ a: 1 }, { [trap]: boom(trap) }),
  );
  const protoProxy = Object.create(new Proxy({}, { get: boom('proto get') })) as object;
  const noProto = Object.assign(Object.create(null) as object, { a: 1, __proto__x: 2 });
  const polluting = JSON.parse(
    '{"__proto__":{"polluted":"yes"},"constructor":{"prototype":{"polluted":"yes"}}}',
  ) as object;
  const toJson = { toJSON: boom('toJSON'), a: 1 };
  const primitive = {
    [Symbol.toPrimitive]: boom('toPrimitive'),
    toString: boom('toString'),
    valueOf: boom('valueOf'),
  };
  const errorWithCycle = new Error('cyclic cause');
  (errorWithCycle as { cause?: unknown }).cause = errorWithCycle;
  const badError = Object.defineProperty(new Error('bad stack'), 'stack', { get: boom('stack') });
  const namedOdd = Object.assign(new TypeError('odd'), { name: { not: 'a string' }, message: 42 });
  const rejected = Promise.reject(new Error('late'));
  rejected.catch(() => {});
  class Custom {
    field = 1;
    get computed(): number {
      throw new Error('class getter');
    }
  }
  return [
    circular,
    getter,
    revoked,
    ...traps,
    protoProxy,
    noProto,
    polluting,
    toJson,
    primitive,
    errorWithCycle,
    badError,
    namedOdd,
    new AggregateError([new Error('a'), circular], 'many'),
    rejected,
    new Custom(),
    Object.freeze({ frozen: true }),
    new Map<unknown, unknown>([
      [circular, circular],
      [Symbol('k'), 1],
    ]),
    new Set([circular, 1n]),
    new WeakMap(),
    Object.assign([1], { length: 3 }), // holes
    Object.assign([1, 2], { extra: 'prop' }),
    new Array(1e9),
    new Date(NaN),
    /x/g,
    new Uint8Array(16),
    new DataView(new ArrayBuffer(4)),
    Object.assign(() => 1, { prop: 1 }),
    Symbol('s'),
    10n ** 40n,
  ];
}

/** Plain values at the edges: numbers, strings, sizes. */
function edgeValues(rand: Rand): unknown[] {
  return [
    undefined,
    null,
    true,
    0,
    -0,
    NaN,
    Infinity,
    -Infinity,
    Number.MAX_VALUE,
    Number.MIN_VALUE,
    -1,
    2 ** 53 + 1,
    rand() * 1e6,
    '',
    'info',
    'error',
    'ERROR',
    '__proto__',
    'constructor',
    'user@example.com password=hunter2 Bearer abc.def.ghi',
    '\ud800\udfff\ud800',
    '\u0000\u2028\u2029"\\',
    '😀'.repeat(3000),
    'x'.repeat(1 + Math.floor(rand() * 20_000)),
    { a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } },
    Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`k${i}`, i])),
    Array.from({ length: 3000 }, (_, i) => i),
    { message: 'not an error', stack: 'fake stack', name: 'Fake' },
    { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) },
    { parent: { traceId: 'a'.repeat(32), spanId: 'b'.repeat(16) } },
    { parent: { traceId: 42, spanId: null } },
  ];
}

/** Rare and costly: one in a thousand calls. */
export const HUGE = ['y'.repeat(2_000_000)];

// Made once per run: building them for every call cost more than the calls.
let edges: unknown[] | undefined;
let traps: unknown[] | undefined;

/** A hostile value: mostly edges and traps, sometimes nested inside an ordinary object. */
export function hostile(rand: Rand): unknown {
  if (rand() < 0.001) return HUGE[0];
  edges ??= edgeValues(rand);
  traps ??= trapValues();
  const value = rand() < 0.5 ? pick(rand, edges) : pick(rand, traps);
  if (rand() < 0.2)
    return { context: value, [pick(rand, ['__proto__', 'constructor', 'password', 'x'])]: value };
  return value;
}

/** Options for createTelemetry: each key absent, sane, or hostile. */
export function hostileOptions(rand: Rand, sane: Record<string, unknown>): unknown {
  const r = rand();
  if (r < 0.05) return hostile(rand);
  if (r < 0.1) return new Proxy(sane, { get: boom('options get') });
  const options: Record<string, unknown> = { ...sane };
  const keys = [
    'batchSize',
    'flushIntervalMs',
    'persistDelayMs',
    'sampleRate',
    'maxQueuedEvents',
    'maxQueuedBytes',
    'maxRepeatsPerMinute',
    'maxAttempts',
    'maxAgeMs',
    'maxBatchBytes',
    'retryBaseMs',
    'retryMaxMs',
    'app',
    'version',
    'token',
    'format',
    'consent',
    'compress',
    'captureUrl',
    'respectGpc',
    'scrubPatterns',
    'allowKeys',
    'beforeSend',
    'featureFlag',
    'onDiagnostic',
    'enabled',
  ];
  for (const key of keys) {
    if (rand() < 0.15) options[key] = hostile(rand);
  }
  if (rand() < 0.1)
    options.beforeSend = pick(rand, [
      boom('beforeSend'),
      () => hostile(rand),
      () => null,
      (r: object) => ({ ...r, extra: hostile(rand) }),
    ]);
  if (rand() < 0.05) options.featureFlag = pick(rand, [boom('featureFlag'), () => 'yes', () => true]);
  if (rand() < 0.05) options.onDiagnostic = boom('onDiagnostic');
  if (rand() < 0.05)
    options.scrubPatterns = pick(rand, [
      [/x/g],
      [{ pattern: /@/g, replacement: '[at]' }],
      ['not a regexp'],
      [null],
    ]);
  if (rand() < 0.05) {
    Object.defineProperty(options, pick(rand, keys), { enumerable: true, get: boom('option getter') });
  }
  return options;
}
