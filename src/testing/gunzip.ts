/**
 * gunzip for the test helpers, in whatever runtime the test runs: DecompressionStream (browsers,
 * Node 18+, happy-dom tests, which keep Node's globals), else node:zlib.
 */

import type * as NodeZlib from 'node:zlib';

/** True when `bytes` start with the gzip magic number (RFC 1952): 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  if (typeof DecompressionStream !== 'undefined') {
    // Written and read by hand rather than through Blob or Response, whose DOM-emulation versions
    // (happy-dom, jsdom) may lack streams.
    const stream = new DecompressionStream('gzip');
    const writer = stream.writable.getWriter();
    const written = writer.write(bytes as Uint8Array<ArrayBuffer>).then(() => writer.close());
    // Corrupt input fails the read below too; that is the error the caller gets.
    written.catch(() => {});
    const chunks: Uint8Array[] = [];
    const reader = stream.readable.getReader();
    for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    await written;
    const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
    let at = 0;
    for (const c of chunks) out.set(c, (at += c.length) - c.length);
    return out;
  }
  // A variable specifier, so a bundler building a browser test does not try to resolve node:zlib.
  const zlib = 'node:zlib';
  const { gunzipSync } = (await import(/* @vite-ignore */ zlib)) as typeof NodeZlib;
  return new Uint8Array(gunzipSync(bytes));
}
