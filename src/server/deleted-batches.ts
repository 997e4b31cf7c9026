/**
 * The batch ids whose lines `delete` removed, kept beside each day file as `<kind>/<day>.deleted`
 * (one id a line). The store rebuilds its dedupe sets from the `batch_id` of stored lines when it
 * opens (store.ts); without these files a deleted batch's id would be gone with its lines, and a
 * client resending that batch after a restart would store the subject's data again. They are bounded
 * as the lines are: retention deletes `<day>.deleted` with `<day>.jsonl` (retention.ts), so a deleted
 * batch is refused exactly as long as a kept one would be deduplicated.
 */
import { open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Kind } from '../telemetry/records.js';
import { isDay } from './days.js';
import { syncDir } from './file-lines.js';
import { isNotFound, listDays } from './read-store.js';

const SUFFIX = '.deleted';
const DELETED_FILE = /^(\d{4}-\d{2}-\d{2})\.deleted$/;
// As validate.ts and ingest.ts accept them (native and X-Batch-Id).
const BATCH_ID = /^[A-Za-z0-9_-]{1,128}$/;
const FIELD = /"batch_id":"([A-Za-z0-9_-]{1,128})"/;

/** `<kind>/<day>.deleted` for the day file `<kind>/<day>.jsonl`. */
export function deletedFileOf(dayFile: string): string {
  return dayFile.replace(/\.jsonl$/, SUFFIX);
}

/**
 * The batch id of a stored line: its `batch_id`, or for a line that does not parse (torn by a crash)
 * the first `"batch_id":"…"` in it, which the store writes before the item's own fields.
 */
export function lineBatchId(text: string): string | undefined {
  try {
    const item: unknown = JSON.parse(text);
    const id = (item as { batch_id?: unknown } | null)?.batch_id;
    return typeof id === 'string' && BATCH_ID.test(id) ? id : undefined;
  } catch {
    return FIELD.exec(text)?.[1];
  }
}

/**
 * Appends `ids` to the `.deleted` file of `dayFile` and makes them durable: called before the
 * rewritten day file replaces the old one, so no crash can leave the lines gone and their ids
 * forgotten.
 */
export async function recordDeleted(dayFile: string, ids: ReadonlySet<string>): Promise<void> {
  if (ids.size === 0) return;
  const handle = await open(deletedFileOf(dayFile), 'a', 0o600);
  try {
    await handle.write([...ids].map((id) => `${id}\n`).join(''));
    await handle.sync();
  } finally {
    await handle.close();
  }
  await syncDir(dirname(dayFile));
}

/** Days that have a `.deleted` file for `kind`, oldest first. */
export function deletedDays(dataDir: string, kind: Kind): Promise<string[]> {
  return listDays(dataDir, kind, (name) => {
    const day = DELETED_FILE.exec(name)?.[1];
    return day !== undefined && isDay(day) ? day : undefined;
  });
}

/** Adds every batch id recorded as deleted for `kind` to `ids`. */
export async function addDeletedIds(dataDir: string, kind: Kind, ids: Set<string>): Promise<void> {
  for (const day of await deletedDays(dataDir, kind)) {
    let text: string;
    try {
      text = await readFile(join(dataDir, kind, `${day}${SUFFIX}`), 'utf8');
    } catch (error) {
      if (isNotFound(error)) continue; // removed by retention meanwhile
      throw error;
    }
    const lines = text.split('\n');
    // A last line without its newline is a write cut short: not a whole id.
    lines.pop();
    for (const id of lines) if (BATCH_ID.test(id)) ids.add(id);
  }
}
