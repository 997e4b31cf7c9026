import { afterEach, describe, expect, it } from 'vitest';
import { CONSENT_KEY, inSample, storeConsent, storedConsent } from '../../src/telemetry/consent.js';
import { createSessions, SESSION_KEY } from '../../src/telemetry/session.js';

/** The tab's session id as a new page load reads it (`createSessions(...).load`). */
const sessionId = (newId: () => string): string =>
  createSessions(newId, 30 * 60_000, { onStart() {}, onEnd() {} }).load(Date.now());

type Method = 'getItem' | 'setItem' | 'removeItem';
const stubbed: Array<{ storage: Storage; method: Method }> = [];

/** Makes one Storage method throw, as it does in sandboxed iframes or with storage disabled. */
function breakStorage(storage: Storage, method: Method): void {
  stubbed.push({ storage, method });
  Object.defineProperty(storage, method, {
    configurable: true,
    writable: true,
    value: () => {
      throw new DOMException('The operation is insecure.', 'SecurityError');
    },
  });
}

afterEach(() => {
  for (const { storage, method } of stubbed.splice(0)) {
    const original = Object.getOwnPropertyDescriptor(Object.getPrototypeOf(storage) as object, method)
      ?.value as unknown;
    Object.defineProperty(storage, method, { configurable: true, writable: true, value: original });
  }
});

/** Deterministic hex ids like the client's (mulberry32 PRNG). */
function idSource(seed: number): () => string {
  let a = seed >>> 0;
  const random = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return () => {
    let s = '';
    for (let i = 0; i < 32; i++) s += '0123456789abcdef'[Math.floor(random() * 16)]!;
    return s;
  };
}

describe('stored consent', () => {
  it('is unknown until the user chooses', () => {
    expect(storedConsent()).toBe('unknown');
  });

  it('persists an opt-out and an opt-in in localStorage', () => {
    expect(storeConsent('denied')).toBe(true);
    expect(localStorage.getItem(CONSENT_KEY)).toBe('out');
    expect(storedConsent()).toBe('denied');
    expect(storeConsent('granted')).toBe(true);
    expect(localStorage.getItem(CONSENT_KEY)).toBe('in');
    expect(storedConsent()).toBe('granted');
  });

  it('reads a choice stored by an earlier page load, and anything else as unknown', () => {
    localStorage.setItem(CONSENT_KEY, 'out');
    expect(storedConsent()).toBe('denied');
    localStorage.setItem(CONSENT_KEY, 'something-else');
    expect(storedConsent()).toBe('unknown');
  });

  it('never throws when localStorage.getItem throws, and reports unknown', () => {
    localStorage.setItem(CONSENT_KEY, 'out');
    breakStorage(localStorage, 'getItem');
    expect(() => localStorage.getItem(CONSENT_KEY)).toThrow();
    expect(storedConsent()).toBe('unknown');
  });

  it('never throws when localStorage cannot be written, and reports that it was not stored', () => {
    breakStorage(localStorage, 'setItem');
    expect(storeConsent('denied')).toBe(false);
    expect(storeConsent('granted')).toBe(false);
  });
});

describe('storage that cannot even be reached', () => {
  it('never throws when reading window.localStorage / sessionStorage throws (sandboxed iframe)', () => {
    const saved = ['localStorage', 'sessionStorage'].map(
      (name) => [name, Object.getOwnPropertyDescriptor(globalThis, name)] as const,
    );
    try {
      for (const [name] of saved) {
        Object.defineProperty(globalThis, name, {
          configurable: true,
          get() {
            throw new DOMException('Access is denied for this document.', 'SecurityError');
          },
        });
      }
      expect(() => globalThis.localStorage).toThrow();
      expect(storedConsent()).toBe('unknown');
      expect(storeConsent('denied')).toBe(false);
      expect(sessionId(() => 'no-storage')).toBe('no-storage');
    } finally {
      for (const [name, descriptor] of saved) {
        if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      }
    }
  });
});

describe('the session id (session.ts)', () => {
  it('creates an id once and keeps it for the tab in sessionStorage', () => {
    const first = sessionId(() => 'session-a');
    expect(first).toBe('session-a');
    expect(JSON.parse(sessionStorage.getItem(SESSION_KEY)!)).toMatchObject({ id: 'session-a' });
    expect(sessionId(() => 'session-b')).toBe('session-a');
  });

  it('reuses the id stored by an earlier load of the same tab (a reload)', () => {
    sessionStorage.setItem(SESSION_KEY, 'from-before-reload');
    expect(sessionId(() => 'new')).toBe('from-before-reload');
  });

  it('starts a new session when sessionStorage is empty (a new tab)', () => {
    sessionId(() => 'first-tab');
    sessionStorage.clear();
    expect(sessionId(() => 'second-tab')).toBe('second-tab');
  });

  it('never throws when sessionStorage.getItem throws, and still gives an id', () => {
    breakStorage(sessionStorage, 'getItem');
    expect(() => sessionStorage.getItem(SESSION_KEY)).toThrow();
    expect(sessionId(() => 'fallback-id')).toBe('fallback-id');
  });

  it('never throws when sessionStorage.setItem throws, and still gives an id', () => {
    breakStorage(sessionStorage, 'setItem');
    const id = sessionId(() => 'only-in-memory');
    expect(id).toBe('only-in-memory');
  });
});

describe('inSample', () => {
  it('keeps everyone at rate 1 and no one at rate 0', () => {
    const next = idSource(1);
    for (let i = 0; i < 200; i++) {
      const id = next();
      expect(inSample(id, 1)).toBe(true);
      expect(inSample(id, 0)).toBe(false);
    }
    expect(inSample('x', 1.5)).toBe(true);
    expect(inSample('x', -1)).toBe(false);
  });

  it('gives the same answer for the same id every time, ignoring any random source', () => {
    const next = idSource(2);
    for (let i = 0; i < 200; i++) {
      const id = next();
      const first = inSample(id, 0.5);
      expect(inSample(id, 0.5)).toBe(first);
      expect(inSample(id, 0.5, () => 0)).toBe(first);
      expect(inSample(id, 0.5, () => 0.99)).toBe(first);
    }
  });

  it('is monotonic in the rate: a session in at 10% is also in at 50%', () => {
    const next = idSource(3);
    for (let i = 0; i < 500; i++) {
      const id = next();
      if (inSample(id, 0.1)) expect(inSample(id, 0.5)).toBe(true);
    }
  });

  it.each([0.01, 0.1, 0.25, 0.5, 0.9])('keeps roughly %s of many sessions', (rate) => {
    const next = idSource(Math.round(rate * 1000));
    const n = 20_000;
    let kept = 0;
    for (let i = 0; i < n; i++) if (inSample(next(), rate)) kept++;
    // Binomial standard deviation at n = 20,000 is at most 0.0036; allow about 4 of them.
    expect(Math.abs(kept / n - rate)).toBeLessThan(0.015);
  });

  it('keeps roughly the rate of sequential, similar-looking ids too', () => {
    let kept = 0;
    const n = 20_000;
    for (let i = 0; i < n; i++) if (inSample(`session-${i}`, 0.3)) kept++;
    expect(Math.abs(kept / n - 0.3)).toBeLessThan(0.02);
  });
});
