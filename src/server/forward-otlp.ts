/**
 * `serve --forward-otlp <url>`: every accepted batch is spooled to disk and forwarded to an
 * OpenTelemetry Collector as OTLP/HTTP JSON in the background. A collector that is down or slow
 * costs ingestion nothing (adding to the spool never waits) and loses nothing while the spool has
 * room; entries leave the spool only once the collector acknowledged them (or refused them for good).
 * Several spooled batches go out together, one request per kind, up to `maxItems` items.
 */
import { join } from 'node:path';
import { KINDS, type Kind, type Resource } from '../telemetry/records.js';
import { backoffDelay } from '../telemetry/backoff.js';
import { dropPoints } from './dropped.js';
import { postOnce, type PostOptions } from './http-post.js';
import { targetUrl } from './export-run.js';
import { otlpBodyFromLines, type Line } from './otlp-lines.js';
import { openSpool, type Spool, type SpooledBatch, type SpoolStats } from './forward-spool.js';
import type { ServerOptions } from './options.js';
import type { ValidBody } from './validate.js';

export interface ForwarderOptions {
  /** Collector base URL. */
  url: string;
  /** Spool directory. */
  dir: string;
  /** @default 64 MiB */
  maxBytes?: number;
  /** Items per request. @default 1000 */
  maxItems?: number;
  /** Backoff after a failed send. @default 1000 / 60000 */
  baseMs?: number;
  maxMs?: number;
  post?: PostOptions;
  /** Status changes and drops, one line each (the server passes its error reporter). */
  log: (line: string) => void;
}

export interface ForwarderStats extends SpoolStats {
  forwarded: number;
  /** Items the collector refused for good (4xx other than 408/429). */
  refused: number;
}

export interface Forwarder {
  /** Spools an accepted batch; returns at once. */
  add(body: ValidBody): void;
  /** Removes spooled items (`delete`), after the writes queued before; see forward-spool.ts. */
  removeItems: Spool['removeItems'];
  stats(): ForwarderStats;
  /** Stops sending (an unanswered request is abandoned; its batches stay spooled) and flushes writes. */
  close(): Promise<void>;
}

const FALLBACK: Resource = { app: 'unknown', version: 'unknown' };

