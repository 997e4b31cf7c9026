import { describe, expect, it } from 'vitest';
import {
  cleanString,
  exceptionInfo,
  LIMITS,
  pageUrl,
  REDACTED,
  sanitize,
  sanitizeAttributes,
  sanitizeMessage,
} from '../../src/telemetry/privacy.js';

/** Nests `{ child: … }` `levels` deep around a leaf. */
function nested(levels: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: 'bottom' };
  for (let i = 0; i < levels; i++) value = { child: value };
  return value;
}

function depthOf(value: unknown): number {
  let depth = 0;
  let cur = value;
  while (typeof cur === 'object' && cur !== null && 'child' in cur) {
    cur = cur.child;
    depth++;
  }
  return depth;
}

describe('sanitize: any value to JSON-safe data', () => {
  it('replaces a circular reference with a marker and stays serialisable', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    const out = sanitize(a);
    expect(out).toEqual({ name: 'a', self: '[Circular]' });
    expect(() => JSON.stringify(out)).not.toThrow();
  });

  it('keeps a value shared by two keys (not circular) in both places', () => {
    const shared = { n: 1 };
    expect(sanitize({ a: shared, b: shared })).toEqual({ a: { n: 1 }, b: { n: 1 } });
  });

  it('marks a cycle through an array', () => {
    const list: unknown[] = [1];
    list.push(list);
    expect(sanitize(list)).toEqual([1, '[Circular]']);
  });

  it('turns a BigInt into its decimal string', () => {
    expect(sanitize({ big: 12345678901234567890n })).toEqual({ big: '12345678901234567890' });
  });

  it('turns a symbol into its description string', () => {
    expect(sanitize({ s: Symbol('marker') })).toEqual({ s: 'Symbol(marker)' });
  });

  it('turns functions into named placeholders', () => {
    function handler(): void {}
    expect(sanitize({ fn: handler, anon: (() => () => {})() })).toEqual({
      fn: '[Function handler]',
      anon: '[Function anonymous]',
    });
  });

  it('keeps NaN and Infinity as strings instead of silently becoming null', () => {
    expect(sanitize({ a: NaN, b: Infinity, c: -Infinity, d: 1.5 })).toEqual({
      a: 'NaN',
      b: 'Infinity',
      c: '-Infinity',
      d: 1.5,
    });
  });

  it('omits undefined object values and turns undefined array items into null', () => {
    expect(sanitize({ a: undefined, b: 1 })).toEqual({ b: 1 });
    expect(sanitize([undefined, 2])).toEqual([null, 2]);
    expect(sanitize(undefined)).toBeNull();
  });

  it('cuts nesting at the depth cap with a type placeholder', () => {
    const out = sanitize(nested(20));
    expect(depthOf(out)).toBe(LIMITS.depth);
    let cur: unknown = out;
    for (let i = 0; i < LIMITS.depth; i++) cur = (cur as { child: unknown }).child;
    expect(cur).toBe('[Object]');
  });

  it('keeps nesting within the depth cap intact', () => {
    expect(sanitize(nested(LIMITS.depth - 1))).toEqual(nested(LIMITS.depth - 1));
  });

  it('keeps at most LIMITS.keys keys and says how many were left out', () => {
    const big: Record<string, number> = {};
    for (let i = 0; i < LIMITS.keys + 7; i++) big[`k${i}`] = i;
    const out = sanitize(big) as Record<string, unknown>;
    expect(Object.keys(out)).toHaveLength(LIMITS.keys + 1);
    expect(out.k0).toBe(0);
    expect(out[`k${LIMITS.keys - 1}`]).toBe(LIMITS.keys - 1);
    expect(out[`k${LIMITS.keys}`]).toBeUndefined();
    expect(out['…']).toBe('7 more keys');
  });

  it('keeps at most LIMITS.items array items and says how many were left out', () => {
    const list = Array.from({ length: LIMITS.items + 3 }, (_, i) => i);
    const out = sanitize(list) as unknown[];
    expect(out).toHaveLength(LIMITS.items + 1);
    expect(out.slice(0, LIMITS.items)).toEqual(list.slice(0, LIMITS.items));
    expect(out[LIMITS.items]).toBe('[3 more]');
  });

  it('turns a Map into an object and a Set into an array', () => {
    const map = new Map<unknown, unknown>([
      ['a', 1],
      [2, 'two'],
    ]);
    expect(sanitize({ map, set: new Set(['x', 'y']) })).toEqual({
      map: { a: 1, '2': 'two' },
      set: ['x', 'y'],
    });
  });

  it('turns a Date into an ISO string and an invalid Date into "Invalid Date"', () => {
    expect(sanitize({ when: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), bad: new Date('nope') })).toEqual({
      when: '2024-01-02T03:04:05.000Z',
      bad: 'Invalid Date',
    });
  });

  it('turns RegExp, typed arrays and DOM nodes into short placeholders', () => {
    expect(sanitize({ re: /a+b/gi, bytes: new Uint8Array(4), el: document.createElement('div') })).toEqual({
      re: '/a+b/gi',
      bytes: '[Uint8Array]',
      el: '[DIV]',
    });
  });

  it('turns an Error into type, message and stack, following its cause', () => {
    const inner = new TypeError('inner failure');
    const outer = new Error('outer failure', { cause: inner });
    const out = sanitize(outer) as Record<string, unknown>;
    expect(out.type).toBe('Error');
    expect(out.message).toBe('outer failure');
    expect(typeof out.stack).toBe('string');
    const cause = out.cause as Record<string, unknown>;
    expect(cause.type).toBe('TypeError');
    expect(cause.message).toBe('inner failure');
  });

  it('keeps a non-Error cause and marks an Error that is its own cause as circular', () => {
    const e = new Error('loop');
    (e as { cause?: unknown }).cause = e;
    expect((sanitize(e) as Record<string, unknown>).cause).toBe('[Circular]');
    expect((sanitize(new Error('x', { cause: { code: 42 } })) as Record<string, unknown>).cause).toEqual({
      code: 42,
    });
  });

  it('never throws on an own getter that throws, and loses only that key', () => {
    const bad = {
      get boom(): never {
        throw new Error('getter exploded');
      },
    };
    let out: unknown;
    expect(() => (out = sanitize({ ok: 1, nested: bad }))).not.toThrow();
    expect(out).toEqual({ ok: 1, nested: { boom: '[Unserializable]' } });
    expect(() => sanitize(bad)).not.toThrow();
    expect(
      sanitize({
        ...{ fine: 'yes' },
        get boom(): never {
          throw new Error('x');
        },
      }),
    ).toEqual({ fine: 'yes', boom: '[Unserializable]' });
  });

  it('never throws on a revoked Proxy', () => {
    const { proxy, revoke } = Proxy.revocable({ a: 1 }, {});
    revoke();
    let out: unknown;
    expect(() => (out = sanitize({ ok: true, p: proxy }))).not.toThrow();
    expect(out).toEqual({ ok: true, p: '[Unserializable]' });
    expect(() => sanitizeAttributes(proxy)).not.toThrow();
    expect(() => sanitizeMessage(proxy)).not.toThrow();
    expect(() => exceptionInfo(proxy)).not.toThrow();
  });

  it('never throws on a Proxy whose traps all throw', () => {
    const hostile = new Proxy(
      {},
      {
        get() {
          throw new Error('get');
        },
        ownKeys() {
          throw new Error('ownKeys');
        },
        getPrototypeOf() {
          throw new Error('proto');
        },
        has() {
          throw new Error('has');
        },
      },
    );
    expect(() => sanitize(hostile)).not.toThrow();
    expect(() => exceptionInfo(hostile)).not.toThrow();
    expect(exceptionInfo(hostile).message).toEqual(expect.any(String));
  });
});

