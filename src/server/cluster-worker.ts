/**
 * A worker process of `serve --workers n` (cluster.ts): the ingest handler over a store that sends
 * its lines to the primary, and a rate limiter that asks the primary's buckets.
 */
import { createServer } from 'node:http';
import { createIngestHandler } from './ingest.js';
import { batchTexts, type BatchTexts } from './lines.js';
import { httpServerOptions, type ServerOptions } from './options.js';
import { listDays, readKind } from './read-store.js';
import type { TakeToken } from './rate-limit.js';
import type { AppendResult, Store } from './store.js';
import type { ValidBody } from './validate.js';
import {
  perTurn,
  type Append,
  type AppendMessage,
  type ResultMessage,
  type TakeMessage,
  type TookMessage,
} from './cluster-ipc.js';

/** Serves until the primary says stop, then answers what it has and disconnects. */
export async function runWorker(options: ServerOptions): Promise<void> {
  const store = remoteStore(options.dataDir, options.forwardOtlp !== undefined);
  const server = createServer(
    httpServerOptions(options),
    createIngestHandler(options, store, remoteLimiter()),
  );
  await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
  // Ctrl-C reaches the whole process group; the primary decides when workers stop.
  process.on('SIGINT', () => undefined).on('SIGTERM', () => undefined);
  await new Promise<void>((resolve) => {
    process.on('message', (message: { t?: string }) => {
      if (message.t === 'stop') resolve();
    });
    // The primary is gone (killed): nothing can be stored any more.
    process.once('disconnect', () => process.exit(1));
  });
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeIdleConnections();
  });
  await store.idle();
  process.disconnect();
}

/** Rate-limit tokens from the primary's buckets: one IPC round trip per request. */
function remoteLimiter(): TakeToken {
  let next = 0;
  const pending = new Map<number, (waitMs: number) => void>();
  process.on('message', (message: TookMessage) => {
    if (message.t !== 'took') return;
    pending.get(message.id)?.(message.waitMs);
    pending.delete(message.id);
  });
  return (key) =>
    new Promise<number>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      const message: TakeMessage = { t: 'take', id, key };
      process.send!(message);
    });
}

/** A store whose appends the primary makes; `forward`: batches travel with their lines. */
function remoteStore(dataDir: string, forward: boolean): Store {
  let next = 0;
  const pending = new Map<number, { resolve: (r: AppendResult) => void; reject: (e: Error) => void }>();
  process.on('message', (message: ResultMessage) => {
    if (message.t !== 'results') return;
    for (const { id, result, error } of message.list) {
      const waiting = pending.get(id);
      pending.delete(id);
      if (result) waiting?.resolve(result);
      else waiting?.reject(new Error(error ?? 'store failed'));
    }
  });
  const send = perTurn<Append>((list) => process.send!({ t: 'appends', list } satisfies AppendMessage));
  const appendTexts = (
    batchId: string,
    receivedAt: number,
    texts: BatchTexts,
    body?: ValidBody,
  ): Promise<AppendResult> =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      send(body ? { id, batchId, receivedAt, texts, body } : { id, batchId, receivedAt, texts });
    });
  const idle = async (): Promise<void> => {
    while (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  return {
    dataDir,
    append: (body, receivedAt, raw) =>
      appendTexts(body.batchId, receivedAt, batchTexts(body, receivedAt, raw), forward ? body : undefined),
    appendTexts: (batchId, receivedAt, texts) => appendTexts(batchId, receivedAt, texts),
    readKind: (kind, options) => readKind(dataDir, kind, options),
    listDays: (kind) => listDays(dataDir, kind),
    // Only the primary writes, so only it rewrites files (admin.ts runs there).
    exclusive: () => Promise.reject(new Error('a worker does not rewrite the store')),
    idle,
    close: idle,
  };
}