export async function startForwarder(options: ForwarderOptions): Promise<Forwarder> {
  const { maxItems = 1000, baseMs = 1000, maxMs = 60_000, log } = options;
  let unlogged = 0;
  let dropTimer: ReturnType<typeof setTimeout> | undefined;
  const logDrops = (): void => {
    if (unlogged > 0)
      log(`forward: spool full, dropped ${unlogged} events (${spool.stats().dropped} in all)`);
    unlogged = 0;
  };
  const spool = await openSpool(options.dir, {
    maxBytes: options.maxBytes ?? 64 * 1024 * 1024,
    // The first drop is logged at once; later ones at most every 10 s, as one line with the count.
    onDrop: (n) => {
      unlogged += n;
      if (dropTimer) return;
      logDrops();
      dropTimer = setTimeout(() => {
        dropTimer = undefined;
        logDrops();
      }, 10_000).unref();
    },
  });
  const counts = { forwarded: 0, refused: 0 };
  const abort = new AbortController();
  let stopped = false;
  let failures = 0;
  let wake = (): void => {};
  // Set when a batch lands, so an idle sleep that starts just after still ends at once.
  let added = false;
  const sleep = (ms: number) =>
    new Promise<void>((resolve) => {
      if (added && failures === 0) return resolve();
      // Unref'd: a forwarder left behind (a server that failed to listen) must not keep Node alive.
      const timer = setTimeout(resolve, ms).unref();
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  spool.onAdded(() => {
    added = true;
    if (failures === 0) wake();
  });

  /** Sends one round; returns the delay before the next (0: more to send now). */
  async function round(): Promise<number> {
    added = false;
    const entries = spool.oldest(maxItems);
    if (!entries.length) return 60_000;
    const batches = await Promise.all(
      entries.map((e) =>
        spool.read(e).catch((error: unknown) => {
          // Only a damaged disk makes a renamed, complete file unreadable; it is removed below.
          log(`forward: cannot read ${e.name} (${String(error)}); ${e.count} events lost`);
          return undefined;
        }),
      ),
    );
    const done = new Set<Kind>();
    let delay = 0;
    for (const kind of KINDS) {
      const lines = batches.flatMap((b) => (b ? spooledLines(b, kind) : []));
      const encoded = lines.length ? otlpBodyFromLines(kind, lines, FALLBACK) : undefined;
      if (!encoded) {
        done.add(kind);
        continue;
      }
      const result = await postOnce(targetUrl('otlp', options.url, kind), encoded.body, {
        ...options.post,
        signal: abort.signal,
      });
      if (result.outcome === 'retry') {
        if (failures++ === 0 && !stopped)
          log(`forward: ${options.url} failing (${result.error}); spooling and retrying`);
        delay = Math.min(maxMs, result.retryAfterMs ?? backoffDelay(failures, baseMs, maxMs));
        break;
      }
      if (result.outcome === 'refused') {
        counts.refused += encoded.count;
        log(`forward: ${options.url} refused ${encoded.count} ${kind}: ${result.error}`);
      } else counts.forwarded += encoded.count;
      done.add(kind);
    }
    if (done.size === KINDS.length) {
      if (failures > 0) log(`forward: ${options.url} accepting again`);
      failures = 0;
      await spool.remove(entries);
      return 0;
    }
    // Keep what is still to send; kinds already delivered must not be sent twice.
    for (const [i, entry] of entries.entries()) {
      const batch = batches[i];
      if (!batch || done.size === 0) continue;
      const rest: SpooledBatch = { ...batch };
      for (const kind of done) rest[kind] = [];
      await spool.rewrite(entry, rest);
    }
    return delay;
  }

  const loop = (async () => {
    while (!stopped) {
      let delay: number;
      try {
        delay = await round();
      } catch (error) {
        log(`forward: ${String(error)}`);
        delay = backoffDelay(++failures, baseMs, maxMs);
      }
      if (delay > 0 && !stopped) await sleep(delay);
    }
  })();

  return {
    add(body) {
      const { resource, session, anonymousId, logs, traces } = body;
      // The drop report goes as the store keeps it, points after the metrics (lines.ts), so it
      // leaves through the same mapping as `export` does (otlp-lines.ts).
      // A report without `sentAt` is stamped now, as the store stamps it with `received_at`.
      const metrics = body.dropped
        ? [...body.metrics, ...dropPoints({ ...body, sentAt: body.sentAt ?? new Date().toISOString() })]
        : body.metrics;
      spool.add({ resource, session: session?.id, anonymousId, logs, traces, metrics });
    },
    removeItems: (drop, dryRun) => spool.removeItems(drop, dryRun),
    stats: () => ({ ...spool.stats(), ...counts }),
    async close() {
      stopped = true;
      abort.abort();
      wake();
      await loop;
      await spool.idle();
      clearTimeout(dropTimer);
      logDrops();
    },
  };
}

/**
 * A spooled batch's items of one kind as the store wrote them (lines.ts): with the batch's resource,
 * session id and anonymous id, unless an item brought its own resource (OTLP in), which then names
 * its subject through its `session.id` / `anonymous.id` attributes (see lineSubject).
 */
export function spooledLines(batch: SpooledBatch, kind: Kind): Line[] {
  // An item's own fields never override the batch's ids (as in lines.ts); its own resource does.
  return (batch[kind] ?? []).map((item) => ({
    resource: batch.resource,
    ...item,
    session_id: batch.session,
    anonymous_id: batch.anonymousId,
  }));
}

/**
 * The server's hook: with `forwardOtlp` set, options whose `onAccepted` also spools every accepted
 * batch (spool in `<dataDir>/.forward-spool`, failures reported through `onError`); otherwise the
 * options as they are.
 */
export async function withForwarding(
  options: ServerOptions,
): Promise<{ options: ServerOptions; forwarder?: Forwarder; close(): Promise<void> }> {
  const { forwardOtlp: url, onAccepted } = options;
  if (!url) return { options, close: () => Promise.resolve() };
  const forwarder = await startForwarder({
    url,
    dir: join(options.dataDir, '.forward-spool'),
    log: options.onError,
  });
  return {
    options: {
      ...options,
      onAccepted: (body) => {
        forwarder.add(body);
        onAccepted?.(body);
      },
    },
    forwarder,
    close: () => forwarder.close(),
  };
}
