/**
 * JSONL store: `<dataDir>/<kind>/<YYYY-MM-DD>.jsonl`, one item a line with `session_id`,
 * `batch_id` and `received_at` added. One process writes a data dir.
 *
 * Appends are grouped: every batch accepted in one turn of the event loop goes out in one write
 * per file (setImmediate), and each is acknowledged once that write returned. The dedupe check
 * is made when a batch is queued, against what is stored and what is being written, so two copies
 * of a batch in one group, or arriving while the first is written, are stored once.
 */
import { join, resolve } from 'node:path';
import { KINDS, type Kind } from '../telemetry/records.js';
import { openDayFiles, repairLastWrite } from './day-files.js';
import { addDeletedIds } from './deleted-batches.js';
import { utcDay } from './days.js';
import { batchTexts, type BatchTexts, type RawBody } from './lines.js';
import { eachLine, listDays, readKind, type ReadOptions, type ReadResult } from './read-store.js';
import type { ValidBody } from './validate.js';

export type { ReadOptions, ReadResult, StoredItem } from './read-store.js';
export type { BatchTexts, RawBody } from './lines.js';

export interface AppendResult {
  /** Items written by this call, by kind. */
  stored: Record<Kind, number>;
  /** True when some or all of the batch was already stored under its batchId, and was skipped. */
  duplicate: boolean;
}

export interface Store {
  readonly dataDir: string;
  /**
   * Stores a validated batch as received at `receivedAt` (epoch ms). Rejects when the disk write
   * fails. `raw` (the body text and its item spans) lets the store reuse the items' own text.
   */
  append(body: ValidBody, receivedAt: number, raw?: RawBody): Promise<AppendResult>;
  /** Stores lines made already (by a worker process, see cluster.ts) under `batchId`. */
  appendTexts(batchId: string, receivedAt: number, texts: BatchTexts): Promise<AppendResult>;
  readKind(kind: Kind, options?: ReadOptions): Promise<ReadResult>;
  /** Days that have a file for `kind`, oldest first. */
  listDays(kind: Kind): Promise<string[]>;
  /**
   * Runs `task` (a rewrite of the day file at `path`: delete-lines.ts) while nothing is written.
   * Requests keep being accepted meanwhile; their lines wait in the next group, which is written
   * after the task, through a handle opened afresh, so no line lands in the file being replaced
   * (lost with it) and none is acknowledged before it is in the new one. Tasks run one at a time.
   */
  exclusive<T>(path: string, task: () => Promise<T>): Promise<T>;
  /** Resolves once every write queued so far has finished. */
  idle(): Promise<void>;
  /** Waits for queued writes, then closes the open files. */
  close(): Promise<void>;
}

/** Texts waiting for the next write, by file, and what becomes of them: failed paths map to their error. */
interface Group {
  texts: Map<string, (string | Uint8Array)[]>;
  outcome: Promise<Map<string, unknown>>;
  settle(errors: Map<string, unknown>): void;
}

/**
 * Opens the store at `dataDir` (`onAppend` is told after each write: the dashboard index follows
 * the store with it), rebuilding the dedupe sets from the `batch_id` of every stored
 * line, so dedupe survives restarts and matches the disk: if a crash stored a batch's logs but
 * not its metrics, a resend stores just the metrics. Batches whose lines `delete` removed stay
 * refused too: their ids are kept beside the day files (deleted-batches.ts).
 */
