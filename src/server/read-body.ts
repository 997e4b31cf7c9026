/** Reads a request body as text: content-type and encoding checks, size limit, decompression. */
import type { IncomingMessage } from 'node:http';
import { createGunzip, createInflate } from 'node:zlib';

export type Encoding = 'gzip' | 'deflate' | 'identity';

/** Why a body was refused, as the status and reason the client gets. */
export interface Refusal {
  status: 400 | 413 | 415;
  reason: string;
}

const TYPES = ['application/json', 'text/plain'];
const INFLATERS = { gzip: createGunzip, deflate: createInflate };

/**
 * Checks the headers before any byte of the body is read. `text/plain` is accepted because a send
 * made while the page unloads must be a CORS "simple request": no preflight can finish then.
 */
export function checkHeaders(req: IncomingMessage, otlp = false): { encoding: Encoding } | Refusal {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (otlp && type !== 'application/json') {
    const why = type === 'application/x-protobuf' ? 'OTLP/HTTP protobuf is not supported' : `got "${type}"`;
    return { status: 415, reason: `${why}: send OTLP/HTTP JSON with Content-Type application/json` };
  }
  if (!TYPES.includes(type)) {
    return { status: 415, reason: `Content-Type must be application/json or text/plain, got "${type}"` };
  }
  const encoding = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (encoding === 'gzip' || encoding === 'deflate') return { encoding };
  if (encoding === 'identity' || encoding === 'none' || encoding === '') return { encoding: 'identity' };
  return { status: 415, reason: `Content-Encoding must be gzip, deflate or identity, got "${encoding}"` };
}

/**
 * The body's bytes (inflated), or a refusal. At most `maxBytes` are read from the wire, and a compressed
 * body is inflated as it arrives with a running count of the output: once that passes `maxBytes`
 * the inflater is destroyed and the answer is 413 at once, so a gzip bomb costs neither the rest of
 * its inflation nor the rest of its upload (the lingering close in reply.ts discards that).
 */
export function readBody(
  req: IncomingMessage,
  encoding: Encoding,
  maxBytes: number,
): Promise<{ bytes: Buffer } | Refusal> {
  const tooLarge: Refusal = { status: 413, reason: `body exceeds ${maxBytes} bytes` };
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return Promise.resolve(tooLarge);

  return new Promise((resolve) => {
    const wire: Buffer[] = [];
    let wireSize = 0;
    const inflater = encoding === 'identity' ? undefined : INFLATERS[encoding]();
    const inflated: Buffer[] = [];
    let inflatedSize = 0;
    let done = false;

    const finish = (result: { bytes: Buffer } | Refusal): void => {
      if (done) return;
      done = true;
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
      if (inflater && !inflater.destroyed) inflater.destroy();
      if ('status' in result) req.pause();
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      wireSize += chunk.length;
      if (wireSize > maxBytes) return finish(tooLarge);
      if (inflater) inflater.write(chunk);
      else wire.push(chunk);
    };
    const onEnd = (): void => {
      // The whole body is here: a request's 'close' follows its 'end', and is no abort then.
      req.off('close', onAbort).off('error', onAbort);
      if (inflater) inflater.end();
      // One chunk (most bodies on a fast link) needs no copy.
      else finish({ bytes: wire.length === 1 ? wire[0]! : Buffer.concat(wire, wireSize) });
    };
    const onAbort = (): void => finish({ status: 400, reason: 'request body was cut off' });

    inflater
      ?.on('data', (chunk: Buffer) => {
        if (done) return;
        inflatedSize += chunk.length;
        if (inflatedSize > maxBytes) {
          finish({ status: 413, reason: `decompressed body exceeds ${maxBytes} bytes` });
        } else inflated.push(chunk);
      })
      .on('end', () => finish({ bytes: Buffer.concat(inflated, inflatedSize) }))
      .on('error', (error) => finish({ status: 400, reason: `invalid ${encoding} body: ${error.message}` }));
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort);
  });
}

/** The body as text for JSON.parse. */
export function bodyText(bytes: Buffer): string {
  // A leading byte-order mark is legal in UTF-8 text but not in JSON.
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}