describe('sanitize: personal data', () => {
  it.each([
    'password',
    'passwd',
    'userPassword',
    'token',
    'accessToken',
    'refresh_token',
    'apiKey',
    'api_key',
    'API-KEY',
    'secret',
    'clientSecret',
    'authorization',
    'cookie',
    'email',
    'userEmail',
    'phone',
    'ssn',
    'creditCard',
    'cardNumber',
    'cvv',
  ])('redacts the value of a key named %s whatever it holds', (key) => {
    expect(sanitize({ [key]: 'hunter2', other: 'kept' })).toEqual({ [key]: REDACTED, other: 'kept' });
    expect(sanitize({ [key]: { nested: 'object' } })).toEqual({ [key]: REDACTED });
  });

  it('redacts sensitive keys at any depth and in Maps', () => {
    expect(sanitize({ user: { profile: { password: 'x', name: 'Ann' } } })).toEqual({
      user: { profile: { password: REDACTED, name: 'Ann' } },
    });
    expect(sanitize(new Map([['token', 'abc']]))).toEqual({ token: REDACTED });
  });

  it('scrubs email addresses inside strings', () => {
    expect(sanitize({ note: 'contact jane.doe+tag@mail.example.org now' })).toEqual({
      note: 'contact [email] now',
    });
  });

  it('scrubs JWTs inside strings', () => {
    const jwt =
      'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';
    expect(sanitize({ note: `got ${jwt} back` })).toEqual({ note: 'got [token] back' });
  });

  it('scrubs Bearer tokens inside strings, keeping the scheme', () => {
    expect(sanitize({ header: 'Bearer abc.DEF-123_x~y+z/w==' })).toEqual({ header: 'Bearer [token]' });
    expect(sanitize({ header: 'sent bearer sk_live_12345 to api' })).toEqual({
      header: 'sent bearer [token] to api',
    });
  });

  it('scrubs personal data in log messages and exception messages and stacks', () => {
    expect(sanitizeMessage('login failed for bob@example.com')).toBe('login failed for [email]');
    const e = new Error('no user alice@example.com');
    e.stack = 'Error: no user alice@example.com\n    at f (app.js:1:1)';
    const info = exceptionInfo(e);
    expect(info.message).toBe('no user [email]');
    expect(info.stack).toBe('Error: no user [email]\n    at f (app.js:1:1)');
  });

  it('leaves ordinary text alone', () => {
    const text = 'Quiz started: topic=Math, score 9/10 @ level 3';
    expect(sanitize(text)).toBe(text);
  });
});

