/**
 * A solution mapping (SPARQL 1.1 §18.1.8): variables to values, where a value is a store id
 * (number) or a term key (string) for terms the store does not hold. Stored as an array indexed
 * by a per-query variable table, so copying, merging and compatibility checks are array loops
 * rather than hash-map copies (the evaluator makes one of these per intermediate row).
 */
export type Value = number | string;

/** Names to array slots, shared by every solution of one evaluation. */
export class VariableTable {
  private readonly slots = new Map<string, number>();
  readonly names: string[] = [];

  slot(name: string): number {
    let slot = this.slots.get(name);
    if (slot === undefined) {
      slot = this.names.length;
      this.names.push(name);
      this.slots.set(name, slot);
    }
    return slot;
  }

  find(name: string): number | undefined {
    return this.slots.get(name);
  }
}

export class Solution {
  constructor(
    readonly table: VariableTable,
    /** Indexed by slot; undefined: unbound. */
    readonly values: Array<Value | undefined> = [],
  ) {}

  get(name: string): Value | undefined {
    const slot = this.table.find(name);
    return slot === undefined ? undefined : this.values[slot];
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /** Binds in place: only on a solution this code just made (clone first). */
  set(name: string, value: Value): this {
    this.values[this.table.slot(name)] = value;
    return this;
  }

  clone(): Solution {
    return new Solution(this.table, this.values.slice());
  }

  get size(): number {
    let count = 0;
    for (const value of this.values) if (value !== undefined) count++;
    return count;
  }

  *keys(): Generator<string> {
    for (let slot = 0; slot < this.values.length; slot++) if (this.values[slot] !== undefined) yield this.table.names[slot];
  }

  *[Symbol.iterator](): Generator<[string, Value]> {
    for (let slot = 0; slot < this.values.length; slot++) {
      const value = this.values[slot];
      if (value !== undefined) yield [this.table.names[slot], value];
    }
  }
}
