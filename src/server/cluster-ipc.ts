/**
 * The messages between the primary of `serve --workers n` and its workers (cluster.ts,
 * cluster-worker.ts), and the batching that keeps their count down.
 */
import type { ViewAnswer } from './dashboard/views.js';
import type { BatchTexts } from './lines.js';
import type { AppendResult } from './store.js';
import type { ValidBody } from './validate.js';

/** A worker's batch for the primary to store. */
export interface Append {
  id: number;
  batchId: string;
  receivedAt: number;
  texts: BatchTexts;
  /**
   * The batch itself, with `--forward-otlp` only: the primary spools it for the collector once its
   * store has taken it as new, so forwarding is decided where dedupe is (see cluster.ts).
   */
  body?: ValidBody;
}
export interface Result {
  id: number;
  result?: AppendResult;
  error?: string;
}
// One message per loop turn each way, with every append (or result) of that turn: a message per
// request cost more CPU than the worker saved the primary.
export interface AppendMessage {
  t: 'appends';
  list: Append[];
}
export interface ResultMessage {
  t: 'results';
  list: Result[];
}
/** A worker asks the primary for a rate-limit token; the answer is `waitMs` as RateLimiter.take's. */
export interface TakeMessage {
  t: 'take';
  id: number;
  key: string;
}
export interface TookMessage {
  t: 'took';
  id: number;
  waitMs: number;
}

/**
 * A worker asks the primary, which holds the store index, for a dashboard API answer. The worker
 * checked the token first (dashboard/handler.ts), so only the view and query string travel.
 */
export interface ViewMessage {
  t: 'view';
  id: number;
  view: string;
  search: string;
}
export interface ViewedMessage {
  t: 'viewed';
  id: number;
  answer: ViewAnswer;
}

/** Collects what is pushed during one turn of the event loop and hands it over as one list. */
export function perTurn<T>(flush: (list: T[]) => void): (item: T) => void {
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
