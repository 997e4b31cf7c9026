/**
 * Open append handles on the store's day files, kept open between writes: opening and closing the
 * file for every request cost more than the write itself. Writes are synchronous: they only copy
 * into the page cache (no fsync), take microseconds for a group of requests, and a write that
 * returned is on disk for any later reader and survives the process being killed.
 */
import {
  closeSync,
  fstatSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';

/**
 * Per kind directory, where the write in progress goes: `<day file> <offset> <length> <inode>`. A process
 * killed in the middle of a write of several pages leaves the first pages on disk; the next start
 * cuts them off (repairLastWrite), so a batch never stays half-stored under a batchId that dedupe
 * would then refuse to store again. One small write per group (not per request) pays for it.
 */
export const LAST_WRITE = '.last-write';
const RECORD_BYTES = 128;

interface OpenFile {
  fd: number;
  /** The directory's LAST_WRITE record. */
  journal: number;
  size: number;
  /** The file ended in a torn line when opened: the next write starts a new line first. */
  needsNewline: boolean;
  ino: number;
  checkedAt: number;
}

/** How often an open file is compared with what its path names now (deleted or replaced by a tool). */
const RECHECK_MS = 1000;

export interface DayFiles {
  /** Appends `data` to `path` whole, or throws with the file cut back to where it was. */
  append(path: string, data: Buffer): void;
  /** Closes every handle whose path `keep` says no to (yesterday's files after midnight). */
  closeOthers(keep: (path: string) => boolean): void;
  closeAll(): void;
}

export function openDayFiles(): DayFiles {
  const files = new Map<string, OpenFile>();

  function current(path: string): OpenFile {
    let file = files.get(path);
    const now = Date.now();
    if (file && now - file.checkedAt > RECHECK_MS) {
      file.checkedAt = now;
      if (!samePath(path, file.ino)) {
        drop(path);
        file = undefined;
      }
    }
    if (!file) {
      file = openAppend(path, now);
      files.set(path, file);
    }
    return file;
  }

  function drop(path: string): void {
    const file = files.get(path);
    files.delete(path);
    if (file) {
      closeSync(file.fd);
      closeSync(file.journal);
    }
  }

  return {
    append(path, data) {
      const file = current(path);
      const bytes = file.needsNewline ? Buffer.concat([Buffer.from('\n'), data]) : data;
      let written = 0;
      const record = `${basename(path)} ${file.size} ${bytes.length} ${file.ino}`.padEnd(RECORD_BYTES - 1);
      writeSync(file.journal, `${record}\n`, 0);
      try {
        // A regular file takes the whole buffer in one call unless the disk is full; loop anyway.
        while (written < bytes.length) written += writeSync(file.fd, bytes, written);
        file.size += bytes.length;
        file.needsNewline = false;
      } catch (error) {
        // Cut off what part of the group was written, so every request in it is stored not at all
        // (each is answered 500 and resent); if even that fails, look at the file afresh next time.
        try {
          if (written > 0) ftruncateSync(file.fd, file.size);
        } catch {
          drop(path);
        }
        throw error;
      }
    },
    closeOthers(keep) {
      for (const path of [...files.keys()]) if (!keep(path)) drop(path);
    },
    closeAll() {
      for (const path of [...files.keys()]) drop(path);
    },
  };
}

function openAppend(path: string, now: number): OpenFile {
  mkdirSync(dirname(path), { recursive: true });
  // O_APPEND: every write lands at the end even if another process appends to the same file.
  const fd = openSync(path, 'a+');
  let journal: number | undefined;
  try {
    journal = openSync(join(dirname(path), LAST_WRITE), 'w');
    const { size, ino } = fstatSync(fd);
    let needsNewline = false;
    if (size > 0) {
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, size - 1);
      needsNewline = last[0] !== 0x0a;
    }
    return { fd, journal, size, needsNewline, ino, checkedAt: now };
  } catch (error) {
    closeSync(fd);
    if (journal !== undefined) closeSync(journal);
    throw error;
  }
}

function samePath(path: string, ino: number): boolean {
  try {
    return statSync(path).ino === ino;
  } catch {
    return false;
  }
}

/**
 * Cuts off the write that was in progress when the process died, if it did not finish (see
 * LAST_WRITE). Call before reading the directory's batchIds. Returns the file it cut, if any.
 */
export function repairLastWrite(kindDir: string): string | undefined {
  let record: string;
  try {
    record = readFileSync(join(kindDir, LAST_WRITE), 'utf8');
  } catch {
    return undefined;
  }
  const match = /^(\d{4}-\d{2}-\d{2}\.jsonl) (\d+) (\d+) (\d+)/.exec(record);
  if (!match) return undefined;
  const path = join(kindDir, match[1]!);
  const start = Number(match[2]);
  try {
    const { size, ino } = statSync(path);
    // Only the very file that was being written (a tool may have rewritten it since), and only
    // when the write is short: never past its start, which would extend the file.
    if (ino !== Number(match[4]) || size >= start + Number(match[3]) || size < start) return undefined;
    truncateSync(path, start);
    return path;
  } catch {
    return undefined;
  }
}
