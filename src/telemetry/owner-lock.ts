/**
 * Which pages are alive. A page holds a Web Lock named after its page id while it sends claimed
 * batches; the browser releases it the moment the page dies, so another page can take over that
 * page's claims at once instead of waiting out the claim lease. Where Web Locks are missing
 * (Safari < 15.4, insecure contexts) claims fall back to the lease alone.
 */
const PREFIX = 'pwa-telemetry-page:';

export interface OwnerLocks {
  /** Runs `work` while holding this page's lock (or just runs it without Web Locks). */
  hold<T>(pageId: string, work: () => Promise<T>): Promise<T>;
  /** Page ids whose lock is held now, or null when that cannot be known. */
  liveOwners(): Promise<Set<string> | null>;
}

export function defaultLockManager(): LockManager | null {
  try {
    return typeof navigator !== 'undefined' && navigator.locks ? navigator.locks : null;
  } catch {
    return null;
  }
}

export function ownerLocks(locks: LockManager | null): OwnerLocks {
  return {
    async hold(pageId, work) {
      if (!locks) return work();
      let ran = false;
      try {
        return await locks.request(PREFIX + pageId, () => {
          ran = true;
          return work();
        });
      } catch (error) {
        // A lock manager that fails must not stop delivery; errors from `work` itself go up.
        if (ran) throw error;
        return work();
      }
    },
    async liveOwners() {
      if (!locks) return null;
      try {
        const snapshot = await locks.query();
        const live = new Set<string>();
        for (const lock of snapshot.held ?? []) {
          if (lock.name?.startsWith(PREFIX)) live.add(lock.name.slice(PREFIX.length));
        }
        return live;
      } catch {
        return null;
      }
    },
  };
}
