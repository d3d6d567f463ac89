import type { BacktestTrade, ExitReason, TradeMarker } from './types';

/**
 * Compact, append-only storage for a backtest's trades and fills: fixed-size rows of doubles in Float64Array
 * chunks (no object per trade or fill, no copying as it grows, at most one partly used chunk). A trade takes
 * 72 bytes (9 doubles) and a fill 40 bytes (5 doubles), against ~230 and ~130 bytes for the equivalent objects
 * with their boxed numbers. Values are stored as the very doubles the engine computed, so reading them back is
 * exact; `at(i)` / `toArray()` build the public `BacktestTrade` / `TradeMarker` objects when a caller wants them.
 */

/** Exit reasons by code; a code is the index in this list. */
export const EXIT_REASONS: readonly ExitReason[] = ['signal', 'stop_loss', 'take_profit', 'trailing_stop', 'end'];
/** Fill reasons by code: entry, add, then the exit reasons (code = 2 + exit reason code). */
export const FILL_REASONS: ReadonlyArray<TradeMarker['reason']> = ['entry', 'add', ...EXIT_REASONS];

export const EXIT_SIGNAL = 0;
export const EXIT_STOP_LOSS = 1;
export const EXIT_TAKE_PROFIT = 2;
export const EXIT_TRAILING_STOP = 3;
export const EXIT_END = 4;
export const FILL_ENTRY = 0;
export const FILL_ADD = 1;
/** fill reason code of a sale with exit reason code c: FILL_EXIT + c */
export const FILL_EXIT = 2;

/** rows per chunk: a trade chunk is 72 KiB, a fill chunk 40 KiB */
const CHUNK_ROWS = 1024;
const CHUNK_SHIFT = 10;
const CHUNK_MASK = CHUNK_ROWS - 1;

/** Rows of `stride` doubles in Float64Array chunks of CHUNK_ROWS rows. */
class Rows {
  length = 0;
  private readonly chunks: Float64Array[] = [];
  /** the chunk the next row goes to */
  protected current = new Float64Array(0);
  /** offset of the next row in `current` */
  private offset = 0;

  constructor(private readonly stride: number) {}

  /** Starts a new row (allocating a chunk when the last one is full) and returns its offset in `current`. */
  protected appendRow(): number {
    if (this.offset === this.current.length) this.newChunk();
    this.length++;
    const at = this.offset;
    this.offset += this.stride;
    return at;
  }

  /** Appends every whole row of `rows` (laid out as rows() gives them), one copy per chunk. */
  protected appendRows(rows: Float64Array): void {
    const values = rows.length - (rows.length % this.stride);
    for (let at = 0; at < values;) {
      if (this.offset === this.current.length) this.newChunk();
      const take = Math.min(this.current.length - this.offset, values - at);
      this.current.set(rows.subarray(at, at + take), this.offset);
      this.offset += take;
      this.length += take / this.stride;
      at += take;
    }
  }

  private newChunk(): void {
    this.current = new Float64Array(CHUNK_ROWS * this.stride);
    this.chunks.push(this.current);
    this.offset = 0;
  }

  /** Value `field` of row i. */
  protected read(i: number, field: number): number {
    if (!(i >= 0 && i < this.length)) throw new RangeError(`row ${i} out of range (length ${this.length})`);
    return this.chunks[i >>> CHUNK_SHIFT]![(i & CHUNK_MASK) * this.stride + field]!;
  }

  /** One field of every row, in order, as a new Float64Array. */
  protected column(field: number): Float64Array {
    const out = new Float64Array(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.chunks[i >>> CHUNK_SHIFT]![(i & CHUNK_MASK) * this.stride + field]!;
    return out;
  }

  /** Every row in order, `stride` doubles each, as one new Float64Array (to hand a log across an isolate boundary). */
  rows(): Float64Array {
    const out = new Float64Array(this.length * this.stride);
    const chunkValues = CHUNK_ROWS * this.stride;
    // One copy per chunk: every chunk is full but the last.
    for (let c = 0, at = 0; at < out.length; c++, at += chunkValues) out.set(this.chunks[c]!.subarray(0, Math.min(chunkValues, out.length - at)), at);
    return out;
  }

  /** Bytes held by the chunks. */
  get byteLength(): number {
    return this.chunks.length * CHUNK_ROWS * this.stride * Float64Array.BYTES_PER_ELEMENT;
  }
}

const T_ENTRY_TIME = 0;
const T_EXIT_TIME = 1;
const T_ENTRY_PRICE = 2;
const T_EXIT_PRICE = 3;
const T_QUANTITY = 4;
const T_FEE = 5;
const T_PNL = 6;
const T_PNL_PCT = 7;
const T_EXIT_REASON = 8;
const TRADE_STRIDE = 9;

/** The round trips of a backtest (docs/backtesting.md rule 9), in order. */
export class TradeLog extends Rows {
  constructor() {
    super(TRADE_STRIDE);
  }

  /** The log `rows()` gave, rebuilt. */
  static fromRows(rows: Float64Array): TradeLog {
    const log = new TradeLog();
    log.appendRows(rows);
    return log;
  }

