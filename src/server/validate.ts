/**
 * Shape check of a native body (DESIGN.md section 3). Only what the store and the dashboard rely on
 * is required; every other field of an item is kept as sent. The first problem found is reported
 * with its path (`logs[3].level ...`) so a client developer can fix the sender from the 400 alone.
 */
import { checkDropped } from './dropped.js';
import type { Kind, LogLevel, LogRecord, MetricRecord, SpanRecord } from '../telemetry/records.js';

/** Most items one batch may carry; the client's batches are far smaller (batchSize 10 by default). */
export const MAX_ITEMS = 10_000;

const LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
const BATCH_ID = /^[A-Za-z0-9_-]{1,128}$/;
/** The client's daily-rotating anonymous user id: stored on every line, and what `delete --anonymous-id` finds. */
export const ANONYMOUS_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const ANONYMOUS_ID_RULE = 'must be 1 to 64 characters of A-Z a-z 0-9 _ -';

type Item = Record<string, unknown>;
export type LogItem = Pick<LogRecord, 'level' | 'message'> & Item;
export type MetricItem = Pick<MetricRecord, 'name' | 'value'> & Item;
export type TraceItem = Pick<SpanRecord, 'traceId' | 'spanId' | 'name' | 'duration'> & Item;

/** A body that passed validation; absent item arrays are empty, and nothing else (no `token`) is kept. */
export interface ValidBody {
  batchId: string;
  session?: { id?: string };
  /** The envelope's `anonymousId` (absent or null in the body: undefined). */
  anonymousId?: string;
  resource?: Item;
  logs: LogItem[];
  traces: TraceItem[];
  metrics: MetricItem[];
  /** What the client dropped since its previous batch, by reason (only counts above zero). */
  dropped?: Record<string, number>;
  /** The envelope's `sentAt`, kept when there is a drop report (its points' timestamp). */
  sentAt?: string;
}

export type Validation = { ok: true; body: ValidBody } | { ok: false; reason: string };

export function validateBody(input: unknown): Validation {
  try {
    return { ok: true, body: check(input) };
  } catch (error) {
    if (error instanceof ShapeError) return { ok: false, reason: error.message };
    throw error;
  }
}

class ShapeError extends Error {}

function check(input: unknown): ValidBody {
  if (!isObject(input)) throw new ShapeError('body must be a JSON object');
  const { batchId, session, resource } = input;
  if (typeof batchId !== 'string') throw new ShapeError('batchId must be a string');
  if (!BATCH_ID.test(batchId)) throw new ShapeError('batchId must be 1 to 128 characters of A-Z a-z 0-9 _ -');

  const logs = list(input, 'logs');
  const traces = list(input, 'traces');
  const metrics = list(input, 'metrics');
  // Counted before any item is checked, so an oversized batch costs no per-item work.
  const count = logs.length + traces.length + metrics.length;
  if (count > MAX_ITEMS) throw new ShapeError(`batch has ${count} items, at most ${MAX_ITEMS} are allowed`);

  const body: ValidBody = {
    batchId,
    logs: logs.map(each('logs', checkLog)),
    traces: traces.map(each('traces', checkTrace)),
    metrics: metrics.map(each('metrics', checkMetric)),
  };
  const dropped = checkDropped(input.dropped);
  if (typeof dropped === 'string') throw new ShapeError(dropped);
  if (dropped) {
    body.dropped = dropped;
    // Kept for the drop points' timestamp: when the client sent what it had lost.
    if (typeof input.sentAt === 'string') body.sentAt = input.sentAt;
  }
  if (session !== undefined) {
    if (!isObject(session)) throw new ShapeError('session must be an object');
    if (session.id !== undefined && typeof session.id !== 'string') {
      throw new ShapeError('session.id must be a string');
    }
    body.session = session.id === undefined ? {} : { id: session.id };
  }
  const { anonymousId } = input;
  if (anonymousId !== undefined && anonymousId !== null) {
    if (typeof anonymousId !== 'string' || !ANONYMOUS_ID.test(anonymousId)) {
      throw new ShapeError(`anonymousId ${ANONYMOUS_ID_RULE}`);
    }
    body.anonymousId = anonymousId;
  }
  if (resource !== undefined) {
    if (!isObject(resource)) throw new ShapeError('resource must be an object');
    body.resource = resource;
  }
  return body;
}

function list(input: Item, kind: Kind): unknown[] {
  const value = input[kind];
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw new ShapeError(`${kind} must be an array`);
  return value;
}

function each<T>(kind: Kind, checkItem: (item: Item, at: string) => T): (item: unknown, i: number) => T {
  return (item, i) => {
    const at = `${kind}[${i}]`;
    if (!isObject(item)) throw new ShapeError(`${at} must be an object`);
    return checkItem(item, at);
  };
}

function checkLog(item: Item, at: string): LogItem {
  const { level, message } = item;
  if (typeof message !== 'string') throw new ShapeError(`${at}.message must be a string`);
  if (!LEVELS.includes(level as LogLevel))
    throw new ShapeError(`${at}.level must be one of ${LEVELS.join(', ')}`);
  // The parsed object itself: copying every item of every batch only fed the garbage collector.
  return item as LogItem;
}

function checkMetric(item: Item, at: string): MetricItem {
  const { name, value } = item;
  if (typeof name !== 'string') throw new ShapeError(`${at}.name must be a string`);
  // JSON has no NaN, but `1e999` parses to Infinity.
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new ShapeError(`${at}.value must be a finite number`);
  }
  return item as MetricItem;
}

function checkTrace(item: Item, at: string): TraceItem {
  const { traceId, spanId, name, duration } = item;
  if (typeof traceId !== 'string') throw new ShapeError(`${at}.traceId must be a string`);
  if (typeof spanId !== 'string') throw new ShapeError(`${at}.spanId must be a string`);
  if (typeof name !== 'string') throw new ShapeError(`${at}.name must be a string`);
  if (typeof duration !== 'number' || !Number.isFinite(duration)) {
    throw new ShapeError(`${at}.duration must be a finite number`);
  }
  return item as TraceItem;
}

function isObject(value: unknown): value is Item {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
