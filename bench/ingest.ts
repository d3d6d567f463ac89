/**
 * Candle ingestion and read benchmarks (docs/market-data.md):
 *
 * (a) `benchIngest`: N candles (default 1,000,000) of one new series through our path
 *     (`upsertCandles` into `candles`, primary key maintained; a new range takes the direct-COPY path)
 *     against a bare binary COPY of the same rows into a plain table without keys, in the same run.
 *     Target: ours >= 50% of the bare COPY's rate. Also reported: a bare COPY into a table with candles'
 *     shape and primary key (what index maintenance alone costs), and a second upsert of the same rows
 *     with every close changed (the all-updates case: temp table + INSERT ... ON CONFLICT DO UPDATE).
 * (b) `benchRead`: the same N candles read into columnar Float64Arrays (`readCandleSeries`, binary COPY
 *     TO STDOUT). Target: >= 300,000 candles/s.
 *
 * Runnable alone: `DATABASE_URL=postgres://... npx tsx bench/ingest.ts [candles]`. Everything it
 * writes (a bench series, a scratch table) is removed afterwards.
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { createDatabase, type Database } from '../db/client';
import { allocateSeries, type CandleSeries } from '../server/core/candles';
import { readCandleSeries, upsertCandles, writeCandlesToCopyStream, type SeriesKey } from '../server/services/market-data/candles';

export interface IngestBenchResult {
  candles: number;
  /** Our path into `candles`, new rows. */
  oursMs: number;
  oursPerSecond: number;
  /** Bare COPY into a plain table with no keys. */
  bareCopyMs: number;
  bareCopyPerSecond: number;
  /** oursPerSecond / bareCopyPerSecond (target >= 0.5). */
  ratio: number;
  /** Bare COPY into a table shaped like `candles`, same primary key (the cost of the index alone). */
  keyedCopyMs: number;
  keyedCopyPerSecond: number;
  /** oursPerSecond / keyedCopyPerSecond. */
  keyedRatio: number;
  /** Our path again over the same rows, every one changed (all updates). */
  updateMs: number;
  updatePerSecond: number;
}

export interface ReadBenchResult {
  candles: number;
  readMs: number;
  readPerSecond: number;
}

const MINUTE = 60_000;

/** A deterministic 1m series of n candles (a random walk), columnar. */
export function syntheticSeries(n: number, startMs = Date.UTC(2020, 0, 1)): CandleSeries {
  const s = allocateSeries(n);
  let price = 30_000;
  let seed = 12345;
  const random = () => {
    seed = (seed * 1664525 + 1013904223) >>> 0;
    return seed / 4294967296;
  };
  for (let i = 0; i < n; i++) {
    const open = price;
    price = Math.max(1, price * (1 + (random() - 0.5) * 0.002));
    s.time[i] = startMs + i * MINUTE;
    s.open[i] = open;
    s.close[i] = price;
    s.high[i] = Math.max(open, price) * (1 + random() * 0.0005);
    s.low[i] = Math.min(open, price) * (1 - random() * 0.0005);
    s.volume[i] = random() * 10;
  }
  return s;
}

function benchKey(): SeriesKey {
  return { exchange: 'bench', symbol: `B${Date.now().toString(36).toUpperCase()}/USDT`, timeframe: '1m' };
}

async function withDatabase<T>(database: Database | undefined, run: (database: Database) => Promise<T>): Promise<T> {
  if (database) return run(database);
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is required');
  const own = createDatabase(url, { max: 2, applicationName: 'cryptobot-bench' });
  try {
    return await run(own);
  } finally {
    await own.close();
  }
}

async function deleteSeries(database: Database, key: SeriesKey): Promise<void> {
  await database.db.execute(sql`delete from candles where exchange = ${key.exchange} and symbol = ${key.symbol} and timeframe = ${key.timeframe}`);
}

