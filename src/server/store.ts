/**
 * JSONL store: `<dataDir>/<kind>/<YYYY-MM-DD>.jsonl`, one item a line with `session_id`,
 * `batch_id` and `received_at` added. One process writes a data dir; all its writes go through
 * one queue, so lines of concurrent requests never interleave and dedupe checks see every
 * earlier write.
 */
import { appendFile, mkdir, open, truncate } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { KINDS, type Kind } from '../telemetry/records.js';
import { utcDay } from './days.js';
import { itemsToStore } from './dropped.js';
import { eachLine, isNotFound, listDays, readKind, type ReadOptions, type ReadResult } from './read-store.js';
import type { ValidBody } from './validate.js';

export type { ReadOptions, ReadResult, StoredItem } from './read-store.js';

export interface AppendResult {
  /** Items written by this call, by kind. */
  stored: Record<Kind, number>;
  /** True when some or all of the batch was already stored under its batchId, and was skipped. */
  duplicate: boolean;
}

export interface Store {
  readonly dataDir: string;
  /** Stores a validated batch as received at `receivedAt` (epoch ms). Rejects when the disk write fails. */
  append(body: ValidBody, receivedAt: number): Promise<AppendResult>;
  readKind(kind: Kind, options?: ReadOptions): Promise<ReadResult>;
  /** Days that have a file for `kind`, oldest first. */
  listDays(kind: Kind): Promise<string[]>;
  /** Resolves once every write queued so far has finished. */
  idle(): Promise<void>;
}

/** What this process knows about a file it appends to (looked at once, then tracked). */
interface FileState {
  size: number;
  /** The file ends in a torn line: the next append must start a new line first. */
  needsNewline: boolean;
}

/**
 * Opens the store at `dataDir` (`onAppend` is told after each kind's lines are on disk: the dashboard
 * index follows the store with it), rebuilding the dedupe sets from the `batch_id` of every stored
 * line, so dedupe survives restarts and matches the disk: if a crash stored a batch's logs but
 * not its metrics, a resend stores just the metrics.
 */
export async function openStore(dataDir: string, onAppend?: (kind: Kind) => void): Promise<Store> {
  const seen = {} as Record<Kind, Set<string>>;
  for (const kind of KINDS) seen[kind] = await storedBatchIds(dataDir, kind);
  const files = new Map<string, FileState>();
  let queue: Promise<unknown> = Promise.resolve();

  function serially<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  }

  async function appendLines(file: string, text: string): Promise<void> {
    const state = files.get(file) ?? (await inspect(file));
    const data = Buffer.from(state.needsNewline ? `\n${text}` : text, 'utf8');
    try {
      // One call per request and kind: its lines land together or (see catch) not at all.
      await appendFile(file, data);
      files.set(file, { size: state.size + data.length, needsNewline: false });
    } catch (error) {
      // A failed append (disk full) may have written part of the data. Cut it off so the request,
      // answered 500, is stored not at all; if even that fails, look at the file afresh next time.
      files.delete(file);
      await truncate(file, state.size).catch(() => undefined);
      throw error;
    }
  }

  return {
    dataDir,
    append(body, receivedAt) {
      const day = utcDay(receivedAt);
      const extra = {
        session_id: body.session?.id ?? null,
        batch_id: body.batchId,
        received_at: new Date(receivedAt).toISOString(),
        // Kept per line so the dashboard can compare app versions.
        ...(body.resource ? { resource: body.resource } : {}),
      };
      // Serialised outside the queue, so the queue only does the dedupe check and the I/O.
      const texts = KINDS.map((kind) => toLines(itemsToStore(body, kind), extra));
      return serially(async () => {
        const stored = { logs: 0, traces: 0, metrics: 0 };
        let duplicate = false;
        for (const [i, kind] of KINDS.entries()) {
          const text = texts[i];
          if (!text) continue;
          if (seen[kind].has(body.batchId)) {
            duplicate = true;
            continue;
          }
          await appendLines(join(dataDir, kind, `${day}.jsonl`), text);
          seen[kind].add(body.batchId);
          stored[kind] = body[kind].length;
          onAppend?.(kind);
        }
        return { stored, duplicate };
      });
    },
    readKind: (kind, options) => readKind(dataDir, kind, options),
    listDays: (kind) => listDays(dataDir, kind),
    idle: () => serially(() => Promise.resolve()),
  };
}

function toLines(items: readonly Record<string, unknown>[], extra: Record<string, unknown>): string {
  // Item fields first, ours last so an item cannot override them.
  return items.map((item) => `${JSON.stringify({ ...item, ...extra })}\n`).join('');
}

async function inspect(file: string): Promise<FileState> {
  await mkdir(dirname(file), { recursive: true });
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (isNotFound(error)) return { size: 0, needsNewline: false };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size === 0) return { size, needsNewline: false };
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return { size, needsNewline: last[0] !== 0x0a };
  } finally {
    await handle.close();
  }
}

async function storedBatchIds(dataDir: string, kind: Kind): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const day of await listDays(dataDir, kind)) {
    await eachLine(join(dataDir, kind, `${day}.jsonl`), (item) => {
      if (typeof item.batch_id === 'string') ids.add(item.batch_id);
    });
  }
  return ids;
}
