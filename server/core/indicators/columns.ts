/**
 * Indicator columns shared between backtests over the same candles (the combinations of a sweep): an indicator's
 * value at every bar of one input, computed once and read by index instead of being updated bar by bar in every
 * run. A column comes from the indicator's batch function (e.g. `sma(values, period)`), which runs the streaming
 * class over the input from its first value, so column[i] is bit for bit what the streaming indicator gives at
 * bar i — NaN while it warms up, like `step()`.
 *
 * Bounded by bytes, least recently used first out. A cache too small to hold `minColumns` columns of an input's
 * length declines (`get` returns null) so callers stream instead of recomputing columns over and over.
 *
 * With `buffers` (ColumnBuffers), a new column is written into an array another cache gave back (`release`) instead
 * of a fresh one: a sweep thread computes ~100 MB of columns per walk-forward fold, and fresh memory costs a page
 * fault per 4 kB on first write, which is slow in a virtual machine and slower still when two worker processes fault
 * at once (docs/performance.md, "Session 12").
 */
export class IndicatorColumns {
  private readonly entries: Array<{ input: Float64Array; key: string; column: Float64Array; used: number }> = [];
  private bytes = 0;
  private clock = 0;

  constructor(
    readonly maxBytes = 192 * 1024 * 1024,
    readonly minColumns = 8,
    private readonly buffers: ColumnBuffers | null = null,
  ) {}

  /**
   * The column named `key` over `input` (the same array object), computed by `compute(input, out)` on first use;
   * null when columns of this length do not fit the budget. `out` is an array of the input's length to write every
   * value of the column into (a given-back one may hold another column's values); `compute` returns it, or an array
   * of its own.
   */
  get(input: Float64Array, key: string, compute: (input: Float64Array, out: Float64Array) => Float64Array): Float64Array | null {
    const size = input.length * Float64Array.BYTES_PER_ELEMENT;
    if (size * this.minColumns > this.maxBytes) return null;
    this.clock++;
    for (const entry of this.entries) {
      if (entry.input === input && entry.key === key) {
        entry.used = this.clock;
        return entry.column;
      }
    }
    const column = compute(input, this.buffers?.take(input.length) ?? new Float64Array(input.length));
    if (column.length !== input.length) throw new RangeError(`column ${key} has ${column.length} values for an input of ${input.length}`);
    while (this.bytes + size > this.maxBytes && this.entries.length > 0) this.evictOldest();
    this.entries.push({ input, key, column, used: this.clock });
    this.bytes += size;
    return column;
  }

  /** Columns held now. */
  get size(): number {
    return this.entries.length;
  }

  clear(): void {
    this.entries.length = 0;
    this.bytes = 0;
  }

  /**
   * Empties the cache and gives its columns to its ColumnBuffers for other caches' new columns. Only when nothing
   * reads them any more: a sweep thread releases a sweep's columns when it drops the sweep, between runs.
   */
  release(): void {
    if (this.buffers) for (const entry of this.entries) this.buffers.give(entry.column);
    this.clear();
  }

  private evictOldest(): void {
    let oldest = 0;
    for (let k = 1; k < this.entries.length; k++) if (this.entries[k]!.used < this.entries[oldest]!.used) oldest = k;
    const [removed] = this.entries.splice(oldest, 1);
    this.bytes -= removed!.column.length * Float64Array.BYTES_PER_ELEMENT;
  }
}

/**
 * Arrays given back by released IndicatorColumns, kept by length for the next columns of that length, up to
 * `maxBytes` in all (the oldest dropped first).
 */
export class ColumnBuffers {
  private readonly free = new Map<number, Float64Array[]>();
  private bytes = 0;

  constructor(readonly maxBytes = 256 * 1024 * 1024) {}

  /** An array of `length` values given back earlier (its old values still in it), or undefined. */
  take(length: number): Float64Array | undefined {
    const list = this.free.get(length);
    const array = list?.pop();
    if (!array) return undefined;
    if (list!.length === 0) this.free.delete(length);
    this.bytes -= array.byteLength;
    return array;
  }

  give(array: Float64Array): void {
    if (array.byteLength > this.maxBytes) return;
    while (this.bytes + array.byteLength > this.maxBytes) this.dropOne();
    const list = this.free.get(array.length);
    if (list) list.push(array);
    else this.free.set(array.length, [array]);
    this.bytes += array.byteLength;
  }

  /** Bytes held now. */
  get heldBytes(): number {
    return this.bytes;
  }

  private dropOne(): void {
    // Map order is insertion order: the length given back first goes first.
    const [length, list] = this.free.entries().next().value!;
    const dropped = list.shift()!;
    if (list.length === 0) this.free.delete(length);
    this.bytes -= dropped.byteLength;
  }
}
