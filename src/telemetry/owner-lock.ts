/**
 * Which pages are alive. A running page holds a Web Lock named after its page id; the browser releases
 * it the moment the page dies, so another context can take over that page's open entry and claims at
 * once instead of waiting out the claim lease. The page lets go of it when it is hidden or leaving
 * (it has sent what it held by then), so a page in the back/forward cache holds no lock. Where Web
 * Locks are missing (Safari < 15.4, insecure contexts) claims fall back to the lease alone.
 */
export const LOCK_PREFIX = 'pwa-telemetry-page:';

export interface OwnerLocks {
  /** Holds this page's lock until `release()`; calling it while held does nothing. */
  acquire(): void;
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

/** `manager` is read on first use, after start-up, not on the caller's task. */
export function ownerLocks(manager: () => LockManager | null, pageId: string): OwnerLocks {
  let release: (() => void) | null = null;
  let known: LockManager | null | undefined;
  const lockManager = (): LockManager | null => (known === undefined ? (known = manager()) : known);
  return {
    acquire() {
      const locks = lockManager();
      if (!locks || release) return;
      try {
        const held = new Promise<void>((resolve) => (release = resolve));
        // A lock manager that fails (opaque origins) only means claims wait out their lease.
        locks.request(LOCK_PREFIX + pageId, () => held).catch(() => (release = null));
      } catch {
        release = null;
      }
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
