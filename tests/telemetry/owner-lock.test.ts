import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  defaultLockManager,
  GRANT_WAIT_MS,
  LOCK_PREFIX,
  ownerLocks,
} from '../../src/telemetry/owner-lock.js';
import { fakeLockManager, settle } from './helpers.js';

/** Takes a lock with any name for as long as the test runs, as another library might. */
function holdForever(locks: LockManager, name: string): void {
  void locks.request(name, () => new Promise<void>(() => {}));
}

describe('ownerLocks', () => {
  it('holds a lock named LOCK_PREFIX + the page id while acquired', async () => {
    const fake = fakeLockManager();
    void ownerLocks(() => fake.locks, 'page-1').acquire();
    await settle();
    expect(LOCK_PREFIX).toBe('pwa-telemetry-page:');
    expect([...fake.held]).toEqual([`${LOCK_PREFIX}page-1`]);
  });

  it('acquire resolves once the lock is held, and at once without Web Locks', async () => {
    const fake = fakeLockManager();
    fake.control.slow = true;
    let done = false;
    void ownerLocks(() => fake.locks, 'page-1')
      .acquire()
      .then(() => (done = true));
    await settle();
    expect(done).toBe(false);
    fake.grantSlow();
    await settle();
    expect([done, [...fake.held]]).toEqual([true, [`${LOCK_PREFIX}page-1`]]);
    await expect(ownerLocks(() => null, 'page-2').acquire()).resolves.toBeUndefined();
  });

  it('acquire resolves after GRANT_WAIT_MS when the lock is never granted, so writes and sends go on', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    try {
      const stuck = { request: () => new Promise<never>(() => {}) } as unknown as LockManager;
      let done = false;
      void ownerLocks(() => stuck, 'page-1')
        .acquire()
        .then(() => (done = true));
      await vi.advanceTimersByTimeAsync(GRANT_WAIT_MS - 1);
      expect(done).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(done).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it('reports the pages holding their lock: only locks with the prefix, with the prefix stripped', async () => {
    const fake = fakeLockManager();
    const one = ownerLocks(() => fake.locks, 'page-1');
    const two = ownerLocks(() => fake.locks, 'page-2');
    void one.acquire();
    void two.acquire();
    // Locks that are not telemetry page locks, even ones named like a page id.
    holdForever(fake.locks, 'page-3');
    holdForever(fake.locks, 'other-library:lock');
    holdForever(fake.locks, `x${LOCK_PREFIX}page-4`);
    await settle();
    expect(await one.liveOwners()).toEqual(new Set(['page-1', 'page-2']));
    expect(await ownerLocks(() => fake.locks, 'page-9').liveOwners()).toEqual(new Set(['page-1', 'page-2']));
  });

  it('acquire is idempotent: a second call while held requests nothing more, and one release frees it', async () => {
    const fake = fakeLockManager();
    const page = ownerLocks(() => fake.locks, 'page-1');
    void page.acquire();
    void page.acquire();
    await settle();
    expect(fake.requests).toHaveLength(1);
    expect(fake.waiting).toEqual([]);
    page.release();
    await settle();
    expect(fake.held.size).toBe(0);
    expect(await page.liveOwners()).toEqual(new Set());
  });

  it('release frees the lock, and the page can acquire it again', async () => {
    const fake = fakeLockManager();
    const page = ownerLocks(() => fake.locks, 'page-1');
    const observer = ownerLocks(() => fake.locks, 'observer');
    void page.acquire();
    await settle();
    expect(await observer.liveOwners()).toEqual(new Set(['page-1']));
    page.release();
    await settle();
    expect(await observer.liveOwners()).toEqual(new Set());
    void page.acquire();
    await settle();
    expect(await observer.liveOwners()).toEqual(new Set(['page-1']));
  });

  it('release without acquire, or twice, does nothing', async () => {
    const fake = fakeLockManager();
    const page = ownerLocks(() => fake.locks, 'page-1');
    expect(() => page.release()).not.toThrow();
    void page.acquire();
    page.release();
    expect(() => page.release()).not.toThrow();
    await settle();
    expect(fake.held.size).toBe(0);
  });

  it('does nothing and knows nothing without a lock manager', async () => {
    const page = ownerLocks(() => null, 'page-1');
    expect(() => (page.acquire(), page.release())).not.toThrow();
    expect(await page.liveOwners()).toBeNull();
  });

  it('never throws when the lock manager rejects the request, and tries again on the next acquire', async () => {
    const fake = fakeLockManager();
    let fail = true;
    const locks = {
      request: (name: string, cb: (lock: Lock | null) => unknown) =>
        fail
          ? Promise.reject(new DOMException('The request is not allowed.', 'SecurityError'))
          : fake.locks.request(name, cb),
      query: () => fake.locks.query(),
    } as unknown as LockManager;
    const page = ownerLocks(() => locks, 'page-1');
    expect(() => page.acquire()).not.toThrow();
    await settle();
    fail = false;
    void page.acquire();
    await settle();
    expect(await page.liveOwners()).toEqual(new Set(['page-1']));
  });

  it('never throws when the lock manager throws synchronously', async () => {
    const locks = {
      request: () => {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
      query: () => {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    } as unknown as LockManager;
    const page = ownerLocks(() => locks, 'page-1');
    expect(() => page.acquire()).not.toThrow();
    expect(() => page.release()).not.toThrow();
    expect(await page.liveOwners()).toBeNull();
  });

  it('reports null when the query rejects, and an empty set when it lists nothing', async () => {
    const rejecting = {
      request: () => Promise.resolve(),
      query: () => Promise.reject(new Error('gone')),
    } as unknown as LockManager;
    expect(await ownerLocks(() => rejecting, 'p').liveOwners()).toBeNull();
    const empty = {
      request: () => Promise.resolve(),
      query: () => Promise.resolve({ held: [{ mode: 'exclusive' }] }),
    } as unknown as LockManager;
    expect(await ownerLocks(() => empty, 'p').liveOwners()).toEqual(new Set());
    const none = {
      request: () => Promise.resolve(),
      query: () => Promise.resolve({}),
    } as unknown as LockManager;
    expect(await ownerLocks(() => none, 'p').liveOwners()).toEqual(new Set());
  });
});

describe('defaultLockManager', () => {
  afterEach(() => {
    delete (navigator as unknown as Record<string, unknown>).locks;
  });

  it('is null where the page has no Web Locks', () => {
    Object.defineProperty(navigator, 'locks', { configurable: true, get: () => undefined });
    expect(defaultLockManager()).toBeNull();
  });

  it('is navigator.locks where there is one', () => {
    const { locks } = fakeLockManager();
    Object.defineProperty(navigator, 'locks', { configurable: true, get: () => locks });
    expect(defaultLockManager()).toBe(locks);
  });

  it('is null when reading navigator.locks throws', () => {
    Object.defineProperty(navigator, 'locks', {
      configurable: true,
      get: () => {
        throw new DOMException('The operation is insecure.', 'SecurityError');
      },
    });
    expect(defaultLockManager()).toBeNull();
  });
});
