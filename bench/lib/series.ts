/**
 * Inputs: a seeded synthetic random walk for the large sizes (the same seed gives the same candles, bit for bit,
 * on every machine), and the real candles in ../shared/data, read in place (never copied into the project; they
 * are GPL-3.0) when that folder is beside the repository: a fresh clone has none, and loadRealSeries says null.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { allocateSharedSeries, seriesFromRows, type CandleSeries } from '../../server/core/candles';

export const SYNTHETIC_TIMEFRAME = '1m';
const MINUTE_MS = 60_000;

/** mulberry32: a small, fast, seedable PRNG; uniform in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * n one-minute candles of a geometric random walk from 30,000 (quote per base), starting 2020-01-01 UTC.
 * Each candle opens at the previous close (no gaps), moves by up to ±0.2%, and has high ≥ max(open, close),
 * low ≤ min(open, close), low > 0: valid OHLC. Laid out in one SharedArrayBuffer (allocateSharedSeries), so
 * the sweep pool and the bench's worker threads map it without copying.
 */
export function syntheticSeries(n: number, seed = 20240607): CandleSeries {
  const { series } = allocateSharedSeries(n, true);
  const random = mulberry32(seed);
  const start = Date.UTC(2020, 0, 1);
  let price = 30_000;
  for (let i = 0; i < n; i++) {
    const open = price;
    // The sum of two uniforms: a triangular step, mean 0, at most ±0.2%; the floor keeps prices positive.
    price = Math.max(0.01, price * (1 + (random() + random() - 1) * 0.002));
    series.time[i] = start + i * MINUTE_MS;
    series.open[i] = open;
    series.close[i] = price;
    series.high[i] = Math.max(open, price) * (1 + random() * 0.001);
    series.low[i] = Math.min(open, price) * (1 - random() * 0.001);
    series.volume[i] = 1 + random() * 10;
  }
  return series;
}

/** Absolute path of a file of real candles in ../shared/data/binance (relative to the working directory). */
export function realDataPath(file: string): string {
  return path.resolve(process.cwd(), '../shared/data/binance', file);
}

/** Real candles (ccxt OHLCV rows in JSON) as a columnar series; null when the file is not there. */
export function loadRealSeries(file: string): CandleSeries | null {
  let text: string;
  try {
    text = readFileSync(realDataPath(file), 'utf8');
  } catch {
    return null;
  }
  return seriesFromRows(JSON.parse(text) as number[][]);
}
