/**
 * gzip with the platform's CompressionStream (Chrome 80, Firefox 113, Safari 16.4), or null where it
 * is missing or fails: the caller then sends the text as it is. Async only, so it is used for drains,
 * never while the page is leaving (it may be frozen mid-compression).
 */
export async function gzip(text: string): Promise<Uint8Array | null> {
  try {
    if (typeof CompressionStream === 'undefined') return null;
    // Response does the plumbing: encodes the text as UTF-8, and reads the compressed stream whole.
    const zipped = new Response(text).body!.pipeThrough(new CompressionStream('gzip'));
    return new Uint8Array(await new Response(zipped).arrayBuffer());
  } catch {
    return null;
  }
}