/** (a) Our ingestion path vs a bare COPY of the same rows, same run. */
export async function benchIngest(options: { candles?: number; database?: Database } = {}): Promise<IngestBenchResult> {
  const n = options.candles ?? 1_000_000;
  const series = syntheticSeries(n);
  return withDatabase(options.database, async (database) => {
    const key = benchKey();
    const table = `bench_plain_copy_${process.pid}`;
    try {
      // Bare COPY: a plain table, no keys, no conflict handling: the floor of what loading costs.
      await database.sql.unsafe(`drop table if exists ${table}`);
      await database.sql.unsafe(`create table ${table} (time bigint, open float8, high float8, low float8, close float8, volume float8)`);
      let started = performance.now();
      const stream = await database.sql.unsafe(`copy ${table} from stdin with (format binary)`).writable();
      await writeCandlesToCopyStream(stream, series);
      const bareCopyMs = performance.now() - started;

      // The same rows into a table with candles' shape and primary key: what the index alone costs.
      await database.sql.unsafe(`drop table if exists ${table}_keyed`);
      await database.sql.unsafe(`create table ${table}_keyed (like candles including all)`);
      started = performance.now();
      const keyed = await database.sql.unsafe(`copy ${table}_keyed from stdin with (format binary)`).writable();
      await writeCandlesToCopyStream(keyed, series, key);
      const keyedCopyMs = performance.now() - started;

      started = performance.now();
      const first = await upsertCandles(database.db, key, series);
      const oursMs = performance.now() - started;
      if (first.inserted !== n) throw new Error(`expected ${n} inserted, got ${JSON.stringify(first)}`);

      for (let i = 0; i < n; i++) series.close[i] = Math.min(series.high[i]!, series.close[i]! * 1.000001);
      started = performance.now();
      const second = await upsertCandles(database.db, key, series);
      const updateMs = performance.now() - started;
      if (second.inserted !== 0) throw new Error(`expected 0 inserted on the second pass, got ${JSON.stringify(second)}`);

      const perSecond = (ms: number) => Math.round(n / (ms / 1000));
      return {
        candles: n,
        oursMs: Math.round(oursMs),
        oursPerSecond: perSecond(oursMs),
        bareCopyMs: Math.round(bareCopyMs),
        bareCopyPerSecond: perSecond(bareCopyMs),
        ratio: Math.round((bareCopyMs / oursMs) * 1000) / 1000,
        keyedCopyMs: Math.round(keyedCopyMs),
        keyedCopyPerSecond: perSecond(keyedCopyMs),
        keyedRatio: Math.round((keyedCopyMs / oursMs) * 1000) / 1000,
        updateMs: Math.round(updateMs),
        updatePerSecond: perSecond(updateMs),
      };
    } finally {
      await database.sql.unsafe(`drop table if exists ${table}`);
      await database.sql.unsafe(`drop table if exists ${table}_keyed`);
      await deleteSeries(database, key);
    }
  });
}

/** (b) Reading N stored candles into columnar Float64Arrays. */
export async function benchRead(options: { candles?: number; database?: Database; repeats?: number } = {}): Promise<ReadBenchResult> {
  const n = options.candles ?? 1_000_000;
  return withDatabase(options.database, async (database) => {
    const key = benchKey();
    try {
      await upsertCandles(database.db, key, syntheticSeries(n));
      let best = Infinity;
      for (let r = 0; r < (options.repeats ?? 3); r++) {
        const started = performance.now();
        const series = await readCandleSeries(database.db, key, 0, Number.MAX_SAFE_INTEGER);
        best = Math.min(best, performance.now() - started);
        if (series.length !== n) throw new Error(`read ${series.length} candles, expected ${n}`);
      }
      return { candles: n, readMs: Math.round(best), readPerSecond: Math.round(n / (best / 1000)) };
    } finally {
      await deleteSeries(database, key);
    }
  });
}

const isMain = process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href;
if (isMain) {
  const n = Number(process.argv[2] ?? 1_000_000);
  const ingest = await benchIngest({ candles: n });
  console.log(`ingest ${n.toLocaleString('en')} candles:`);
  console.log(`  bare COPY (plain table, no keys): ${ingest.bareCopyMs} ms = ${ingest.bareCopyPerSecond.toLocaleString('en')} candles/s`);
  console.log(
    `  ours (upsertCandles, new rows: direct COPY into candles): ${ingest.oursMs} ms = ${ingest.oursPerSecond.toLocaleString('en')} candles/s  → ${(ingest.ratio * 100).toFixed(1)}% of bare COPY (target ≥ 50%)`,
  );
  console.log(
    `  bare COPY (same shape and primary key as candles): ${ingest.keyedCopyMs} ms = ${ingest.keyedCopyPerSecond.toLocaleString('en')} candles/s → ours is ${(ingest.keyedRatio * 100).toFixed(1)}% of it`,
  );
  console.log(
    `  ours, all rows updated (COPY → temp → INSERT ... ON CONFLICT): ${ingest.updateMs} ms = ${ingest.updatePerSecond.toLocaleString('en')} candles/s`,
  );
  const read = await benchRead({ candles: n });
  console.log(
    `read ${n.toLocaleString('en')} candles into Float64Arrays: ${read.readMs} ms = ${read.readPerSecond.toLocaleString('en')} candles/s (target ≥ 300,000)`,
  );
}
