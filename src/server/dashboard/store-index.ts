/**
 * The dashboard's index of the JSONL store: compact columns of every stored line, built by one scan
 * when the server starts and then kept up to date by reading only the bytes appended since (the store
 * tells it when it appended). A day file that shrank or vanished (retention, a truncated write) makes
 * the next refresh rebuild from scratch, which is rare and keeps the bookkeeping simple.
 */
import { join } from 'node:path';
import { KINDS, type Kind } from '../../telemetry/records.js';
import { listDays } from '../read-store.js';
import { Interner } from './columns.js';
import { addLine } from './add-line.js';
import { readLinesAt, scanFile } from './scan.js';
import { DropTable, LogTable, MetricTable, TraceTable } from './tables.js';
import type { Rows } from './rows.js';

/** How long after the last query appends are still indexed as they happen (live mode polls within it). */
const FOLLOW_MS = 5 * 60_000;

export interface IndexOptions {
  /**
   * Skip day files before this UTC day (`YYYY-MM-DD`): `stats --since` need not read older days.
   * @default undefined (every day)
   */
  minDay?: string;
}

/** Everything indexed so far; replaced as a whole on a rebuild. */
export class IndexData {
  readonly logs = new LogTable();
  readonly metrics = new MetricTable();
  readonly traces = new TraceTable();
  readonly drops = new DropTable();
  readonly sessions = new Interner();
  readonly versions = new Interner();
  readonly files: string[] = [];
  readonly fileIds = new Map<string, number>();
  readonly cursors = new Map<string, number>();
  /** Batches whose envelope `dropped` was counted already (it is repeated on each of their lines). */
  readonly dropBatches = new Set<string>();
  skipped = 0;
  constructor() {
    // Id 0 is "unknown" for both, so a line without them still filters and groups.
    this.sessions.id('');
    this.versions.id('');
  }
  fileId(path: string): number {
    let id = this.fileIds.get(path);
    if (id === undefined) {
      id = this.files.push(path) - 1;
      this.fileIds.set(path, id);
    }
    return id;
  }
}

export class StoreIndex {
  data = new IndexData();
  private running: Promise<void> | undefined;
  private again = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private lastUsed = -Infinity;
  /** Bumped by `reset`: a scan that started before it must not install what it read. */
  private generation = 0;

  constructor(
    readonly dataDir: string,
    private readonly options: IndexOptions = {},
  ) {}

  /**
   * Reads what was appended since the last refresh. Calls made while one runs share one follow-up
   * run, so a burst of appends costs two scans, not one per append.
   */
  refresh(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = this.scanAll().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        void this.refresh();
      }
    });
    return this.running;
  }

  /**
   * The store appended: refresh soon (batched, so heavy ingest does not scan per request), but only
   * while someone looks at the dashboard. Otherwise the next query reads what was appended meanwhile,
   * so a server nobody watches spends no CPU parsing its own lines twice.
   */
  notify(): void {
    if (Date.now() - this.lastUsed > FOLLOW_MS) return;
    this.timer ??= setTimeout(() => {
      this.timer = undefined;
      this.refresh().catch(() => undefined);
    }, 200);
    this.timer.unref?.();
  }

  /**
   * Forgets everything indexed: the next refresh reads the store from scratch. The server calls it
   * after `delete` rewrote day files, whose rows and byte offsets the index holds; a file rewritten
   * and then grown past its old size would not look truncated to `scanAll`.
   */
  reset(): void {
    this.generation++;
    this.data = new IndexData();
    if (this.running) this.again = true;
  }

  /** A query was made: follow appends eagerly for a while. */
  touch(): void {
    this.lastUsed = Date.now();
  }

  close(): void {
    clearTimeout(this.timer);
  }

  /** The stored items of rows `indices` of `table`, read again from disk (for details the index does not keep). */
  async items(table: Rows, indices: readonly number[]): Promise<(Record<string, unknown> | undefined)[]> {
    const byFile = new Map<number, number[]>();
    for (const [n, i] of indices.entries()) {
      const f = table.file.data[i]!;
      byFile.set(f, [...(byFile.get(f) ?? []), n]);
    }
    const out: (Record<string, unknown> | undefined)[] = indices.map(() => undefined);
    for (const [f, ns] of byFile) {
      const places = ns.map((n) => ({
        offset: table.offset.data[indices[n]!]!,
        length: table.length.data[indices[n]!]!,
      }));
      const items = await readLinesAt(this.data.files[f]!, places);
      for (const [k, n] of ns.entries()) out[n] = items[k];
    }
    return out;
  }

  private async scanAll(): Promise<void> {
    const generation = this.generation;
    let data = this.data;
    const listed = new Map<Kind, string[]>();
    for (const kind of KINDS) {
      const days = await listDays(this.dataDir, kind);
      listed.set(
        kind,
        days.filter((d) => this.options.minDay === undefined || d >= this.options.minDay),
      );
    }
    const paths = new Set([...listed].flatMap(([kind, days]) => days.map((d) => this.path(kind, d))));
    // A file we indexed is gone (retention): start over rather than un-index its rows.
    if ([...data.cursors.keys()].some((p) => !paths.has(p))) data = new IndexData();
    for (const [kind, days] of listed) {
      for (const day of days) {
        const path = this.path(kind, day);
        const from = data.cursors.get(path) ?? 0;
        const file = data.fileId(path);
        const target = data;
        const result = await scanFile(path, from, (line) => addLine(target, kind, file, line));
        if (generation !== this.generation) return; // reset meanwhile: a follow-up run reads afresh
        if (result.size < from) {
          // Truncated under us (a failed append was cut off): index everything again, next time.
          this.data = new IndexData();
          this.again = true;
          return;
        }
        data.cursors.set(path, result.end);
        data.skipped += result.skipped;
      }
    }
    if (generation === this.generation) this.data = data;
  }

  private path(kind: Kind, day: string): string {
    return join(this.dataDir, kind, `${day}.jsonl`);
  }
}
