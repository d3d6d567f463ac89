/**
 * The candles table's hot paths, both over PostgreSQL's binary COPY protocol:
 *
 * - `upsertCandles`: COPY the rows (binary) into a temp table, then one
 *   `INSERT ... SELECT ... ON CONFLICT DO UPDATE` into `candles`, in one transaction (or, when the
 *   batch's time span holds no stored candle, COPY straight into `candles`). Counts what was
 *   new (`inserted`), what replaced a stored candle with different values (`updated`) and what was
 *   already stored exactly so (`unchanged`, not rewritten: a re-import of the same file writes nothing).
 * - `readCandleSeries`: `COPY (SELECT ...) TO STDOUT (FORMAT binary)` decoded straight into the
 *   columnar `CandleSeries` Float64Arrays: no object per candle, no text parsing.
 *
 * COPY takes no bind parameters, so the few literals it needs are validated and quoted here
 * (`literal`), never interpolated raw.
 */
import { sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { DbOrTx } from '@/db/client';
import { allocateSeries, type CandleSeries, type OhlcvRow } from '@/server/core/candles';
import { TIMEFRAMES, timeframeToMs } from '@/server/core/timeframe';

export interface SeriesKey {
  exchange: string;
  symbol: string;
  timeframe: string;
}

export interface UpsertResult {
  /** Candles that were not stored before. */
  inserted: number;
  /** Stored candles whose values changed. */
  updated: number;
  /** Stored candles that already had exactly these values (left untouched). */
  unchanged: number;
}

type PgClient = postgres.Sql | postgres.TransactionSql;

/** The postgres.js client behind a drizzle handle (the pool, or the transaction's connection). */
function pgClient(db: DbOrTx): PgClient {
  return (db as unknown as { _: { session: { client: PgClient } } })._.session.client;
}

/** A SQL string literal for the COPY statements (which cannot take bind parameters). */
function literal(value: string): string {
  if (value.includes('\0')) throw new RangeError('text must not contain NUL characters');
  return `'${value.replace(/'/g, "''")}'`;
}

function integerLiteral(value: number, name: string): string {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer, got ${value}`);
  return String(value);
}

// ---------------------------------------------------------------------------------------------
// Binary COPY encoding (https://www.postgresql.org/docs/current/sql-copy.html#id-1.9.3.55.9.4)

const COPY_SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_BYTES = COPY_SIGNATURE.length + 8; // signature, flags int32, extension length int32
const TUPLE_BYTES = 2 + 6 * (4 + 8); // field count int16, then 6 × (length int32 + 8 bytes)
const TWO_32 = 2 ** 32;
const NO_BYTES = Buffer.alloc(0);
/** Rows per chunk written to the COPY stream (~600 kB). */
const WRITE_CHUNK_ROWS = 8192;

interface CandleColumns {
  length: number;
  time(i: number): number;
  value(i: number, field: number): number;
}

function columnsOf(candles: readonly OhlcvRow[] | CandleSeries): CandleColumns {
  if (Array.isArray(candles)) {
    const rows = candles as readonly OhlcvRow[];
    return { length: rows.length, time: (i) => rows[i]![0], value: (i, f) => rows[i]![f]! };
  }
  const s = candles as CandleSeries;
  const cols = [s.time, s.open, s.high, s.low, s.close, s.volume] as const;
  return { length: s.length, time: (i) => s.time[i]!, value: (i, f) => cols[f]![i]! };
}

/**
 * Encodes rows [from, to) as binary COPY tuples: (time int8, five float8), or with `keyFields` the
 * series key's three text columns first (for a COPY straight into `candles`).
 */
function encodeTuples(columns: CandleColumns, from: number, to: number, header: boolean, trailer: boolean, keyFields?: readonly Buffer[]): Buffer {
  const keyBytes = keyFields ? keyFields.reduce((sum, f) => sum + 4 + f.length, 0) : 0;
  const buffer = Buffer.allocUnsafe((header ? HEADER_BYTES : 0) + (to - from) * (TUPLE_BYTES + keyBytes) + (trailer ? 2 : 0));
  let offset = 0;
  if (header) {
    COPY_SIGNATURE.copy(buffer, 0);
    offset = COPY_SIGNATURE.length;
    buffer.writeInt32BE(0, offset);
    buffer.writeInt32BE(0, offset + 4);
    offset += 8;
  }
  for (let i = from; i < to; i++) {
    const time = columns.time(i);
    buffer.writeInt16BE(keyFields ? 6 + keyFields.length : 6, offset);
    offset += 2;
    if (keyFields) {
      for (const field of keyFields) {
        buffer.writeInt32BE(field.length, offset);
        field.copy(buffer, offset + 4);
        offset += 4 + field.length;
      }
    }
    buffer.writeInt32BE(8, offset);
    const high = Math.floor(time / TWO_32);
    buffer.writeInt32BE(high, offset + 4);
    buffer.writeUInt32BE(time - high * TWO_32, offset + 8);
    offset += 12;
    for (let f = 1; f <= 5; f++) {
      buffer.writeInt32BE(8, offset);
      buffer.writeDoubleBE(columns.value(i, f), offset + 4);
      offset += 12;
    }
  }
  if (trailer) buffer.writeInt16BE(-1, offset);
  return buffer;
}

/**
 * Writes candles to a `COPY <table>(time, open, high, low, close, volume) FROM STDIN (FORMAT binary)`
 * stream (with `key`: `(exchange, symbol, timeframe, time, ...)`) and ends it (for bench/ingest.ts).
 */
export function writeCandlesToCopyStream(stream: NodeJS.WritableStream, candles: readonly OhlcvRow[] | CandleSeries, key?: SeriesKey): Promise<void> {
  return writeCopy(stream, columnsOf(candles), key ? [key.exchange, key.symbol, key.timeframe].map((text) => Buffer.from(text, 'utf8')) : undefined);
}

/** Writes `columns` to a COPY ... FROM STDIN (FORMAT binary) stream, respecting backpressure. */
async function writeCopy(stream: NodeJS.WritableStream, columns: CandleColumns, keyFields?: readonly Buffer[]): Promise<void> {
  const done = new Promise<void>((resolve, reject) => {
    stream.once('finish', resolve);
    stream.once('error', reject);
  });
  for (let from = 0; from < columns.length || from === 0; from += WRITE_CHUNK_ROWS) {
    const to = Math.min(columns.length, from + WRITE_CHUNK_ROWS);
    const chunk = encodeTuples(columns, from, to, from === 0, to >= columns.length, keyFields);
    if (!stream.write(chunk)) await new Promise<void>((resolve) => stream.once('drain', resolve));
    if (to >= columns.length) break;
  }
  stream.end();
  await done;
}

/** Throws unless times are integers, strictly ascending (so unique): ON CONFLICT cannot touch a row twice. */
function assertStrictlyAscending(columns: CandleColumns): void {
  for (let i = 0; i < columns.length; i++) {
    const time = columns.time(i);
    if (!Number.isSafeInteger(time)) throw new RangeError(`candle ${i}: time ${time} is not an integer ms timestamp`);
    if (i > 0 && time <= columns.time(i - 1)) throw new RangeError(`candle ${i}: times must be strictly ascending (validate with server/core/market first)`);
  }
}

/**
 * Upserts already-validated candles of one series (validate with server/core/market first): ascending,
 * unique times. Rows or a columnar series. Runs in its own transaction (a savepoint inside a caller's).
 *
 * Writers of one series are serialised by a transaction-scoped advisory lock. When nothing is stored
 * yet between the batch's first and last time (the usual case: new history, appending), the rows are
 * COPYed straight into `candles`: all inserts, no conflict handling needed. Otherwise they are COPYed
 * into a temp table and merged with INSERT ... SELECT ... ON CONFLICT DO UPDATE.
 */
export async function upsertCandles(db: DbOrTx, key: SeriesKey, candles: readonly OhlcvRow[] | CandleSeries): Promise<UpsertResult> {
  const columns = columnsOf(candles);
  if (columns.length === 0) return { inserted: 0, updated: 0, unchanged: 0 };
  assertStrictlyAscending(columns);
  const firstMs = columns.time(0);
  const lastMs = columns.time(columns.length - 1);
  const client = pgClient(db);
  const run = async (tx: postgres.TransactionSql): Promise<UpsertResult> => {
    await tx`select pg_advisory_xact_lock(hashtextextended(${`candles|${key.exchange}|${key.symbol}|${key.timeframe}`}, 0))`;
    const [overlap] = await tx<{ stored: boolean }[]>`
      select exists (
        select 1 from candles
        where exchange = ${key.exchange} and symbol = ${key.symbol} and timeframe = ${key.timeframe} and time >= ${firstMs} and time <= ${lastMs}
      ) as stored`;
    if (!overlap?.stored) {
      const stream = await tx
        .unsafe('copy candles (exchange, symbol, timeframe, time, open, high, low, close, volume) from stdin with (format binary)')
        .writable();
      await writeCopy(
        stream,
        columns,
        [key.exchange, key.symbol, key.timeframe].map((text) => Buffer.from(text, 'utf8')),
      );
      return { inserted: columns.length, updated: 0, unchanged: 0 };
    }
    await tx.unsafe(
      `create temp table if not exists candles_in (time bigint, open float8, high float8, low float8, close float8, volume float8) on commit drop`,
    );
    await tx.unsafe('truncate candles_in');
    const stream = await tx.unsafe('copy candles_in from stdin with (format binary)').writable();
    await writeCopy(stream, columns);
    const [counts] = await tx<{ inserted: number; updated: number }[]>`
      with up as (
        insert into candles (exchange, symbol, timeframe, time, open, high, low, close, volume)
        select ${key.exchange}, ${key.symbol}, ${key.timeframe}, time, open, high, low, close, volume from candles_in
        on conflict (exchange, symbol, timeframe, time) do update
          set open = excluded.open, high = excluded.high, low = excluded.low, close = excluded.close, volume = excluded.volume
          where (candles.open, candles.high, candles.low, candles.close, candles.volume)
            is distinct from (excluded.open, excluded.high, excluded.low, excluded.close, excluded.volume)
        returning (xmax = 0) as inserted
      )
      select (count(*) filter (where inserted))::int as inserted, (count(*) filter (where not inserted))::int as updated from up`;
    const inserted = counts?.inserted ?? 0;
    const updated = counts?.updated ?? 0;
    return { inserted, updated, unchanged: columns.length - inserted - updated };
  };
  return 'savepoint' in client ? client.savepoint(run) : client.begin(run);
}

// ---------------------------------------------------------------------------------------------
// Reads

/**
 * Decodes a binary COPY stream of (int8, float8 × 5) tuples into a growing columnar series.
 * Chunks may split a tuple anywhere; the remainder is carried into the next chunk.
 */
class BinaryCandleDecoder {
  private columns: Float64Array[] = Array.from({ length: 6 }, () => new Float64Array(0));
  private count = 0;
  private pending: Buffer = Buffer.alloc(0);
  private headerSkipped = false;

  constructor(initialCapacity: number) {
    this.grow(Math.max(16, initialCapacity));
  }

  private grow(capacity: number): void {
    this.columns = this.columns.map((old) => {
      const next = new Float64Array(capacity);
      next.set(old.subarray(0, this.count));
      return next;
    });
  }

  push(chunk: Buffer): void {
    const buffer = this.pending.length > 0 ? Buffer.concat([this.pending, chunk]) : chunk;
    let offset = 0;
    if (!this.headerSkipped) {
      if (buffer.length < HEADER_BYTES) {
        this.pending = buffer;
        return;
      }
      const extension = buffer.readInt32BE(COPY_SIGNATURE.length + 4);
      offset = HEADER_BYTES + extension;
      this.headerSkipped = true;
    }
    const [time, open, high, low, close, volume] = this.columns as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
    let t = time,
      o = open,
      h = high,
      l = low,
      c = close,
      v = volume;
    while (offset + 2 <= buffer.length) {
      const fields = buffer.readInt16BE(offset);
      if (fields === -1) {
        offset += 2;
        break;
      }
      if (offset + TUPLE_BYTES > buffer.length) break;
      if (fields !== 6) throw new Error(`unexpected COPY tuple with ${fields} fields`);
      if (this.count === t.length) {
        this.grow(t.length * 2);
        [t, o, h, l, c, v] = this.columns as [Float64Array, Float64Array, Float64Array, Float64Array, Float64Array, Float64Array];
      }
      const i = this.count++;
      // Each field: int32 length (always 8 here: the columns are NOT NULL) + 8 bytes big-endian.
      t[i] = buffer.readInt32BE(offset + 6) * TWO_32 + buffer.readUInt32BE(offset + 10);
      o[i] = buffer.readDoubleBE(offset + 18);
      h[i] = buffer.readDoubleBE(offset + 30);
      l[i] = buffer.readDoubleBE(offset + 42);
      c[i] = buffer.readDoubleBE(offset + 54);
      v[i] = buffer.readDoubleBE(offset + 66);
      offset += TUPLE_BYTES;
    }
    // Binary COPY sends one message per row, so this runs once per candle: allocate only for a real remainder.
    this.pending = offset < buffer.length ? Buffer.from(buffer.subarray(offset)) : NO_BYTES;
  }

  finish(): CandleSeries {
    const n = this.count;
    const [time, open, high, low, close, volume] = this.columns.map((column) => (column.length === n ? column : column.slice(0, n))) as [
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
      Float64Array,
    ];
    return { length: n, time, open, high, low, close, volume };
  }
}

/** Where clause of one series' candles in [startMs, endMs), as literal SQL for COPY. */
function seriesWhere(key: SeriesKey, startMs: number, endMs: number): string {
  const clamp = (ms: number) => (ms === Infinity ? Number.MAX_SAFE_INTEGER : ms === -Infinity ? Number.MIN_SAFE_INTEGER : Math.trunc(ms));
  return `exchange = ${literal(key.exchange)} and symbol = ${literal(key.symbol)} and timeframe = ${literal(key.timeframe)} and time >= ${integerLiteral(clamp(startMs), 'startMs')} and time < ${integerLiteral(clamp(endMs), 'endMs')}`;
}

/**
 * `packed: true` reads a range of up to this many bars packed: the database concatenates the series into one `bytea`
 * (48 bytes a bar) and sends it as one COPY row, instead of one COPY message per candle. It costs less CPU in all
 * (105,120 5m bars: ~57 ms of database time and ~6 ms of the worker's, against ~45 ms and ~60 ms of per-message
 * overhead row by row) but gives up the overlap of the two: worth it for reads that already overlap each other (a
 * pair list's, run-candles.ts), not for one read alone (docs/performance.md, "Pair lists"). Longer ranges are read
 * row by row, so the one value stays bounded (~50 MB).
 */
const PACKED_MAX_BARS = 1 << 20;
const PACKED_BAR_BYTES = 48;

/**
 * The stored candles of one series with startMs <= time < endMs, ascending, in columnar form, via
 * binary COPY. `expectedCount` (optional) pre-sizes the arrays; `packed` (see PACKED_MAX_BARS) suits reads made
 * several at a time.
 *
 * The database is not asked to sort: a year of 5m bars does not fit work_mem, and the planner's bitmap heap scan plus
 * an on-disk sort took ~2/3 of the read's database time. Rows come in the heap's order, which is time order for a
 * series stored oldest first (imports, the live feed); the columns are checked and sorted here when they are not.
 */
export async function readCandleSeries(
  db: DbOrTx,
  key: SeriesKey,
  startMs: number,
  endMs: number,
  options: { expectedCount?: number; packed?: boolean } = {},
): Promise<CandleSeries> {
  if (!(endMs > startMs)) return allocateSeries(0);
  const client = pgClient(db);
  const barMs = (TIMEFRAMES as readonly string[]).includes(key.timeframe) ? timeframeToMs(key.timeframe) : 0;
  const packed = options.packed === true && barMs > 0 && Number.isFinite(endMs - startMs) && (endMs - startMs) / barMs <= PACKED_MAX_BARS;
  const series = packed ? await readPacked(client, key, startMs, endMs) : await readRows(client, key, startMs, endMs, options.expectedCount ?? 1024);
  return sortedByTime(series);
}

/** One COPY of the rows, one message each. */
async function readRows(client: PgClient, key: SeriesKey, startMs: number, endMs: number, expectedCount: number): Promise<CandleSeries> {
  const query = `copy (select time, open, high, low, close, volume from candles where ${seriesWhere(key, startMs, endMs)}) to stdout with (format binary)`;
  const decoder = new BinaryCandleDecoder(expectedCount);
  await consumeCopy(client, query, (chunk) => decoder.push(chunk));
  return decoder.finish();
}

/** One COPY row holding the whole range as one bytea: (time int8, open … volume float8) per bar, big-endian. */
async function readPacked(client: PgClient, key: SeriesKey, startMs: number, endMs: number): Promise<CandleSeries> {
  const bar = 'int8send(time) || float8send(open) || float8send(high) || float8send(low) || float8send(close) || float8send(volume)';
  const query = `copy (select string_agg(${bar}, ''::bytea) from candles where ${seriesWhere(key, startMs, endMs)}) to stdout with (format binary)`;
  const chunks: Buffer[] = [];
  await consumeCopy(client, query, (chunk) => chunks.push(chunk));
  const buffer = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
  let offset = HEADER_BYTES + buffer.readInt32BE(COPY_SIGNATURE.length + 4);
  if (buffer.readInt16BE(offset) !== 1) throw new Error('unexpected packed COPY tuple');
  const bytes = buffer.readInt32BE(offset + 2);
  offset += 6;
  if (bytes <= 0) return allocateSeries(0); // -1: no candles (string_agg of no rows is null)
  if (bytes % PACKED_BAR_BYTES !== 0) throw new Error(`packed candles of ${bytes} bytes`);
  const n = bytes / PACKED_BAR_BYTES;
  const series = allocateSeries(n);
  const { time, open, high, low, close, volume } = series;
  for (let i = 0; i < n; i++, offset += PACKED_BAR_BYTES) {
    time[i] = buffer.readInt32BE(offset) * TWO_32 + buffer.readUInt32BE(offset + 4);
    open[i] = buffer.readDoubleBE(offset + 8);
    high[i] = buffer.readDoubleBE(offset + 16);
    low[i] = buffer.readDoubleBE(offset + 24);
    close[i] = buffer.readDoubleBE(offset + 32);
    volume[i] = buffer.readDoubleBE(offset + 40);
  }
  return series;
}

/** The series itself when its times ascend (the usual case), else its columns reordered by time. */
function sortedByTime(series: CandleSeries): CandleSeries {
  const { time, length } = series;
  let ascending = true;
  for (let i = 1; i < length; i++) {
    if (time[i]! < time[i - 1]!) {
      ascending = false;
      break;
    }
  }
  if (ascending) return series;
  const order = Uint32Array.from({ length }, (_, i) => i).sort((a, b) => time[a]! - time[b]!);
  const sorted = allocateSeries(length);
  for (const column of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) {
    const from = series[column];
    const to = sorted[column];
    for (let i = 0; i < length; i++) to[i] = from[order[i]!]!;
  }
  return sorted;
}

/** Runs a `COPY … TO STDOUT` and hands each chunk to `onChunk` (which may throw to abort). */
async function consumeCopy(client: PgClient, query: string, onChunk: (chunk: Buffer) => void): Promise<void> {
  const stream = await client.unsafe(query).readable();
  // postgres.js pauses the connection's socket whenever this readable's buffer is full, and resumes it
  // only from the stream's read(). If COPY's end arrives in the same socket read as a push that filled
  // the buffer, read() is never called again and the connection hangs before its ReadyForQuery. So:
  // consume in flowing mode, and on 'end' call the stream's _read once more (= socket.resume()).
  await new Promise<void>((resolve, reject) => {
    stream.on('data', (chunk: Buffer) => {
      try {
        onChunk(chunk);
      } catch (error) {
        stream.destroy(error as Error);
      }
    });
    stream.once('end', () => {
      (stream as unknown as { _read(size: number): void })._read(0);
      resolve();
    });
    stream.once('error', reject);
  });
}

/** Open times of the first and last stored candle of a series, or null when it has none. */
export async function candleRange(db: DbOrTx, key: SeriesKey): Promise<{ firstMs: number; lastMs: number } | null> {
  const [row] = await db.execute<{ first: string | null; last: string | null }>(sql`
    select min(time) as first, max(time) as last from candles
    where exchange = ${key.exchange} and symbol = ${key.symbol} and timeframe = ${key.timeframe}`);
  if (!row || row.first === null || row.last === null) return null;
  return { firstMs: Number(row.first), lastMs: Number(row.last) };
}

export interface CandlePage {
  /** [timeMs, open, high, low, close, volume], ascending. */
  candles: OhlcvRow[];
  /** Open time of the first candle of the next page, when there is one. */
  nextTimeMs: number | null;
}

/** One page of a series for the API: at most `limit` candles with time in [startMs, endMs), ascending. */
export async function readCandlePage(db: DbOrTx, key: SeriesKey, startMs: number, endMs: number, limit: number): Promise<CandlePage> {
  const rows = await db.execute<{ time: string; open: number; high: number; low: number; close: number; volume: number }>(sql`
    select time, open, high, low, close, volume from candles
    where exchange = ${key.exchange} and symbol = ${key.symbol} and timeframe = ${key.timeframe}
      and time >= ${Math.trunc(startMs)} and time < ${Math.min(Math.trunc(endMs), Number.MAX_SAFE_INTEGER)}
    order by time
    limit ${limit + 1}`);
  const candles: OhlcvRow[] = [];
  for (let i = 0; i < Math.min(limit, rows.length); i++) {
    const r = rows[i]!;
    candles.push([Number(r.time), r.open, r.high, r.low, r.close, r.volume]);
  }
  const next = rows[limit];
  return { candles, nextTimeMs: next ? Number(next.time) : null };
}

/** Whether any candle is stored at all (the demo seed runs only on an empty table). */
export async function hasAnyCandles(db: DbOrTx): Promise<boolean> {
  const rows = await db.execute(sql`select 1 from candles limit 1`);
  return rows.length > 0;
}

/**
 * The median close of a market's stored candles (exchange + symbol) with open time in [startMs, endMs],
 * from its coarsest stored timeframe that has candles there (fewest rows to sort), or null when none is
 * stored in that window: the price level an upload of the same span is compared with.
 */
export async function storedMedianClose(db: DbOrTx, market: { exchange: string; symbol: string }, startMs: number, endMs: number): Promise<number | null> {
  const coarsestFirst = [...TIMEFRAMES].sort((a, b) => timeframeToMs(b) - timeframeToMs(a));
  for (const timeframe of coarsestFirst) {
    const [row] = await db.execute<{ median: number | null }>(sql`
      select percentile_cont(0.5) within group (order by close) as median from candles
      where exchange = ${market.exchange} and symbol = ${market.symbol} and timeframe = ${timeframe}
        and time >= ${Math.trunc(startMs)} and time <= ${Math.trunc(endMs)}`);
    if (row?.median !== null && row?.median !== undefined) return Number(row.median);
  }
  return null;
}

/** Deletes every candle of a series; the number deleted (0: nothing was stored). */
export async function deleteCandleSeries(db: DbOrTx, key: SeriesKey): Promise<number> {
  const rows = await db.execute<{ n: string }>(sql`
    with gone as (
      delete from candles where exchange = ${key.exchange} and symbol = ${key.symbol} and timeframe = ${key.timeframe} returning 1
    ) select count(*) as n from gone`);
  return Number(rows[0]?.n ?? 0);
}

/** Whether any candle of a market (exchange + symbol, any timeframe) is stored. */
export async function hasStoredMarket(db: DbOrTx, market: { exchange: string; symbol: string }): Promise<boolean> {
  const rows = await db.execute(sql`select 1 from candles where exchange = ${market.exchange} and symbol = ${market.symbol} limit 1`);
  return rows.length > 0;
}
