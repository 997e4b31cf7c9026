/**
 * Reads a JSONL file from a byte offset in batches of parsed lines, reporting the offset after each
 * batch so a reader can resume exactly there. Only complete lines count: a last line still being
 * written (no newline yet) is left for the next run.
 */
import { createReadStream } from 'node:fs';
import { isNotFound } from './read-store.js';

export interface LineBatch {
  lines: Record<string, unknown>[];
  /** Byte offset just after the last line of this batch. */
  end: number;
  /** Lines in this batch's range that did not parse to a JSON object (torn by a crash). */
  skipped: number;
}

export async function* readLineBatches(
  file: string,
  start: number,
  batchSize: number,
): AsyncGenerator<LineBatch> {
  let lines: Record<string, unknown>[] = [];
  let skipped = 0;
  let offset = start;
  let rest: Buffer = Buffer.alloc(0);
  const stream = createReadStream(file, { start, highWaterMark: 256 * 1024 });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const data = rest.length ? Buffer.concat([rest, chunk]) : chunk;
      let from = 0;
      for (let nl = data.indexOf(0x0a, from); nl !== -1; nl = data.indexOf(0x0a, from)) {
        const text = data.toString('utf8', from, nl);
        offset += nl + 1 - from;
        from = nl + 1;
        if (text.trim() !== '') {
          const item = parse(text);
          if (item) lines.push(item);
          else skipped++;
        }
        if (lines.length >= batchSize) {
          yield { lines, end: offset, skipped };
          lines = [];
          skipped = 0;
        }
      }
      rest = data.subarray(from);
    }
  } catch (error) {
    // Deleted by retention between listing and reading: nothing more to read.
    if (!isNotFound(error)) throw error;
  }
  if (lines.length || skipped) yield { lines, end: offset, skipped };
}

function parse(text: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}
