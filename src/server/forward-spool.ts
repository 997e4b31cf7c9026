/**
 * The durable queue behind `serve --forward-otlp`: one file per accepted batch in a spool directory,
 * named `<sequence>-<items>.json` so the order and the item count are known without reading it.
 * Adding never waits for the disk (the ingest answer must not), writes go one at a time through a
 * temp file and a rename (a crash leaves no half file), and the spool is bounded: when it is over
 * `maxBytes` the oldest batches are deleted, and every dropped item is counted.
 */
import { mkdir, readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kind } from '../telemetry/records.js';

/** What is spooled: the items of one accepted batch with what they were sent with. */
export interface SpooledBatch extends Record<Kind, Record<string, unknown>[]> {
  resource?: Record<string, unknown>;
  session?: string;
  /** The envelope's anonymous id, so `delete --anonymous-id` can find the batch here too. */
  anonymousId?: string;
}

export interface SpoolEntry {
  name: string;
  bytes: number;
  count: number;
}

export interface SpoolStats {
  /** Items waiting on disk or for their write. */
  queued: number;
  queuedBytes: number;
  /** Items deleted or never written because the spool was full. */
  dropped: number;
}

const NAME = /^(\d{16})-(\d+)\.json$/;
const countOf = (b: SpooledBatch): number => b.logs.length + b.traces.length + b.metrics.length;

export async function openSpool(
  dir: string,
  options: { maxBytes: number; maxPendingWrites?: number; onDrop: (n: number) => void },
) {
  await mkdir(dir, { recursive: true });
  const maxPending = options.maxPendingWrites ?? 10_000;
  const entries: SpoolEntry[] = [];
  for (const name of (await readdir(dir)).sort()) {
    const m = NAME.exec(name);
    if (m) entries.push({ name, bytes: (await stat(join(dir, name))).size, count: Number(m[2]) });
    // A temp file left by a crash mid-write was never acknowledged to the spool: remove it.
    else if (name.endsWith('.tmp')) await unlink(join(dir, name)).catch(() => undefined);
  }
  let sequence = entries.length ? Number(NAME.exec(entries.at(-1)!.name)![1]) + 1 : 1;
  let bytes = entries.reduce((n, e) => n + e.bytes, 0);
  let pending = 0;
  let pendingItems = 0;
  const stats = { dropped: 0 };
  let queue: Promise<unknown> = Promise.resolve();
  let onAdded = (): void => {};

  function serially<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task);
    queue = run.catch(() => undefined);
    return run;
  }
  const drop = (n: number): void => {
    stats.dropped += n;
    options.onDrop(n);
  };
  async function write(name: string, text: string): Promise<void> {
    const temp = join(dir, `${name}.tmp`);
    await writeFile(temp, text);
    await rename(temp, join(dir, name));
  }
  /** Replaces an entry with `batch` (same sequence, the name saying its new count). */
  async function replace(entry: SpoolEntry, batch: SpooledBatch): Promise<void> {
    const text = JSON.stringify(batch);
    const size = Buffer.byteLength(text);
    const count = countOf(batch);
    // Same sequence, new item count: the order stays, the name stays truthful.
    const name = entry.name.replace(NAME, (_, seq: string) => `${seq}-${count}.json`);
    await write(name, text);
    if (name !== entry.name) await unlink(join(dir, entry.name)).catch(() => undefined);
    bytes += size - entry.bytes;
    Object.assign(entry, { name, bytes: size, count });
  }
  async function removeEntry(entry: SpoolEntry): Promise<void> {
    const i = entries.indexOf(entry);
    if (i === -1) return; // already dropped to make room
    entries.splice(i, 1);
    bytes -= entry.bytes;
    await unlink(join(dir, entry.name)).catch(() => undefined);
  }

  return {
    dir,
    /** Queues a batch for writing; returns at once. Dropped and counted when too much is pending. */
    add(batch: SpooledBatch): void {
      const count = countOf(batch);
      if (count === 0) return;
      if (pending >= maxPending) return drop(count);
      pending++;
      pendingItems += count;
      const name = `${String(sequence++).padStart(16, '0')}-${count}.json`;
      void serially(async () => {
        const text = JSON.stringify(batch);
        const size = Buffer.byteLength(text);
        // Make room by deleting the oldest: newer data is worth more to whoever reads it.
        while (entries.length && bytes + size > options.maxBytes) {
          const old = entries.shift()!;
          bytes -= old.bytes;
          await unlink(join(dir, old.name)).catch(() => undefined);
          drop(old.count);
        }
        if (size > options.maxBytes) return drop(count);
        await write(name, text);
        entries.push({ name, bytes: size, count });
        bytes += size;
        onAdded();
      })
        .catch(() => drop(count))
        .finally(() => {
          pending--;
          pendingItems -= count;
        });
    },
    /** The oldest entries holding up to `maxItems` items (at least one entry). */
    oldest(maxItems: number): SpoolEntry[] {
      const out: SpoolEntry[] = [];
      let n = 0;
      for (const e of entries) {
        if (out.length && n + e.count > maxItems) break;
        out.push(e);
        n += e.count;
      }
      return out;
    },
    read: async (entry: SpoolEntry): Promise<SpooledBatch> =>
      JSON.parse(await readFile(join(dir, entry.name), 'utf8')) as SpooledBatch,
    /** Deletes delivered (or undeliverable) entries. */
    remove: (done: SpoolEntry[]): Promise<void> =>
      serially(async () => {
        for (const e of done) await removeEntry(e);
      }),
    /** Replaces an entry's content with what is still to send (kinds already delivered removed). */
    rewrite: (entry: SpoolEntry, batch: SpooledBatch): Promise<void> =>
      serially(async () => {
        if (entries.includes(entry)) await replace(entry, batch);
      }),
    /**
     * Removes every spooled item `drop` says yes to (`delete`: a subject's items), after the writes
     * queued before it; an entry left empty is deleted. Resolves with the number of items removed
     * (with `dryRun`, found: nothing is changed).
     * A round of the forwarder already sending an entry may still deliver what it read.
     */
    removeItems: (
      drop: (item: Record<string, unknown>, batch: SpooledBatch) => boolean,
      dryRun = false,
    ): Promise<number> =>
      serially(async () => {
        let removed = 0;
        for (const entry of [...entries]) {
          let batch: SpooledBatch;
          try {
            batch = JSON.parse(await readFile(join(dir, entry.name), 'utf8')) as SpooledBatch;
          } catch {
            continue; // unreadable: the forwarder reports and removes it
          }
          const rest = { ...batch };
          for (const kind of ['logs', 'traces', 'metrics'] as const) {
            rest[kind] = (batch[kind] ?? []).filter((item) => !drop(item, batch));
          }
          const left = countOf(rest);
          if (left === countOf(batch)) continue;
          removed += countOf(batch) - left;
          if (dryRun) continue;
          if (left === 0) await removeEntry(entry);
          else await replace(entry, rest);
        }
        return removed;
      }),
    /** Called whenever an entry lands on disk. */
    onAdded(listener: () => void): void {
      onAdded = listener;
    },
    stats: (): SpoolStats => ({
      queued: entries.reduce((n, e) => n + e.count, 0) + pendingItems,
      queuedBytes: bytes,
      dropped: stats.dropped,
    }),
    /** Resolves once every write queued so far is on disk. */
    idle: (): Promise<void> => serially(() => Promise.resolve()),
  };
}

export type Spool = Awaited<ReturnType<typeof openSpool>>;
