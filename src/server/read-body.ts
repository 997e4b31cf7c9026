/** Reads a request body as text: content-type and encoding checks, size limit, decompression. */
import type { IncomingMessage } from 'node:http';
import { promisify } from 'node:util';
import { gunzip, inflate } from 'node:zlib';

export type Encoding = 'gzip' | 'deflate' | 'identity';

/** Why a body was refused, as the status and reason the client gets. */
export interface Refusal {
  status: 400 | 413 | 415;
  reason: string;
}

const TYPES = ['application/json', 'text/plain'];
const DECOMPRESS = { gzip: promisify(gunzip), deflate: promisify(inflate) };

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
 * The body's bytes (decompressed), or a refusal. At most `maxBytes` are read from the wire, and the
 * decompressed size has the same cap, so a small gzip bomb is refused as well.
 */
export async function readBody(
  req: IncomingMessage,
  encoding: Encoding,
  maxBytes: number,
): Promise<{ bytes: Buffer } | Refusal> {
  const tooLarge: Refusal = { status: 413, reason: `body exceeds ${maxBytes} bytes` };
  const declared = Number(req.headers['content-length']);
  if (declared > maxBytes) return tooLarge;

  const raw = await readRaw(req, maxBytes);
  if (raw === 'too large') return tooLarge;
  if (raw === 'aborted') return { status: 400, reason: 'request body was cut off' };

  let bytes = raw;
  if (encoding !== 'identity') {
    try {
      bytes = await DECOMPRESS[encoding](raw, { maxOutputLength: maxBytes });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
        return { status: 413, reason: `decompressed body exceeds ${maxBytes} bytes` };
      }
      return { status: 400, reason: `invalid ${encoding} body: ${(error as Error).message}` };
    }
  }
  return { bytes };
}

/** The body as text for JSON.parse. */
export function bodyText(bytes: Buffer): string {
  // A leading byte-order mark is legal in UTF-8 text but not in JSON.
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/** Collects the body, giving up (and reading no further) once it passes `maxBytes`. */
function readRaw(req: IncomingMessage, maxBytes: number): Promise<Buffer | 'too large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: Buffer | 'too large' | 'aborted'): void => {
      req.off('data', onData).off('end', onEnd).off('error', onAbort).off('close', onAbort);
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) {
        req.pause();
        finish('too large');
      } else chunks.push(chunk);
    };
    // One chunk (most bodies on a fast link) needs no copy.
    const onEnd = (): void => finish(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size));
    const onAbort = (): void => finish('aborted');
    req.on('data', onData).on('end', onEnd).on('error', onAbort).on('close', onAbort);
  });
}
