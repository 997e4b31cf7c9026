/**
 * Where `export` stopped: per day file, the byte offset after the last line a receiver acknowledged.
 * Day files only grow, so a later run resumes there and also picks up lines appended since. Written
 * after every acknowledged batch, atomically (temp file and rename), so a crash loses at most the
 * record of one batch, which is then sent again.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { isNotFound } from './read-store.js';

export interface Checkpoint {
  /** The receiver this checkpoint belongs to; a checkpoint for another target is not used. */
  target: string;
  /** `<kind>/<YYYY-MM-DD>` → bytes of that file already exported. */
  offsets: Record<string, number>;
}

/** Default checkpoint file: one per target, inside the data dir. */
export function defaultCheckpointFile(dataDir: string, target: string): string {
  const hash = createHash('sha256').update(target).digest('hex').slice(0, 12);
  return join(dataDir, '.export', `${hash}.json`);
}

export async function loadCheckpoint(file: string, target: string): Promise<Checkpoint> {
  try {
    const parsed = JSON.parse(await readFile(file, 'utf8')) as Partial<Checkpoint>;
    if (parsed.target === target && typeof parsed.offsets === 'object' && parsed.offsets !== null) {
      return { target, offsets: { ...parsed.offsets } };
    }
  } catch (error) {
    // Missing or unreadable: start from the beginning (at-least-once, never a skipped line).
    if (!isNotFound(error) && !(error instanceof SyntaxError)) throw error;
  }
  return { target, offsets: {} };
}

export async function saveCheckpoint(file: string, checkpoint: Checkpoint): Promise<void> {
  await mkdir(dirname(file), { recursive: true });
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(checkpoint));
  await rename(temp, file);
}
