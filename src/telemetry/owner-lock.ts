/**
 * Which pages are alive. A running page holds a Web Lock named after its page id; the browser releases
 * it the moment the page dies, so another context can take over that page's open entry and claims at
 * once instead of waiting out the claim lease. The page lets go of it when it is hidden or leaving
 * (it has sent what it held by then), so a page in the back/forward cache holds no lock. Where Web
 * Locks are missing (Safari < 15.4, insecure contexts) claims fall back to the lease alone.
 */
export const LOCK_PREFIX = 'pwa-telemetry-page:';

export interface OwnerLocks {
  /**
   * Holds this page's lock until `release()`; calling it while held does nothing. Resolves once the
   * lock is held (at once without Web Locks, or when the request fails): a write or claim made before
   * that would look like a dead page's to another context, which could take it over and send it too.
   */
  acquire(): Promise<void>;
  release(): void;
  /** Page ids whose lock is held now, or null when that cannot be known. */
  liveOwners(): Promise<Set<string> | null>;
}

export function defaultLockManager(): LockManager | null {
  try {
    return globalThis.navigator?.locks ?? null;
  } catch {
    return null;
  }
}

/** Longest wait for this page's lock before writing or claiming without it. */
export const GRANT_WAIT_MS = 1_000;

/** `manager` is read on first use, after start-up, not on the caller's task. */
export function ownerLocks(manager: () => LockManager | null, pageId: string): OwnerLocks {
  let release: (() => void) | null = null;
  let granted: Promise<void> = Promise.resolve();
  let known: LockManager | null | undefined;
  const lockManager = (): LockManager | null => (known === undefined ? (known = manager()) : known);
  return {
    acquire() {
      const locks = lockManager();
      if (!locks || release) return granted;
      let resolveGrant = (): void => {};
      granted = new Promise<void>((resolve) => (resolveGrant = resolve));
      // A grant that never comes (a stuck lock manager) must not hold writes and sends for good:
      // after GRANT_WAIT_MS they go ahead as without Web Locks, the claim lease still guarding them.
      const timer = setTimeout(resolveGrant, GRANT_WAIT_MS);
      const grant = (): void => {
        clearTimeout(timer);
        resolveGrant();
      };
      try {
        const held = new Promise<void>((resolve) => (release = resolve));
        // A lock manager that fails (opaque origins) only means claims wait out their lease.
        locks
          .request(LOCK_PREFIX + pageId, () => {
            grant();
            return held;
          })
          .catch(() => {
            release = null;
            grant();
          });
      } catch {
        release = null;
        grant();
      }
      return granted;
    },
    release() {
      release?.();
      release = null;
    },
    async liveOwners() {
      const locks = lockManager();
      if (!locks) return null;
      try {
        const snapshot = await locks.query();
        const live = new Set<string>();
        for (const lock of snapshot.held ?? []) {
          if (lock.name?.startsWith(LOCK_PREFIX)) live.add(lock.name.slice(LOCK_PREFIX.length));
        }
        return live;
      } catch {
        return null;
      }
    },
  };
}
