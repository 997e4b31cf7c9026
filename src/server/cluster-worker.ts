/**
 * A worker process of `serve --workers n` (cluster.ts): the ingest handler over a store that sends
 * its lines to the primary, a rate limiter that asks the primary's buckets, and the dashboard, whose
 * API answers come from the primary's index.
 */
import { createServer } from 'node:http';
import { dashboardHandler } from './dashboard/handler.js';
import type { AnswerView } from './dashboard/views.js';
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
  type ViewedMessage,
  type ViewMessage,
} from './cluster-ipc.js';
import { CLOSE_GRACE_MS } from './server.js';

/** Serves until the primary says stop, then answers what it has and disconnects. */
export async function runWorker(options: ServerOptions): Promise<void> {
  const store = remoteStore(options.dataDir, options.forwardOtlp !== undefined);
  const ingest = createIngestHandler(options, store, remoteLimiter());
  const dashboard = dashboardHandler(options, remoteViews());
  const server = createServer(
    httpServerOptions(options),
    (req, res) => void (dashboard(req, res) || ingest(req, res)),
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
    // As in one process (server.ts): a live dashboard polling faster than the keep-alive timeout
    // never leaves its connection idle (nor does a request that never ends), so after a grace
    // period every connection is closed, or the primary would wait for this worker for ever.
    const force = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
    server.close(() => {
      clearTimeout(force);
      resolve();
    });
    server.closeIdleConnections();
  });
  await store.idle();
  process.disconnect();
}

/**
 * One IPC round trip per call: `ask(id)` is sent to the primary, whose reply of type `reply` carries
 * the same id; `answer` takes what the caller gets from it.
 */
function roundTrips<R extends { t: string; id: number }, A>(
  reply: R['t'],
  answer: (message: R) => A,
): (ask: (id: number) => object) => Promise<A> {
  let next = 0;
  const pending = new Map<number, (answer: A) => void>();
  process.on('message', (message: R) => {
    if (message.t !== reply) return;
    pending.get(message.id)?.(answer(message));
    pending.delete(message.id);
  });
  return (ask) =>
    new Promise<A>((resolve) => {
      const id = next++;
      pending.set(id, resolve);
      process.send!(ask(id));
    });
}

/** Rate-limit tokens from the primary's buckets: one IPC round trip per request. */
function remoteLimiter(): TakeToken {
  const call = roundTrips('took', (m: TookMessage) => m.waitMs);
  return (key) => call((id) => ({ t: 'take', id, key }) satisfies TakeMessage);
}

/**
 * Dashboard API answers from the primary's index: one IPC round trip per request. Memory is one
 * callback per API request in flight, each with its connection open, and the answer text, which is
 * the bytes one process would have written.
 */
function remoteViews(): AnswerView {
  const call = roundTrips('viewed', (m: ViewedMessage) => m.answer);
  return (view, search) => call((id) => ({ t: 'view', id, view, search }) satisfies ViewMessage);
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