describe('sensitive keys', () => {
  it('redacts whole-word credential keys in any casing style but not words that merely contain them', () => {
    const out = sanitize({
      authToken: 'a',
      api_key: 'b',
      'x-auth-token': 'c',
      userEmail: 'd',
      password: 'e',
      author: 'f',
      className: 'g',
      passenger: 'h',
      compass: 'i',
    });
    expect(out).toEqual({
      authToken: '[REDACTED]',
      api_key: '[REDACTED]',
      'x-auth-token': '[REDACTED]',
      userEmail: '[REDACTED]',
      password: '[REDACTED]',
      author: 'f',
      className: 'g',
      passenger: 'h',
      compass: 'i',
    });
  });
});

describe('cleanString: size caps', () => {
  // The marker counts against the cap: room is kept for it, so the output is never longer than the cap.
  it('truncates a huge string below the cap and says how much was cut', () => {
    const out = cleanString('a'.repeat(LIMITS.string + 500));
    expect(out).toBe(`${'a'.repeat(1001)}…[truncated 523 chars]`);
    expect(out.length).toBeLessThanOrEqual(LIMITS.string);
  });

  it('keeps a string of exactly the cap untouched', () => {
    const s = 'b'.repeat(LIMITS.string);
    expect(cleanString(s)).toBe(s);
  });

  it('cuts at the last word boundary before the cap', () => {
    expect(cleanString('word '.repeat(300))).toBe(`${'word '.repeat(200)}…[truncated 500 chars]`);
  });

  it('never splits a surrogate pair at the cut', () => {
    // The emoji's high surrogate sits exactly at the last kept position (1000).
    const s = `${'a'.repeat(1000)}😀${'c'.repeat(100)}`;
    const out = cleanString(s);
    expect(out).toBe(`${'a'.repeat(1000)}…[truncated 102 chars]`);
    // Well-formed UTF-16: survives a UTF-8 round trip unchanged.
    expect(new TextDecoder().decode(new TextEncoder().encode(out))).toBe(out);
  });

  it('keeps a whole surrogate pair that ends exactly at the cut', () => {
    const s = `${'a'.repeat(999)}😀${'tail'.repeat(30)}`;
    expect(cleanString(s)).toBe(`${'a'.repeat(999)}😀…[truncated 120 chars]`);
  });

  it('caps log messages at LIMITS.message', () => {
    const out = sanitizeMessage('m'.repeat(LIMITS.message + 1));
    expect(out).toBe(`${'m'.repeat(4073)}…[truncated 24 chars]`);
    expect(out.length).toBeLessThanOrEqual(LIMITS.message);
  });

  it('caps string values nested in a context', () => {
    const out = sanitize({ big: 'z'.repeat(10_000) }) as { big: string };
    expect(out.big).toBe(`${'z'.repeat(1000)}…[truncated 9000 chars]`);
  });

  it('cuts without a marker under a cap too small to hold one', () => {
    expect(cleanString('abcdefghij', 4)).toBe('abcd');
    expect(cleanString('mail ann@example.com', 10)).toBe('mail [emai');
  });

  it('does not leak a partial email address that straddles the cut', () => {
    // The cut leaves "alice.smith@exampl": no longer a whole address, but still personal data.
    const s = `${'x'.repeat(LIMITS.string - 19)} alice.smith@example.com and more text`;
    const out = cleanString(s);
    expect(out).not.toContain('alice.smith');
  });

  it('scrubs a value that straddles the cut of a huge string', () => {
    const out = cleanString(`${'x '.repeat(1150 / 2 - 4)}4111 1111 1111 1111${' y'.repeat(5000)}`);
    expect(out).not.toMatch(/4111/);
    expect(out.length).toBeLessThanOrEqual(LIMITS.string);
  });
});

