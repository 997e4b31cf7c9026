/** The per-kind tables of the dashboard index: common row columns plus what each view needs. */
import { f64, i32, Interner } from './columns.js';
import type { ErrorKey } from './error-groups.js';
import { Rows } from './rows.js';

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type Level = (typeof LEVELS)[number];

export class LogTable extends Rows {
  readonly level = i32();
  readonly message = i32();
  /** Error group id, -1 for a log that is not an error. */
  readonly group = i32();
  readonly messages = new Interner();
  readonly groups = new Interner();
  readonly groupKeys: ErrorKey[] = [];
}

export class MetricTable extends Rows {
  readonly name = i32();
  readonly value = f64();
  readonly names = new Interner();
}

export class TraceTable extends Rows {
  readonly name = i32();
  readonly duration = f64();
  readonly trace = i32();
  /** Next row of the same trace (a linked list from `head`), -1 at the end. */
  readonly next = i32();
  /** First row of each interned trace id. */
  readonly head = i32();
  readonly names = new Interner();
  readonly traceIds = new Interner();
}

/** Drops reported by clients, by reason: one row per reason per batch. */
export class DropTable extends Rows {
  readonly reason = i32();
  readonly amount = f64();
  readonly reasons = new Interner();
}
