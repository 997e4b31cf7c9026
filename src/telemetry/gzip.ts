/**
 * gzip with the platform's CompressionStream (Chrome 80, Firefox 113, Safari 16.4), or null where it
 * is missing or fails: the caller then sends the text as it is. Async only, so it is used for drains,
 * never while the page is leaving (it may be frozen mid-compression).
 */
export async function gzip(text: string): Promise<Uint8Array | null> {
  try {
    if (typeof CompressionStream === 'undefined') return null;
    const stream = new CompressionStream('gzip');
    const writer = stream.writable.getWriter();
    void writer.write(new TextEncoder().encode(text)).catch(() => {});
    void writer.close().catch(() => {});
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = stream.readable.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) {
      chunks.push(r.value);
      size += r.value.length;
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const c of chunks) out.set(c, (at += c.length) - c.length);
    return out;
  } catch {
    return null;
  }
}
