/**
 * `export` keeps, per target, the byte offset in each day file up to which it has sent
 * (export-checkpoint.ts). A delete that removes lines before such an offset would make the next
 * export resume mid-line or past lines it never sent; this moves every checkpoint of a rewritten file
 * back by the bytes removed before it. (An export running during the delete may save its own offset
 * after this: run them one after the other.)
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { saveCheckpoint, type Checkpoint } from './export-checkpoint.js';

/** `[start, end)` byte range of a removed line in the file as it was. */
export type RemovedRange = [number, number];

/** Where an old offset of the file is in the file without `ranges` (sorted, disjoint). */
export function shiftOffset(offset: number, ranges: readonly RemovedRange[]): number {
  let removed = 0;
  for (const [start, end] of ranges) {
    if (start >= offset) break;
    removed += Math.min(end, offset) - start;
  }
  return offset - removed;
}

/** Rewrites every checkpoint under `<dataDir>/.export/` that has an offset for `key` (`<kind>/<day>`). */
export async function shiftCheckpoints(
  dataDir: string,
  key: string,
  ranges: readonly RemovedRange[],
): Promise<void> {
  const dir = join(dataDir, '.export');
  const names = await readdir(dir).catch(() => [] as string[]);
  for (const name of names.filter((n) => n.endsWith('.json'))) {
    let checkpoint: Checkpoint;
    try {
      checkpoint = JSON.parse(await readFile(join(dir, name), 'utf8')) as Checkpoint;
    } catch {
      continue; // unreadable: export starts that target over anyway
    }
    const offset = checkpoint.offsets?.[key];
    if (typeof offset !== 'number') continue;
    const shifted = shiftOffset(offset, ranges);
    if (shifted === offset) continue;
    checkpoint.offsets[key] = shifted;
    await saveCheckpoint(join(dir, name), checkpoint);
  }
}
