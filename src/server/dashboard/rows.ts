/**
 * The columns every indexed row has, whatever its kind: when it happened, when it was received,
 * whose session and app version it came from, and where its line is on disk.
 */
import { f64, i32 } from './columns.js';

export class Rows {
  /** Event time, epoch ms: the item's `timestamp`, else `received_at`. */
  readonly t = f64();
  /** `received_at`, epoch ms. */
  readonly received = f64();
  readonly session = i32();
  readonly version = i32();
  readonly file = i32();
  readonly offset = f64();
  readonly length = i32();

  /** Earliest and latest event time indexed, for "all time" ranges. */
  minT = Infinity;
  maxT = -Infinity;

  get count(): number {
    return this.t.length;
  }

  addCommon(common: Common): number {
    this.t.push(common.t);
    if (common.t < this.minT) this.minT = common.t;
    if (common.t > this.maxT) this.maxT = common.t;
    this.received.push(common.received);
    this.session.push(common.session);
    this.version.push(common.version);
    this.file.push(common.file);
    this.offset.push(common.offset);
    this.length.push(common.length);
    return this.t.length - 1;
  }
}

export interface Common {
  t: number;
  received: number;
  session: number;
  version: number;
  file: number;
  offset: number;
  length: number;
}

/** What a query narrows rows to: a time range and, optionally, one app version and one session. */
export interface RowFilter {
  from: number;
  to: number;
  /** An interned version id; -1 for all. */
  version: number;
  /** An interned session id; -1 for all. */
  session: number;
  /** True when the requested version or session is unknown: nothing can match. */
  none: boolean;
}

/** True when row `i` passes `filter`. Kept tiny: it runs once per row per query. */
export function passes(rows: Rows, i: number, filter: RowFilter): boolean {
  const t = rows.t.data[i]!;
  return (
    t >= filter.from &&
    t <= filter.to &&
    (filter.version === -1 || rows.version.data[i] === filter.version) &&
    (filter.session === -1 || rows.session.data[i] === filter.session)
  );
}
