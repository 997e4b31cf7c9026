/**
 * The lines of a body that took the fast path (scan-body.ts), built from its bytes: each line is
 * our fields, a comma and the item's own bytes after its `{`, so nothing is decoded, concatenated
 * as strings or encoded again. The bytes are the very ones lines.ts writes for the same body.
 */
import { KINDS } from '../telemetry/records.js';
import { batchStamp, lineHead, withDrops, type BatchTexts } from './lines.js';
import type { ScannedBody } from './scan-body.js';

const NEWLINE = 0x0a;

export function scannedTexts({ bytes, envelope, spans }: ScannedBody, receivedAt: number): BatchTexts {
  const stamp = batchStamp(envelope, receivedAt);
  const head = Buffer.from(`${lineHead(stamp)},`, 'utf8');
  const texts: BatchTexts = {};
  for (const kind of KINDS) {
    const at = spans[kind];
    if (at.length > 0) texts[kind] = { text: lines(bytes, at, head), count: at.length / 2 };
  }
  return withDrops(texts, envelope, stamp);
}

/** Per item `[start, end)` in `at`: the head, the item without its `{`, and a newline. */
function lines(bytes: Buffer, at: number[], head: Buffer): Buffer {
  const h = head.length;
  let size = 0;
  let wideGap = false;
  for (let k = 0; k < at.length; k += 2) {
    size += h + at[k + 1]! - at[k]!;
    if (k > 0 && at[k]! - at[k - 1]! > h) wideGap = true;
  }
  const out = Buffer.allocUnsafe(size);
  if (wideGap) {
    // Items far apart (much space between them): copied one by one.
    let o = 0;
    for (let k = 0; k < at.length; k += 2) {
      o += head.copy(out, o);
      o += bytes.copy(out, o, at[k]! + 1, at[k + 1]);
      out[o++] = NEWLINE;
    }
    return out;
  }
  // The items' bytes are copied once to the end of `out`, then each is moved down into place and
  // the head copied in front of it, all within `out` (copyWithin: no view made per copy, which
  // cost more than the bytes). Moving item k never overwrites item k + 1 as long as no gap
  // between items is longer than the head.
  const first = at[0]!;
  const base = size - (at[at.length - 1]! - first);
  bytes.copy(out, base, first, at[at.length - 1]);
  head.copy(out, 0);
  let o = 0;
  for (let k = 0; k < at.length; k += 2) {
    if (k > 0) out.copyWithin(o, 0, h);
    o += h;
    const from = base + at[k]! + 1 - first;
    out.copyWithin(o, from, base + at[k + 1]! - first);
    o += at[k + 1]! - at[k]! - 1;
    out[o++] = NEWLINE;
  }
  return out;
}
