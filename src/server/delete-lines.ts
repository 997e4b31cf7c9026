/**
 * Deletion by subject (`pwa-telemetry delete`): every stored line of one session or one anonymous
 * user leaves every day file. Each file that holds some is rewritten atomically: the kept lines go
 * to a temp file in the same directory, which is fsynced and renamed over the day file, so a reader
 * (or a crash) sees the old file or the new one, never a mix. Whether appends can race the rewrite
 * is the caller's business: the server runs each rewrite under its store's write lock (admin.ts),
 * the CLI alone only when no server has the data dir (cli-delete.ts).
 */
import { open, readdir, rename, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { KINDS } from '../telemetry/records.js';
import { shiftCheckpoints, type RemovedRange } from './delete-checkpoints.js';
import { lineBatchId, recordDeleted } from './deleted-batches.js';
import { eachLine, syncDir } from './file-lines.js';
import { listDays } from './read-store.js';

/** Whose lines to delete: exactly one of the two ids. */
export type Subject = { session: string } | { anonymousId: string };

export interface FileRemoval {
  /** `<kind>/<YYYY-MM-DD>.jsonl`, relative to the data dir. */
  file: string;
  removed: number;
}

export interface DeleteReport {
  /** Files that held lines of the subject (all of them, with `dryRun`), oldest day first per kind. */
  files: FileRemoval[];
  /** Lines removed (or, with `dryRun`, that would be). */
  total: number;
}

export interface DeleteOptions {
  /** Count and list, change nothing. @default false */
  dryRun?: boolean;
  /**
   * Runs the rewrite of one day file. The server passes its store's lock, so no append lands in the
   * old file between reading and renaming it (see store.ts `exclusive`).
   * @default runs it as it is
   */
  exclusive?: <T>(path: string, task: () => Promise<T>) => Promise<T>;
}

/** A test of one stored line's text: does it belong to the subject? */
export type LineMatch = (text: string) => boolean;

/** The subject's id and the fields of a stored line that may carry it. */
function fieldsOf(subject: Subject): { id: string; fields: [string, string] } {
  return 'session' in subject
    ? { id: subject.session, fields: ['session_id', 'session.id'] }
    : { id: subject.anonymousId, fields: ['anonymous_id', 'anonymous.id'] };
}

/**
 * Matches a line whose `session_id` / `anonymous_id` is the id, or whose own resource (OTLP in,
 * stored before the server copied it to those fields) says `session.id` / `anonymous.id`. Most lines
 * are ruled out by a substring test without parsing. A line that does not parse (torn by a crash) is
 * matched when it names the id in one of those fields.
 */
export function lineMatcher(subject: Subject): LineMatch {
  const { id, fields } = fieldsOf(subject);
  const quoted = JSON.stringify(id);
  const needle = quoted.slice(1, -1);
  const named = fields.map((field) => `"${field}":${quoted}`);
  return (text) => {
    if (!text.includes(needle)) return false;
    let item: unknown;
    try {
      item = JSON.parse(text);
    } catch {
      return named.some((n) => text.includes(n));
    }
    return itemMatcher(subject)(item);
  };
}

/** The same test on a parsed item (the forward spool holds items, not lines). */
export function itemMatcher(subject: Subject): (item: unknown) => boolean {
  const { id, fields } = fieldsOf(subject);
  return (item) => {
    if (!isObject(item)) return false;
    if (item[fields[0]] === id) return true;
    return isObject(item.resource) && item.resource[fields[1]] === id;
  };
}

/**
 * The test for an item of the forward spool, which keeps the batch's session and anonymous id
 * beside its items rather than on them (forward-spool.ts).
 */
export function spooledMatcher(
  subject: Subject,
): (item: Record<string, unknown>, batch: { session?: string; anonymousId?: string }) => boolean {
  const item = itemMatcher(subject);
  return 'session' in subject
    ? (it, batch) => batch.session === subject.session || item(it)
    : (it, batch) => batch.anonymousId === subject.anonymousId || item(it);
}

/** Deletes (or with `dryRun` counts) the subject's lines in every day file of `dataDir`. */
export async function deleteSubject(
  dataDir: string,
  subject: Subject,
  options: DeleteOptions = {},
): Promise<DeleteReport> {
  const match = lineMatcher(subject);
  const exclusive = options.exclusive ?? (<T>(_: string, task: () => Promise<T>) => task());
  const files: FileRemoval[] = [];
  for (const kind of KINDS) {
    for (const day of await listDays(dataDir, kind)) {
      const path = join(dataDir, kind, `${day}.jsonl`);
      // Read without the lock first: most files hold nothing of the subject and are left untouched.
      const found = await countMatches(path, match);
      if (found === 0) continue;
      if (options.dryRun) {
        files.push({ file: `${kind}/${day}.jsonl`, removed: found });
        continue;
      }
      const { removed, ranges } = await exclusive(path, () => rewriteWithout(path, match));
      if (removed === 0) continue;
      // `export` resumes at byte offsets into this file: move them back by what went before them.
      await shiftCheckpoints(dataDir, `${kind}/${day}`, ranges);
      files.push({ file: `${kind}/${day}.jsonl`, removed });
    }
  }
  return { files, total: files.reduce((n, f) => n + f.removed, 0) };
}

/** How many lines of `path` match; 0 for a missing file. */
export async function countMatches(path: string, match: LineMatch): Promise<number> {
  let count = 0;
  for await (const line of eachLine(path)) if (match(line.text)) count++;
  return count;
}

/**
 * Rewrites `path` without the matching lines (temp file, fsync, rename, directory fsync); leaves it
 * alone when none match. A last line without its newline (a write cut short) is kept as it is. The
 * batch ids of the removed lines are recorded beside the file before the rename (deleted-batches.ts),
 * so the store still refuses those batches after a restart.
 */
export async function rewriteWithout(
  path: string,
  match: LineMatch,
): Promise<{ removed: number; ranges: RemovedRange[] }> {
  const ranges: RemovedRange[] = [];
  const batchIds = new Set<string>();
  const temp = join(dirname(path), `.${basename(path)}.${process.pid}.delete.tmp`);
  const out = await open(temp, 'w');
  try {
    let pending: Buffer[] = [];
    let pendingBytes = 0;
    for await (const line of eachLine(path)) {
      if (match(line.text)) {
        ranges.push([line.start, line.end]);
        const id = lineBatchId(line.text);
        if (id !== undefined) batchIds.add(id);
        continue;
      }
      pending.push(line.bytes);
      pendingBytes += line.bytes.length;
      if (pendingBytes >= 1 << 20) {
        await out.write(Buffer.concat(pending));
        pending = [];
        pendingBytes = 0;
      }
    }
    if (ranges.length === 0) {
      await out.close();
      await unlink(temp);
      return { removed: 0, ranges };
    }
    if (pending.length > 0) await out.write(Buffer.concat(pending));
    await out.chmod((await stat(path)).mode & 0o777).catch(() => undefined);
    // On disk before the rename makes it the day file: a crash never leaves an empty or short file.
    await out.sync();
    await out.close();
    await recordDeleted(path, batchIds);
    await rename(temp, path);
  } catch (error) {
    await out.close().catch(() => undefined);
    await unlink(temp).catch(() => undefined);
    throw error;
  }
  await syncDir(dirname(path));
  return { removed: ranges.length, ranges };
}

/** Removes temp files a delete killed mid-way left behind (never renamed, so never part of the store). */
export async function removeStaleTemps(dataDir: string): Promise<void> {
  for (const kind of KINDS) {
    const names = await readdir(join(dataDir, kind)).catch(() => [] as string[]);
    for (const name of names) {
      if (name.endsWith('.delete.tmp')) await unlink(join(dataDir, kind, name)).catch(() => undefined);
    }
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
