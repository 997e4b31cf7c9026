/**
 * Incremental reading of one JSONL day file: from a byte offset to the last complete line, so a
 * reader can follow a file the store keeps appending to. A line still being written (no newline yet)
 * is left for the next read; a line that does not parse (torn by a crash) is skipped.
 */
import { open } from 'node:fs/promises';
import { isNotFound } from '../read-store.js';

/** One parsed line and where it is in its file, so its full text can be read again later. */
export interface ScannedLine {
  item: Record<string, unknown>;
  offset: number;
  length: number;
}

export interface ScanResult {
  /** Offset just past the last complete line read: where the next scan starts. */
  end: number;
  /** The file's size when read; smaller than a previous `end` means it was truncated or replaced. */
  size: number;
  skipped: number;
}

const CHUNK = 1 << 20;

/** Calls `onLine` for every complete line from `from`; a missing file reads as empty. */
export async function scanFile(
  file: string,
  from: number,
  onLine: (line: ScannedLine) => void,
): Promise<ScanResult> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (isNotFound(error)) return { end: 0, size: 0, skipped: 0 };
    throw error;
  }
  try {
    const { size } = await handle.stat();
    if (size < from) return { end: from, size, skipped: 0 };
    let position = from;
    let skipped = 0;
    let carry = Buffer.alloc(0);
    let carryAt = from;
    while (position < size) {
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, size - position));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = carry.length
        ? Buffer.concat([carry, buffer.subarray(0, bytesRead)])
        : buffer.subarray(0, bytesRead);
      let start = 0;
      for (let nl = data.indexOf(10, start); nl !== -1; nl = data.indexOf(10, start)) {
        if (nl > start) {
          const item = parseLine(data.toString('utf8', start, nl));
          if (item) onLine({ item, offset: carryAt + start, length: nl - start });
          else skipped++;
        }
        start = nl + 1;
      }
      carryAt += start;
      // Copied, so the carried tail does not pin the whole chunk.
      carry = Buffer.from(data.subarray(start));
    }
    return { end: carryAt, size, skipped };
  } finally {
    await handle.close();
  }
}

/** Reads the text of lines at known places (a page of logs, one trace) with one open file. */
export async function readLinesAt(
  file: string,
  places: readonly { offset: number; length: number }[],
): Promise<(Record<string, unknown> | undefined)[]> {
  let handle;
  try {
    handle = await open(file, 'r');
  } catch (error) {
    if (isNotFound(error)) return places.map(() => undefined);
    throw error;
  }
  try {
    return await Promise.all(
      places.map(async ({ offset, length }) => {
        const buffer = Buffer.alloc(length);
        await handle.read(buffer, 0, length, offset);
        return parseLine(buffer.toString('utf8'));
      }),
    );
  } finally {
    await handle.close();
  }
}

function parseLine(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
