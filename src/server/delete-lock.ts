/**
 * The hand-over between `delete` run without a server and a server starting at that moment.
 * `delete` takes `<dataDir>/.delete.lock` and only then looks for a server's `.admin.json`; a server
 * writes `.admin.json` and only then looks for the lock, waiting while a live process holds it. Each
 * writes before it reads, so at least one of them sees the other: never do both rewrite and append.
 */
import { link, readFile, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export const DELETE_LOCK = '.delete.lock';

/** Thrown when another live `delete` holds the lock. */
export class LockedError extends Error {
  override name = 'LockedError';
}

/** Takes the lock (replacing one left by a dead process); resolves with its release. */
export async function takeDeleteLock(dataDir: string): Promise<() => Promise<void>> {
  const path = join(dataDir, DELETE_LOCK);
  // Written whole, then linked into place: link fails if the lock exists, and a lock is never seen
  // without its pid.
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, String(process.pid));
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(temp, path);
        return () => unlink(path).catch(() => undefined);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw error;
      }
      const holder = await lockHolder(dataDir);
      if (holder !== undefined && isAlive(holder)) {
        throw new LockedError(`another delete (process ${holder}) is running on this data dir`);
      }
      await unlink(path).catch(() => undefined);
    }
  } finally {
    await unlink(temp).catch(() => undefined);
  }
}

/** Waits while a live process holds the lock, up to `maxMs`; calls `onWait` once if it waits. */
export async function waitForDeleteLock(dataDir: string, maxMs: number, onWait: () => void): Promise<void> {
  const deadline = Date.now() + maxMs;
  let told = false;
  for (;;) {
    const holder = await lockHolder(dataDir);
    if (holder === undefined || !isAlive(holder)) return;
    if (Date.now() > deadline)
      throw new LockedError(`a delete (process ${holder}) still holds ${DELETE_LOCK}`);
    if (!told) onWait();
    told = true;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function lockHolder(dataDir: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(join(dataDir, DELETE_LOCK), 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/** Signal 0 tests for a process without touching it; EPERM means it exists (another user's). */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
