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
    if (at.length === 0) continue;
    // Per item: the head, the item without its `{` (end - start - 1 bytes) and a newline.
    let size = 0;
    for (let k = 0; k < at.length; k += 2) size += head.length + at[k + 1]! - at[k]!;
    const out = Buffer.allocUnsafe(size);
    let o = 0;
    for (let k = 0; k < at.length; k += 2) {
      o += head.copy(out, o);
      o += bytes.copy(out, o, at[k]! + 1, at[k + 1]);
      out[o++] = NEWLINE;
    }
    texts[kind] = { text: out, count: at.length / 2 };
  }
  return withDrops(texts, envelope, stamp);
}
