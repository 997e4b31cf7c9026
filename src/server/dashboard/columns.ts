/**
 * Compact in-memory columns for the dashboard index: typed arrays that grow by doubling, and string
 * interning. A million stored lines take tens of MB this way, against a GB or more as parsed objects.
 */

type NumberArray = Float64Array | Int32Array;

/** A growable typed array. */
export class Column<A extends NumberArray> {
  data: A;
  length = 0;
  constructor(private readonly make: (size: number) => A) {
    this.data = make(1024);
  }
  push(value: number): void {
    if (this.length === this.data.length) {
      const bigger = this.make(this.data.length * 2);
      bigger.set(this.data);
      this.data = bigger;
    }
    this.data[this.length++] = value;
  }
  /** Sets a slot, growing (filled with `fill`) when it is past the end. */
  set(index: number, value: number, fill = -1): void {
    while (this.length <= index) this.push(fill);
    this.data[index] = value;
  }
}

export const f64 = (): Column<Float64Array> => new Column((n) => new Float64Array(n));
export const i32 = (): Column<Int32Array> => new Column((n) => new Int32Array(n));

/** Strings to dense ids; the same string always gets the same id. */
export class Interner {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [];
  // Lines of one batch are adjacent and share session and version: most lookups repeat the last one.
  private last: string | undefined;
  private lastId = -1;
  id(value: string): number {
    if (value === this.last) return this.lastId;
    let id = this.ids.get(value);
    if (id === undefined) {
      id = this.values.length;
      this.ids.set(value, id);
      this.values.push(value);
    }
    this.last = value;
    this.lastId = id;
    return id;
  }
  /** The id of a string already seen, or -1. */
  find(value: string): number {
    return this.ids.get(value) ?? -1;
  }
  get size(): number {
    return this.values.length;
  }
}
