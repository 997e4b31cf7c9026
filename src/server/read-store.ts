/**
 * Reading the JSONL store. Reads take no part in the write queue: a line being appended while it
 * is read shows up as one skipped line in that read, and complete in the next.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Kind } from '../telemetry/records.js';
import { dayOfFile, isDay } from './days.js';

/** One stored line, parsed. */
export interface StoredItem {
  [field: string]: unknown;
  session_id: string | null;
  /** The client's anonymous id; absent on lines stored before the server knew it. */
  anonymous_id?: string | null;
  batch_id: string;
  received_at: string;
}

export interface ReadOptions {
  /** Only this UTC day (`YYYY-MM-DD`); all days when absent. */
  day?: string;
  /** Only the newest `limit` items. */
  limit?: number;
}

export interface ReadResult {
  /** Oldest first, newest last. */
  items: StoredItem[];
  /** Lines that did not parse (a write torn by a crash), skipped rather than failing the read. */
  skipped: number;
}

/**
 * Days that have a file for `kind`, oldest first; other files are not listed. `dayOf` gives the day
 * of a file name, or undefined (default: the day files, `<day>.jsonl`).
 */
export async function listDays(
  dataDir: string,
  kind: Kind,
  dayOf: (name: string) => string | undefined = dayOfFile,
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(join(dataDir, kind));
  } catch (error) {
    if (isNotFound(error)) return [];
    throw error;
  }
  return names
    .map(dayOf)
    .filter((day) => day !== undefined)
    .sort();
}

/** Items of one kind, oldest first; see {@link ReadOptions}. */
export async function readKind(dataDir: string, kind: Kind, options: ReadOptions = {}): Promise<ReadResult> {
  const { day, limit = Infinity } = options;
  if (day !== undefined && !isDay(day)) throw new RangeError(`day must be YYYY-MM-DD, got "${day}"`);
  const days = day === undefined ? await listDays(dataDir, kind) : [day];
  const chunks: StoredItem[][] = [];
  let count = 0;
  let skipped = 0;
  // Newest day first, stopping once `limit` items are in hand.
  for (const d of days.reverse()) {
    if (count >= limit) break;
    const items: StoredItem[] = [];
    skipped += await eachLine(join(dataDir, kind, `${d}.jsonl`), (item) => items.push(item as StoredItem));
    chunks.unshift(items);
    count += items.length;
  }
  const items = chunks.flat();
  return { items: limit < items.length ? items.slice(items.length - limit) : items, skipped };
}

/** Calls `onItem` for every line that parses to an object; returns how many lines did not. */
export async function eachLine(
  file: string,
  onItem: (item: Record<string, unknown>) => void,
): Promise<number> {
  let skipped = 0;
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  try {
    for await (const line of lines) {
      if (line === '') continue;
      const item = parseLine(line);
      if (item) onItem(item);
      else skipped++;
    }
  } catch (error) {
    // A day file deleted between listing and reading (retention) simply has no lines.
    if (!isNotFound(error)) throw error;
  }
  return skipped;
}

function parseLine(line: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

export function isNotFound(error: unknown): boolean {
  return (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';
}
