/**
 * A multimap from store ids to fixed-width rows of numbers (store ids), built once from rows added
 * in any order: what a hash join's table and a path closure's adjacency are. Held as flat typed
 * arrays (a counting sort of the rows by key), not an object per key or row, so building and
 * probing cost no allocation per row and little garbage collection. The rows of a key are found
 * through a table indexed by the id itself when the ids are dense enough (the usual case: a
 * store's ids count its terms), else through a map.
 */

/** A table indexed by id is used while it has at most this many entries per row, plus a constant. */
const DIRECT_ENTRIES_PER_ROW = 16;
const DIRECT_ENTRIES_BASE = 1 << 20;

export class IdMultimapBuilder {
  private keys: Float64Array<ArrayBuffer>;
  private values: Float64Array<ArrayBuffer>;
  private rows = 0;
  private maxKey = 0;

  /** `expectedRows`: room reserved up front (an estimate; the arrays grow past it). */
  constructor(
    readonly width: number,
    expectedRows = 1024,
  ) {
    const capacity = Math.max(16, Math.min(expectedRows, 1 << 22));
    this.keys = new Float64Array(capacity);
    this.values = new Float64Array(capacity * Math.max(1, width));
  }

  get size(): number {
    return this.rows;
  }

  /** Adds a row under `key`; returns the index in `rowValues` where its `width` values go. */
  add(key: number): number {
    if (this.rows === this.keys.length) {
      this.keys = grown(this.keys);
      this.values = grown(this.values);
    }
    this.keys[this.rows] = key;
    if (key > this.maxKey) this.maxKey = key;
    return this.rows++ * this.width;
  }

  /** Where add() says the values go (read it after add(): adding may move it). */
  get rowValues(): Float64Array {
    return this.values;
  }

  build(): IdMultimap {
    const { keys, values, rows, width } = this;
    let groupOfKey: Map<number, number> | undefined;
    // Groups are the keys themselves when a table of maxKey entries is small next to the rows.
    // Group numbers fit 32 bits: a direct table has fewer entries than that, a map fewer groups than rows.
    const groupOfRow = new Int32Array(rows);
    if (this.maxKey > DIRECT_ENTRIES_PER_ROW * rows + DIRECT_ENTRIES_BASE) {
      groupOfKey = new Map();
      for (let row = 0; row < rows; row++) {
        let group = groupOfKey.get(keys[row]);
        if (group === undefined) groupOfKey.set(keys[row], (group = groupOfKey.size));
        groupOfRow[row] = group;
      }
    } else groupOfRow.set(keys.subarray(0, rows));
    const groups = groupOfKey ? groupOfKey.size : this.maxKey + 1;
    const offsets = new Int32Array(groups + 1);
    for (let row = 0; row < rows; row++) offsets[groupOfRow[row] + 1]++;
    for (let group = 0; group < groups; group++) offsets[group + 1] += offsets[group];
    const fill = offsets.slice(0, groups);
    const sorted = new Float64Array(rows * width);
    for (let row = 0; row < rows; row++) {
      const to = fill[groupOfRow[row]]++ * width;
      for (let i = 0; i < width; i++) sorted[to + i] = values[row * width + i];
    }
    return new IdMultimap(width, groupOfKey, offsets, sorted);
  }
}

export class IdMultimap {
  constructor(
    readonly width: number,
    private readonly groupOfKey: Map<number, number> | undefined,
    /** Rows offsets[g] to offsets[g + 1] (exclusive) are group g's. */
    readonly offsets: Int32Array,
    /** Row r's values are values[r * width] to values[r * width + width - 1]. */
    readonly values: Float64Array,
  ) {}

  /** The group of rows under `key`, or -1 when it has none. */
  group(key: number): number {
    const group = this.groupOfKey ? this.groupOfKey.get(key) : key;
    return group === undefined || group + 1 >= this.offsets.length || group < 0 ? -1 : group;
  }
}

function grown(array: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> {
  const larger = new Float64Array(array.length * 2);
  larger.set(array);
  return larger;
}
