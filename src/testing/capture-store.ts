/**
 * What a capture has seen: the raw requests, and the records of the accepted ones, deduplicated as the
 * ingest server does (a batch answered 2xx twice is stored once). Shared by the Playwright capture and
 * the in-memory transport, so both behave the same.
 */
import type { CapturedLog, CapturedMetric, CapturedRequest, CapturedSpan } from './records.js';

/** What `waitFor` can wait for. `exceptions` are the logs that carry an `exception`. */
export type CaptureKind = 'logs' | 'metrics' | 'traces' | 'exceptions' | 'requests';

/** The item type of each kind. */
export interface CaptureItems {
  logs: CapturedLog;
  exceptions: CapturedLog;
  metrics: CapturedMetric;
  traces: CapturedSpan;
  requests: CapturedRequest;
}

export interface WaitForOptions {
  /** Milliseconds before `waitFor` rejects. @default 5000 */
  timeout?: number;
}

/** Read access and waiting: the part of a store the helpers expose. */
export interface CaptureView {
  /** Logs of accepted requests (answered 2xx), once per batch, in arrival order. */
  readonly logs: readonly CapturedLog[];
  readonly metrics: readonly CapturedMetric[];
  readonly traces: readonly CapturedSpan[];
  /** Logs that carry an `exception` (what `telemetry.exception()` and error capture record). */
  readonly exceptions: readonly CapturedLog[];
  /** Every telemetry request, raw and in order: failed ones and resends included. */
  readonly requests: readonly CapturedRequest[];
  /**
   * Resolves with the first item of `kind` (already seen or still to come) for which `predicate`
   * holds; rejects after `timeout` ms with what was seen instead.
   */
  waitFor<K extends CaptureKind>(
    kind: K,
    predicate?: (item: CaptureItems[K]) => boolean,
    options?: WaitForOptions,
  ): Promise<CaptureItems[K]>;
  /** Forgets everything seen so far (batches already seen stay deduplicated). */
  clear(): void;
}

export interface CaptureStore extends CaptureView {
  /** A request arrived (before it is answered). */
  add(request: CapturedRequest): void;
  /** The request was answered with `status`: its records count when that is 2xx. */
  answered(request: CapturedRequest, status: number): void;
}

interface Waiter {
  check(): boolean;
}

const DEFAULT_TIMEOUT = 5_000;

/** One line per item in a timeout message: what a test author needs to see why nothing matched. */
function describe(kind: CaptureKind, item: unknown): string {
  const i = item as Record<string, unknown>;
  if (kind === 'requests')
    return `${String(i.method)} ${String(i.url)} → ${typeof i.status === 'number' ? i.status : 'pending'}`;
  if (kind === 'logs' || kind === 'exceptions') return `${String(i.level)} ${JSON.stringify(i.message)}`;
  return kind === 'metrics' ? `${String(i.name)}=${String(i.value)}` : JSON.stringify(i.name);
}

export function createCaptureStore(): CaptureStore {
  const requests: CapturedRequest[] = [];
  const logs: CapturedLog[] = [];
  const metrics: CapturedMetric[] = [];
  const traces: CapturedSpan[] = [];
  const seen = new Set<string>();
  const waiters = new Set<Waiter>();

  const lists: { [K in CaptureKind]: () => readonly CaptureItems[K][] } = {
    logs: () => logs,
    exceptions: () => logs.filter((l) => l.exception !== undefined),
    metrics: () => metrics,
    traces: () => traces,
    requests: () => requests,
  };
  const items = <K extends CaptureKind>(kind: K): readonly CaptureItems[K][] => lists[kind]();

  const notify = (): void => {
    for (const w of waiters) if (w.check()) waiters.delete(w);
  };

  function timeoutMessage(kind: CaptureKind, ms: number): string {
    const all = items(kind);
    const shown = all.slice(-10).map((item) => `  ${describe(kind, item)}`);
    const statuses = requests.map((r) => r.status ?? 'pending').join(', ');
    const undecoded = requests.filter((r) => r.error).map((r) => r.error);
    return [
      `waitFor('${kind}') timed out after ${ms} ms: ${all.length ? `none of the ${all.length} ${kind} seen matched` : `no ${kind} seen`}.`,
      ...(shown.length ? [`Last ${shown.length}:`, ...shown] : []),
      `${requests.length} telemetry request(s)${statuses ? `, answered: ${statuses}` : ''}.` +
        (kind === 'requests' ? '' : ' Only requests answered 2xx count.'),
      ...(undecoded.length ? [`Not decoded: ${undecoded.join('; ')}`] : []),
      ...(requests.length === 0
        ? ['Nothing was sent: did the app flush (capture.flush()), and does the endpoint matcher fit?']
        : []),
    ].join('\n');
  }

  return {
    get logs() {
      return logs;
    },
    get metrics() {
      return metrics;
    },
    get traces() {
      return traces;
    },
    get exceptions() {
      return items('exceptions');
    },
    get requests() {
      return requests;
    },
    add(request) {
      requests.push(request);
      notify();
    },
    answered(request, status) {
      request.status = status;
      const decoded = request.decoded;
      if (decoded && status >= 200 && status < 300 && !seen.has(decoded.dedupeKey)) {
        seen.add(decoded.dedupeKey);
        logs.push(...decoded.logs);
        metrics.push(...decoded.metrics);
        traces.push(...decoded.traces);
      }
      notify();
    },
    waitFor(kind, predicate = () => true, { timeout = DEFAULT_TIMEOUT } = {}) {
      // Made here, so a timeout's stack points at the test's own call.
      const error = new Error(`waitFor('${kind}') timed out`);
      const find = (): CaptureItems[typeof kind] | undefined =>
        items(kind).find((item) => {
          try {
            return predicate(item);
          } catch {
            // A predicate that throws on an item (a missing field) just does not match it.
            return false;
          }
        });
      const already = find();
      if (already !== undefined) return Promise.resolve(already);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = {
          check() {
            const found = find();
            if (found === undefined) return false;
            clearTimeout(timer);
            resolve(found);
            return true;
          },
        };
        waiters.add(waiter);
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          error.message = timeoutMessage(kind, timeout);
          reject(error);
        }, timeout);
      });
    },
    clear() {
      requests.length = logs.length = metrics.length = traces.length = 0;
    },
  };
}