  push(
    entryTime: number,
    exitTime: number,
    entryPrice: number,
    exitPrice: number,
    quantity: number,
    fee: number,
    pnl: number,
    pnlPct: number,
    exitReason: number,
  ): void {
    const o = this.appendRow();
    const chunk = this.current;
    chunk[o] = entryTime;
    chunk[o + 1] = exitTime;
    chunk[o + 2] = entryPrice;
    chunk[o + 3] = exitPrice;
    chunk[o + 4] = quantity;
    chunk[o + 5] = fee;
    chunk[o + 6] = pnl;
    chunk[o + 7] = pnlPct;
    chunk[o + 8] = exitReason;
  }

  entryTime(i: number): number {
    return this.read(i, T_ENTRY_TIME);
  }
  exitTime(i: number): number {
    return this.read(i, T_EXIT_TIME);
  }
  entryPrice(i: number): number {
    return this.read(i, T_ENTRY_PRICE);
  }
  exitPrice(i: number): number {
    return this.read(i, T_EXIT_PRICE);
  }
  quantity(i: number): number {
    return this.read(i, T_QUANTITY);
  }
  fee(i: number): number {
    return this.read(i, T_FEE);
  }
  pnl(i: number): number {
    return this.read(i, T_PNL);
  }
  pnlPct(i: number): number {
    return this.read(i, T_PNL_PCT);
  }
  exitReason(i: number): ExitReason {
    return EXIT_REASONS[this.read(i, T_EXIT_REASON)]!;
  }

  /** Every trade's values of one field, in order (a new array). */
  columns(): {
    entryTime: Float64Array;
    exitTime: Float64Array;
    entryPrice: Float64Array;
    exitPrice: Float64Array;
    quantity: Float64Array;
    fee: Float64Array;
    pnl: Float64Array;
    pnlPct: Float64Array;
    exitReason: ExitReason[];
  } {
    const exitReason = new Array<ExitReason>(this.length);
    for (let i = 0; i < this.length; i++) exitReason[i] = this.exitReason(i);
    return {
      entryTime: this.column(T_ENTRY_TIME),
      exitTime: this.column(T_EXIT_TIME),
      entryPrice: this.column(T_ENTRY_PRICE),
      exitPrice: this.column(T_EXIT_PRICE),
      quantity: this.column(T_QUANTITY),
      fee: this.column(T_FEE),
      pnl: this.column(T_PNL),
      pnlPct: this.column(T_PNL_PCT),
      exitReason,
    };
  }

  /** Trade i as the public object (the key order of BacktestTrade). */
  at(i: number): BacktestTrade {
    return {
      entryTime: this.entryTime(i),
      exitTime: this.exitTime(i),
      entryPrice: this.entryPrice(i),
      exitPrice: this.exitPrice(i),
      quantity: this.quantity(i),
      fee: this.fee(i),
      pnl: this.pnl(i),
      pnlPct: this.pnlPct(i),
      exitReason: this.exitReason(i),
    };
  }

  toArray(): BacktestTrade[] {
    const out = new Array<BacktestTrade>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }
}

const F_INDEX = 0;
const F_TIME = 1;
const F_PRICE = 2;
const F_QUANTITY = 3;
const F_REASON = 4;
const FILL_STRIDE = 5;

/** Every fill of a backtest (the chart markers), in order. */
export class FillLog extends Rows {
  constructor() {
    super(FILL_STRIDE);
  }

  /** The log `rows()` gave, rebuilt. */
  static fromRows(rows: Float64Array): FillLog {
    const log = new FillLog();
    log.appendRows(rows);
    return log;
  }

  /** reason: FILL_ENTRY, FILL_ADD or FILL_EXIT + an exit reason code */
  push(index: number, time: number, price: number, quantity: number, reason: number): void {
    const o = this.appendRow();
    const chunk = this.current;
    chunk[o] = index;
    chunk[o + 1] = time;
    chunk[o + 2] = price;
    chunk[o + 3] = quantity;
    chunk[o + 4] = reason;
  }

  index(i: number): number {
    return this.read(i, F_INDEX);
  }
  time(i: number): number {
    return this.read(i, F_TIME);
  }
  price(i: number): number {
    return this.read(i, F_PRICE);
  }
  quantity(i: number): number {
    return this.read(i, F_QUANTITY);
  }
  reason(i: number): TradeMarker['reason'] {
    return FILL_REASONS[this.read(i, F_REASON)]!;
  }
  side(i: number): TradeMarker['side'] {
    return this.read(i, F_REASON) < FILL_EXIT ? 'buy' : 'sell';
  }

  /** Fill i as the public marker object (the key order of TradeMarker). */
  at(i: number): TradeMarker {
    return { index: this.index(i), time: this.time(i), side: this.side(i), price: this.price(i), quantity: this.quantity(i), reason: this.reason(i) };
  }

  toArray(): TradeMarker[] {
    const out = new Array<TradeMarker>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.at(i);
    return out;
  }
}
