/**
 * A file's lines with their byte ranges, for rewriting it (delete-lines.ts): every byte is yielded
 * once, newlines included, so the kept lines written out again make the file minus the others.
 */
import { open } from 'node:fs/promises';

export interface Line {
  /** The line's bytes with its newline (none for an unterminated last line). */
  bytes: Buffer;
  text: string;
  start: number;
  end: number;
}

/** The lines of a file with their byte ranges; a missing file has none. */
export async function* eachLine(path: string): AsyncGenerator<Line> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  try {
    let carry = Buffer.alloc(0);
    let carryAt = 0;
    let position = 0;
    for (;;) {
      const chunk = Buffer.allocUnsafe(1 << 20);
      const { bytesRead } = await handle.read(chunk, 0, chunk.length, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const data = carry.length
        ? Buffer.concat([carry, chunk.subarray(0, bytesRead)])
        : chunk.subarray(0, bytesRead);
      let from = 0;
      for (let nl = data.indexOf(10, from); nl !== -1; nl = data.indexOf(10, from)) {
        const bytes = Buffer.from(data.subarray(from, nl + 1));
        yield {
          bytes,
          text: bytes.toString('utf8', 0, bytes.length - 1),
          start: carryAt + from,
          end: carryAt + nl + 1,
        };
        from = nl + 1;
      }
      carryAt += from;
      carry = Buffer.from(data.subarray(from));
    }
    if (carry.length > 0) {
      yield { bytes: carry, text: carry.toString('utf8'), start: carryAt, end: carryAt + carry.length };
    }
  } finally {
    await handle.close();
  }
}

export async function syncDir(dir: string): Promise<void> {
  // Makes the rename itself durable; not possible on every platform (Windows), where it is skipped.
  try {
    const handle = await open(dir, 'r');
    try {
      await handle.sync();
    } finally {
      await handle.close();
    }
  } catch {
    // best effort
  }
}
