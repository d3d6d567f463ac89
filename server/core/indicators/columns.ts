/**
 * Indicator columns shared between backtests over the same candles (the combinations of a sweep): an indicator's
 * value at every bar of one input, computed once and read by index instead of being updated bar by bar in every
 * run. A column comes from the indicator's batch function (e.g. `sma(values, period)`), which runs the streaming
 * class over the input from its first value, so column[i] is bit for bit what the streaming indicator gives at
 * bar i — NaN while it warms up, like `step()`.
 *
 * Bounded by bytes, least recently used first out. A cache too small to hold `minColumns` columns of an input's
 * length declines (`get` returns null) so callers stream instead of recomputing columns over and over.
 */
export class IndicatorColumns {
  private readonly entries: Array<{ input: Float64Array; key: string; column: Float64Array; used: number }> = [];
  private bytes = 0;
  private clock = 0;

  constructor(
    readonly maxBytes = 192 * 1024 * 1024,
    readonly minColumns = 8,
  ) {}

  /**
   * The column named `key` over `input` (the same array object), computed by `compute(input)` on first use;
   * null when columns of this length do not fit the budget.
   */
  get(input: Float64Array, key: string, compute: (input: Float64Array) => Float64Array): Float64Array | null {
    const size = input.length * Float64Array.BYTES_PER_ELEMENT;
    if (size * this.minColumns > this.maxBytes) return null;
    this.clock++;
    for (const entry of this.entries) {
      if (entry.input === input && entry.key === key) {
        entry.used = this.clock;
        return entry.column;
      }
    }
    const column = compute(input);
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

  private evictOldest(): void {
    let oldest = 0;
    for (let k = 1; k < this.entries.length; k++) if (this.entries[k]!.used < this.entries[oldest]!.used) oldest = k;
    const [removed] = this.entries.splice(oldest, 1);
    this.bytes -= removed!.column.length * Float64Array.BYTES_PER_ELEMENT;
  }
}
