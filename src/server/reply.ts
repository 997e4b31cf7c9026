/**
 * Answers with a JSON body. A refusal made before the request body was read in full (401 from
 * the header, 413 from Content-Length or part-way, 415, 429) uses a lingering close: the answer
 * is written at once, then the rest of the body is read and thrown away, up to a bound in bytes
 * and in time, before the connection is closed. Closing with unread data arriving makes the
 * kernel send a reset, and a client that is still writing then sees ECONNRESET/EPIPE instead of
 * the answer, and retries the batch for ever.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CorsHeaders } from './cors.js';

export interface Lingering {
  /** Most bytes read and discarded after an early answer. */
  maxBytes: number;
  /** Longest time spent reading them. */
  maxMs: number;
}

export type Reply = (
  res: ServerResponse,
  status: number,
  body: object,
  headers?: Record<string, string>,
) => void;

export function createReply(cors: CorsHeaders, lingering: Lingering): Reply {
  // Flat [name, value, …] lists: writeHead then copies no object and walks no keys. The CORS
  // headers are one of a few objects (cors.ts), each flattened once.
  const flat = new WeakMap<object, string[]>();
  const fixed = ['Content-Type', 'application/json; charset=utf-8', 'Cache-Control', 'no-store'];
  return (res, status, body, headers) => {
    if (res.headersSent) return;
    const json = JSON.stringify(body);
    const early = !res.req.complete;
    const corsHeaders = cors(res.req.headers.origin);
    let corsList = flat.get(corsHeaders);
    if (!corsList) flat.set(corsHeaders, (corsList = Object.entries(corsHeaders).flat()));
    const list = [...corsList, ...fixed, 'Content-Length', String(Buffer.byteLength(json))];
    // The connection will not carry another request: the rest of this body is discarded.
    if (early) list.push('Connection', 'close');
    if (headers) for (const name in headers) list.push(name, headers[name]!);
    res.writeHead(status, list);
    if (!early) {
      res.end(json);
      return;
    }
    // write, not end: Node closes the socket as soon as an answer with Connection: close ends.
    res.write(json);
    discardRest(res.req, lingering, () => res.end());
  };
}

/** Reads and drops what is left of the body, then calls `done` (once) at its end or a bound. */
function discardRest(req: IncomingMessage, { maxBytes, maxMs }: Lingering, done: () => void): void {
  let read = 0;
  let finished = false;
  const finish = (): void => {
    if (finished) return;
    finished = true;
    clearTimeout(timer);
    req.off('data', onData).off('end', finish).off('error', finish).off('close', finish);
    done();
  };
  const onData = (chunk: Buffer): void => {
    read += chunk.length;
    if (read > maxBytes) finish();
  };
  const timer = setTimeout(finish, maxMs);
  timer.unref();
  req.on('data', onData).on('end', finish).on('error', finish).on('close', finish);
  req.resume();
}
