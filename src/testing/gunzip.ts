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
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }
  // A variable specifier, so a bundler building a browser test does not try to resolve node:zlib.
  const zlib = 'node:zlib';
  const { gunzipSync } = (await import(/* @vite-ignore */ zlib)) as typeof NodeZlib;
  return new Uint8Array(gunzipSync(bytes));
}
