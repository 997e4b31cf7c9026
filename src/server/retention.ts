/** Deletes day files older than the retention, at start and then daily. */
import { unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { KINDS } from '../telemetry/records.js';
import { DAY_MS, utcDay } from './days.js';
import { deletedDays } from './deleted-batches.js';
import { listDays } from './read-store.js';

export interface RetentionOptions {
  dataDir: string;
  retentionDays: number;
  now: () => number;
  onError: (error: unknown) => void;
}

export interface Retention {
  /** The sweep made at start: the paths it deleted. */
  firstSweep: Promise<string[]>;
  stop(): void;
}

/**
 * Deletes `<kind>/<YYYY-MM-DD>.jsonl` files whose day is more than `retentionDays` before today
 * (UTC); with 30, a file from 30 days ago stays and one from 31 days ago goes. The ids of batches
 * deleted from a day (`<YYYY-MM-DD>.deleted`, deleted-batches.ts) go with it: dedupe forgets the
 * batches of an expired day, deleted or not. Any other file is left alone: the data dir may hold
 * things this server did not write.
 */
export async function deleteExpired(dataDir: string, retentionDays: number, now: number): Promise<string[]> {
  const oldestKept = utcDay(now - retentionDays * DAY_MS);
  const deleted: string[] = [];
  for (const kind of KINDS) {
    const files = [
      ...(await listDays(dataDir, kind)).map((day) => ({ day, name: `${day}.jsonl` })),
      ...(await deletedDays(dataDir, kind)).map((day) => ({ day, name: `${day}.deleted` })),
    ];
    for (const { day, name } of files) {
      // YYYY-MM-DD strings sort like the days they name.
      if (day >= oldestKept) continue;
      const path = join(dataDir, kind, name);
      await unlink(path);
      deleted.push(path);
    }
  }
  return deleted;
}

/** Sweeps now and every 24 h; the timer is unref'd so it never keeps the process alive. */
export function startRetention(options: RetentionOptions): Retention {
  const sweep = (): Promise<string[]> =>
    deleteExpired(options.dataDir, options.retentionDays, options.now()).catch((error: unknown) => {
      options.onError(error);
      return [];
    });
  const timer = setInterval(() => void sweep(), DAY_MS);
  timer.unref();
  return { firstSweep: sweep(), stop: () => clearInterval(timer) };
}