describe('sanitizeAttributes and sanitizeMessage', () => {
  it('gives an empty map for null and undefined', () => {
    expect(sanitizeAttributes(undefined)).toEqual({});
    expect(sanitizeAttributes(null)).toEqual({});
  });

  it('wraps a non-object context as { value }', () => {
    expect(sanitizeAttributes('plain')).toEqual({ value: 'plain' });
    expect(sanitizeAttributes(42)).toEqual({ value: 42 });
    expect(sanitizeAttributes([1, 2])).toEqual({ value: [1, 2] });
  });

  it('turns a non-string message into JSON text', () => {
    expect(sanitizeMessage({ a: 1 })).toBe('{"a":1}');
    expect(sanitizeMessage(12)).toBe('12');
    expect(sanitizeMessage(null)).toBe('null');
  });
});

describe('exceptionInfo: any thrown value', () => {
  it('reads type, message and stack from an Error', () => {
    const info = exceptionInfo(new RangeError('out of range'));
    expect(info.type).toBe('RangeError');
    expect(info.message).toBe('out of range');
    expect(info.stack).toContain('out of range');
  });

  it('uses the class name of a custom Error subclass with a custom name', () => {
    class QuizError extends Error {
      override name = 'QuizError';
    }
    expect(exceptionInfo(new QuizError('bad quiz'))).toMatchObject({
      type: 'QuizError',
      message: 'bad quiz',
    });
  });

  it('keeps a thrown string as the message', () => {
    expect(exceptionInfo('plain failure')).toEqual({ type: 'string', message: 'plain failure' });
  });

  it('reads message (and name) from a plain object that has one', () => {
    expect(exceptionInfo({ message: 'rejected' })).toEqual({ type: 'Object', message: 'rejected' });
    expect(exceptionInfo({ name: 'AbortError', message: 'aborted' })).toEqual({
      type: 'AbortError',
      message: 'aborted',
    });
  });

  it('describes a plain object without message by its JSON', () => {
    expect(exceptionInfo({ code: 7 })).toEqual({ type: 'Object', message: '{"code":7}' });
  });

  it('describes null', () => {
    expect(exceptionInfo(null)).toEqual({ type: 'null', message: 'null' });
  });

  it('describes undefined with "undefined" as the message, not "null"', () => {
    expect(exceptionInfo(undefined)).toEqual({ type: 'undefined', message: 'undefined' });
  });

  it('describes a number', () => {
    expect(exceptionInfo(404)).toEqual({ type: 'number', message: '404' });
  });

  it('ignores a non-string stack', () => {
    expect(exceptionInfo({ message: 'm', stack: 12 })).toEqual({ type: 'Object', message: 'm' });
  });

  it('caps a long stack at LIMITS.stack', () => {
    const e = new Error('deep');
    e.stack = 's'.repeat(LIMITS.stack + 100);
    expect(exceptionInfo(e).stack).toBe(`${'s'.repeat(8168)}…[truncated 124 chars]`);
  });
});

describe('pageUrl', () => {
  it('gives origin and path without query string or fragment', () => {
    (window as unknown as { happyDOM: { setURL(url: string): void } }).happyDOM.setURL(
      'https://app.example.com/quiz/3?token=abc&email=a@b.co#section-2',
    );
    expect(pageUrl()).toBe('https://app.example.com/quiz/3');
  });
});
