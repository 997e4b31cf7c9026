/**
 * `--workers <n>` above 1: one primary process and n workers sharing the listening socket. Workers
 * do what costs CPU per request (HTTP, parsing, validation, the lines); the primary alone holds
 * the dedupe index and writes, so dedupe stays exact across workers and a batch is acknowledged
 * only after the primary's write returned. Lines travel to it over the cluster IPC channel; so do
 * rate-limit tokens, whose buckets the primary holds, so the limit is the whole server's.
 *
 * `--forward-otlp`: the forwarder and its spool live in the primary too, and a batch is spooled
 * there as soon as the store has taken it as new, before its answer goes back. So a batch is
 * spooled exactly when it is stored: never twice (two workers' copies meet one dedupe), and never
 * missed because a worker died after the write (the resend is then a duplicate, and not spooled).
 * Workers send the parsed batch beside its lines for that, which only forwarding pays for.
 *
 * The dashboard: its index lives here too, following the store as in one process. Workers serve
 * the front-end files and login, check the token, and ask the primary for each API answer (a view
 * name and query string out, a status and JSON text back), so the index is built once, not per worker.
 */
import cluster, { type Worker } from 'node:cluster';
import type { AddressInfo } from 'node:net';
import { startAdmin } from './admin.js';
import {
  perTurn,
  type Append,
  type AppendMessage,
  type Result,
  type ResultMessage,
  type TakeMessage,
  type TookMessage,
  type ViewedMessage,
  type ViewMessage,
} from './cluster-ipc.js';
import { createDashboard } from './dashboard/handler.js';
import { withForwarding } from './forward-otlp.js';
import type { ServerOptions } from './options.js';
import { startRetention } from './retention.js';
import type { RunningServer } from './server.js';
import { createRateLimiter } from './rate-limit.js';
import { openStore, type Store } from './store.js';

export const isWorker = cluster.isWorker;

/** The primary: store, retention, and `options.workers` workers it restarts if one dies. */
export async function startCluster(options: ServerOptions): Promise<RunningServer> {
  const admin = await startAdmin(options.dataDir, options.onError);
  const dashboard = createDashboard(options);
  const store = await openStore(options.dataDir, dashboard.onAppend);
  // The same hook as one process has (server.ts): `onAccepted` spools for the collector.
  const forwarding = await withForwarding(options);
  const appends = storeAppends(store, forwarding.options);
  admin.serve({ store, index: dashboard.index, removeSpooled: forwarding.forwarder?.removeItems });
  const retention = startRetention(options);
  await retention.firstSweep;
  cluster.setupPrimary({ serialization: 'advanced' });
  // One set of buckets for the whole server. Each worker counting on its own let a client through at
  // n times the limit, and limit/n per worker would not do either: a keep-alive connection stays on
  // one worker, so a client using one connection would get only 1/n of its budget.
  const limiter = options.rateLimit === 'off' ? undefined : createRateLimiter(options.rateLimit, options.now);
  let closing = false;
  const workers = new Set<Worker>();
  const listening = new WeakSet<Worker>();
  let port = 0;

  function fork(): Worker {
    const worker = cluster.fork();
    workers.add(worker);
    worker.once('listening', () => listening.add(worker));
    const answer = perTurn<Result>((list) => {
      if (worker.isConnected()) worker.send({ t: 'results', list } satisfies ResultMessage);
    });
    worker.on('message', (message: AppendMessage | TakeMessage | ViewMessage) => {
      if (message.t === 'view') {
        void dashboard
          .answer(message.view, message.search)
          .catch((error: unknown) => {
            options.onError(error);
            return { status: 500, text: JSON.stringify({ error: 'internal error' }) };
          })
          .then((answer) => {
            if (worker.isConnected())
              worker.send({ t: 'viewed', id: message.id, answer } satisfies ViewedMessage);
          });
        return;
      }
      if (message.t === 'take') {
        const reply: TookMessage = { t: 'took', id: message.id, waitMs: limiter?.take(message.key) ?? 0 };
        if (worker.isConnected()) worker.send(reply);
        return;
      }
      if (message.t === 'appends') appends(message.list, answer);
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

  // As in one process: the index is built once the server listens (an API call waits for it).
  dashboard.start();
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
        dashboard.close();
        // Each worker stops accepting, answers what it has (the primary still writes), then exits.
        await Promise.all(
          [...workers].map(
            (worker) =>
              new Promise<void>((resolve) => {
                worker.once('exit', () => resolve());
                // A worker forked to replace one that died may still be starting: a 'stop' sent
                // before it listens for messages is lost, and close() would wait for it for ever.
                const stop = (): void => void worker.send({ t: 'stop' });
                if (listening.has(worker)) stop();
                else worker.once('listening', stop);
              }),
          ),
        );
        await Promise.all([store.close(), admin.close(), forwarding.close()]);
      })();
      return closed;
    },
  };
}

/**
 * What the primary does with the appends of a worker: stores each batch, then answers it. A batch
 * stored for the first time (not a duplicate, as ingest.ts decides in one process) goes to
 * `onAccepted`, the forwarder's spool, before the answer and whether or not the worker is still
 * there to send it.
 */
export function storeAppends(
  store: Store,
  { onAccepted, onError }: Pick<ServerOptions, 'onAccepted' | 'onError'>,
): (list: Append[], answer: (result: Result) => void) => void {
  return (list, answer) => {
    for (const { id, batchId, receivedAt, texts, body } of list) {
      store.appendTexts(batchId, receivedAt, texts).then(
        (result) => {
          if (body && !result.duplicate) onAccepted?.(body);
          answer({ id, result });
        },
        (error: unknown) => {
          onError(error);
          answer({ id, error: String(error) });
        },
      );
    }
  };
}
