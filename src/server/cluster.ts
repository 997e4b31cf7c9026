/**
 * `--workers <n>` above 1: one primary process and n workers sharing the listening socket. Workers
 * do what costs CPU per request (HTTP, parsing, validation, the lines); the primary alone holds
 * the dedupe index and writes, so dedupe stays exact across workers and a batch is acknowledged
 * only after the primary's write returned. Lines travel to it over the cluster IPC channel; so do
 * rate-limit tokens, whose buckets the primary holds, so the limit is the whole server's.
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { startAdmin } from './admin.js';
import { createIngestHandler } from './ingest.js';
import { batchTexts, type BatchTexts } from './lines.js';
import { httpServerOptions, type ServerOptions } from './options.js';
import { listDays, readKind } from './read-store.js';
import { startRetention } from './retention.js';
import type { RunningServer } from './server.js';
import { createRateLimiter, type TakeToken } from './rate-limit.js';
import { openStore, type AppendResult, type Store } from './store.js';

interface Append {
  id: number;
  batchId: string;
  receivedAt: number;
  texts: BatchTexts;
}
interface Result {
  id: number;
  result?: AppendResult;
  error?: string;
}
// One message per loop turn each way, with every append (or result) of that turn: a message per
// request cost more CPU than the worker saved the primary.
interface AppendMessage {
  t: 'appends';
  list: Append[];
}
interface ResultMessage {
  t: 'results';
  list: Result[];
}
/** A worker asks the primary for a rate-limit token; the answer is `waitMs` as RateLimiter.take's. */
interface TakeMessage {
  t: 'take';
  id: number;
  key: string;
}
interface TookMessage {
  t: 'took';
  id: number;
  waitMs: number;
}

export const isWorker = cluster.isWorker;

/** The primary: store, retention, and `options.workers` workers it restarts if one dies. */
export async function startCluster(options: ServerOptions): Promise<RunningServer> {
  const admin = await startAdmin(options.dataDir, options.onError);
  const store = await openStore(options.dataDir);
  admin.serve({ store });
  const retention = startRetention(options);
  await retention.firstSweep;
  cluster.setupPrimary({ serialization: 'advanced' });
  // One set of buckets for the whole server. Each worker counting on its own let a client through at
  // n times the limit, and limit/n per worker would not do either: a keep-alive connection stays on
  // one worker, so a client using one connection would get only 1/n of its budget.
  const limiter = options.rateLimit === 'off' ? undefined : createRateLimiter(options.rateLimit, options.now);
  let closing = false;
  const workers = new Set<Worker>();
  let port = 0;

  function fork(): Worker {
    const worker = cluster.fork();
    workers.add(worker);
    const answer = perTurn<Result>((list) => {
      if (worker.isConnected()) worker.send({ t: 'results', list } satisfies ResultMessage);
    });
    worker.on('message', (message: AppendMessage | TakeMessage) => {
      if (message.t === 'take') {
        const reply: TookMessage = { t: 'took', id: message.id, waitMs: limiter?.take(message.key) ?? 0 };
        if (worker.isConnected()) worker.send(reply);
        return;
      }
      if (message.t !== 'appends') return;
      for (const { id, batchId, receivedAt, texts } of message.list) {
        store.appendTexts(batchId, receivedAt, texts).then(
          (result) => answer({ id, result }),
          (error: unknown) => {
            options.onError(error);
            answer({ id, error: String(error) });
          },
        );
      }
    });
    worker.on('exit', () => {
      workers.delete(worker);
      if (!closing) fork();
    });
    return worker;
  }

  await Promise.all(
    Array.from({ length: options.workers }, () => {
      const worker = fork();
      return new Promise<void>((resolve, reject) => {
        worker.once('listening', (address: AddressInfo) => {
          port = address.port;
          resolve();
        });
        worker.once('exit', () => reject(new Error('a worker exited before listening')));
      });
    }),
  );

  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  let closed: Promise<void> | undefined;
  return {
    url: `http://${host}:${port}`,
    port,
    store,
    close() {
      closed ??= (async () => {
        closing = true;
        retention.stop();
        // Each worker stops accepting, answers what it has (the primary still writes), then exits.
        await Promise.all(
          [...workers].map(
            (worker) =>
              new Promise<void>((resolve) => {
                worker.once('exit', () => resolve());
                worker.send({ t: 'stop' });
              }),
          ),
        );
        await Promise.all([store.close(), admin.close()]);
      })();
      return closed;
    },
  };
}

/** A worker: the ingest handler over a store that sends lines to the primary. */
export async function runWorker(options: ServerOptions): Promise<void> {
  const store = remoteStore(options.dataDir);
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

function remoteStore(dataDir: string): Store {
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
  const appendTexts = (batchId: string, receivedAt: number, texts: BatchTexts): Promise<AppendResult> =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      send({ id, batchId, receivedAt, texts });
    });
  const idle = async (): Promise<void> => {
    while (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
  };
  return {
    dataDir,
    append: (body, receivedAt, raw) =>
      appendTexts(body.batchId, receivedAt, batchTexts(body, receivedAt, raw)),
    appendTexts,
    readKind: (kind, options) => readKind(dataDir, kind, options),
    listDays: (kind) => listDays(dataDir, kind),
    // Only the primary writes, so only it rewrites files (admin.ts runs there).
    exclusive: () => Promise.reject(new Error('a worker does not rewrite the store')),
    idle,
    close: idle,
  };
}

/** Collects what is pushed during one turn of the event loop and hands it over as one list. */
function perTurn<T>(flush: (list: T[]) => void): (item: T) => void {
  let list: T[] = [];
  return (item) => {
    if (list.length === 0) {
      setImmediate(() => {
        const full = list;
        list = [];
        flush(full);
      });
    }
    list.push(item);
  };
}