export async function openStore(dataDir: string, onAppend?: () => void): Promise<Store> {
  const seen = {} as Record<Kind, Set<string>>;
  for (const kind of KINDS) {
    repairLastWrite(join(dataDir, kind));
    seen[kind] = await storedBatchIds(dataDir, kind);
  }
  /** Batches queued or being written, by `<kind> <batchId>`. */
  const writing = new Map<string, Promise<void>>();
  const files = openDayFiles();
  let group: Group | undefined;
  /** Set while an exclusive task runs: the group's write waits for it. */
  let paused: Promise<void> | undefined;
  let deferred = false;
  let lastDay = '';
  let dayAt = NaN;
  let day = '';

  function newGroup(): Group {
    let settle!: (errors: Map<string, unknown>) => void;
    const outcome = new Promise<Map<string, unknown>>((resolve) => (settle = resolve));
    // setImmediate runs after the I/O callbacks of this loop turn: every request whose body
    // finished arriving meanwhile joins this write.
    setImmediate(flush);
    return { texts: new Map(), outcome, settle };
  }

  async function queue(path: string, text: string | Uint8Array): Promise<void> {
    group ??= newGroup();
    const texts = group.texts.get(path);
    if (texts) texts.push(text);
    else group.texts.set(path, [text]);
    const errors = await group.outcome;
    if (errors.has(path)) throw errors.get(path);
  }

  /** Writes the group: one write per file, then settles every batch in it. */
  function flush(): void {
    if (paused) {
      deferred = true;
      return;
    }
    const current = group!;
    group = undefined;
    const errors = new Map<string, unknown>();
    for (const [path, texts] of current.texts) {
      try {
        files.append(path, joined(texts));
      } catch (error) {
        errors.set(path, error);
      }
    }
    current.settle(errors);
    onAppend?.();
  }

  async function exclusive<T>(path: string, task: () => Promise<T>): Promise<T> {
    while (paused) await paused;
    // Writes are synchronous (day-files.ts), so between two turns of the loop none is half done:
    // from here until `release`, the file at `path` holds exactly what was acknowledged.
    let release!: () => void;
    paused = new Promise<void>((resolve) => (release = resolve));
    try {
      return await task();
    } finally {
      // The task may have renamed a new file over `path`: the next append must open that one, not
      // write to the old inode (day-files.ts would notice only up to a second later).
      const target = resolve(path);
      files.closeOthers((open) => resolve(open) !== target);
      paused = undefined;
      release();
      if (deferred) {
        deferred = false;
        flush();
      }
    }
  }

  async function idle(): Promise<void> {
    while (group || writing.size > 0) {
      await group?.outcome;
      await Promise.all([...writing.values()].map((p) => p.catch(() => undefined)));
    }
  }

  async function appendTexts(batchId: string, receivedAt: number, texts: BatchTexts): Promise<AppendResult> {
    if (receivedAt !== dayAt) {
      dayAt = receivedAt;
      day = utcDay(receivedAt);
    }
    if (day !== lastDay) {
      // After midnight, yesterday's handles are not needed any more.
      lastDay = day;
      files.closeOthers((path) => path.endsWith(`${day}.jsonl`));
    }
    const kinds = KINDS.filter((kind) => texts[kind] !== undefined);
    const outcomes = await Promise.allSettled(
      kinds.map((kind) => appendKind(kind, join(dataDir, kind, `${day}.jsonl`), batchId, texts[kind]!.text)),
    );
    // Every kind is settled first, so a failed kind never leaves another's write unawaited.
    const failed = outcomes.find((outcome) => outcome.status === 'rejected');
    if (failed) throw failed.reason;
    const stored = { logs: 0, traces: 0, metrics: 0 };
    let duplicate = false;
    kinds.forEach((kind, i) => {
      if ((outcomes[i] as PromiseFulfilledResult<boolean>).value) stored[kind] = texts[kind]!.count;
      else duplicate = true;
    });
    return { stored, duplicate };
  }

  async function appendKind(
    kind: Kind,
    path: string,
    batchId: string,
    text: string | Uint8Array,
  ): Promise<boolean> {
    const key = `${kind} ${batchId}`;
    for (;;) {
      if (seen[kind].has(batchId)) return false;
      const earlier = writing.get(key);
      // The same batch is being written: wait for that write, then look again (it may have failed).
      if (!earlier) break;
      await earlier.catch(() => undefined);
    }
    const done = queue(path, text);
    writing.set(key, done);
    try {
      await done;
      seen[kind].add(batchId);
    } finally {
      writing.delete(key);
    }
    return true;
  }

  return {
    dataDir,
    append(body, receivedAt, raw) {
      return appendTexts(body.batchId, receivedAt, batchTexts(body, receivedAt, raw));
    },
    appendTexts,
    readKind: (kind, options) => readKind(dataDir, kind, options),
    listDays: (kind) => listDays(dataDir, kind),
    exclusive,
    idle,
    async close() {
      await idle();
      files.closeAll();
    },
  };
}

/** One buffer of a group's texts for one file, as they were queued. */
function joined(texts: (string | Uint8Array)[]): Buffer {
  if (texts.every((text) => typeof text === 'string')) return Buffer.from(texts.join(''), 'utf8');
  return Buffer.concat(texts.map((text) => (typeof text === 'string' ? Buffer.from(text, 'utf8') : text)));
}

/** The batch ids of `kind` stored, and those whose lines `delete` removed (deleted-batches.ts). */
async function storedBatchIds(dataDir: string, kind: Kind): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const day of await listDays(dataDir, kind)) {
    await eachLine(join(dataDir, kind, `${day}.jsonl`), (item) => {
      if (typeof item.batch_id === 'string') ids.add(item.batch_id);
    });
  }
  await addDeletedIds(dataDir, kind, ids);
  return ids;
}
