/**
 * Resident memory per candle of a backtest, measured in a fresh process (started by bench/run.ts with
 * `node --expose-gc --import tsx bench/memory-probe.ts <candles> <strategy>`):
 *
 *   (RSS after creating the series and running the engine, result still referenced)
 *   − (RSS of the same process before creating the series: modules loaded, after a full GC)
 *   ÷ candles
 *
 * It counts everything the run made resident: the six Float64 columns of candles (48 B/candle), the engine's
 * equity array (8 B/candle), the trades and fills as the result holds them (TradeLog, FillLog: 72 and 40 bytes
 * each), strategy state, and the JIT's code and heap growth. The result's `trades`/`markers` object arrays are
 * built only when a caller reads them, which this probe does not (no production path does for a whole run: the
 * job stores trades from the log, charts use the downsampled equity). It prints one JSON line.
 */
import { runBacktest } from '../server/core/backtest/engine';
import { createStrategy } from '../server/core/strategies/registry';
import { benchConfig, MEAN_REVERSION_PARAMS, SMA_PARAMS } from './engine';
import { syntheticSeries, SYNTHETIC_TIMEFRAME } from './lib/series';

export interface MemoryProbeResult {
  candles: number;
  strategy: string;
  rssBeforeBytes: number;
  rssAfterBytes: number;
  /** (rssAfter − rssBefore) ÷ candles */
  bytesPerCandle: number;
  /** peak RSS of the process (getrusage maxrss) minus rssBefore, ÷ candles */
  peakBytesPerCandle: number;
  /** the same after one more full GC (result still held): what stays resident once garbage is collected */
  afterGcBytesPerCandle: number;
  /** the same after also reading `result.trades` and `result.markers` (the object arrays, built on first read) */
  withObjectsBytesPerCandle: number;
  /** what the layout alone needs: 6 Float64 candle columns + the Float64 equity array */
  layoutBytesPerCandle: number;
  trades: number;
  /** trade + marker objects built for withObjectsBytesPerCandle */
  objectsBuilt: number;
  /** the series' length, read after the measurement so the series stays referenced until then */
  candlesHeld: number;
}

const candles = Number(process.argv[2] ?? 1_000_000);
const strategyType = process.argv[3] ?? 'sma_crossover';
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');
if (!(Number.isInteger(candles) && candles > 0)) throw new Error(`bad candle count ${process.argv[2]}`);

gc();
gc();
const rssBefore = process.memoryUsage.rss();
const series = syntheticSeries(candles);
const strategy = createStrategy(strategyType, strategyType === 'mean_reversion' ? MEAN_REVERSION_PARAMS : SMA_PARAMS);
const result = runBacktest(series, strategy, benchConfig(SYNTHETIC_TIMEFRAME));
const rssAfter = process.memoryUsage.rss();
const peak = process.resourceUsage().maxRSS * 1024;
gc();
const rssAfterGc = process.memoryUsage.rss();
// For context only (after the figures above): what reading the trades and fills as objects adds.
const objectsBuilt = result.trades.length + result.markers.length;
const rssWithObjects = process.memoryUsage.rss();
const out: MemoryProbeResult = {
  candles,
  strategy: strategyType,
  rssBeforeBytes: rssBefore,
  rssAfterBytes: rssAfter,
  bytesPerCandle: (rssAfter - rssBefore) / candles,
  peakBytesPerCandle: (peak - rssBefore) / candles,
  afterGcBytesPerCandle: (rssAfterGc - rssBefore) / candles,
  withObjectsBytesPerCandle: (rssWithObjects - rssBefore) / candles,
  layoutBytesPerCandle: (series.time.BYTES_PER_ELEMENT * 6 * series.length + result.equity.byteLength) / candles,
  trades: result.tradeLog.length,
  objectsBuilt,
  candlesHeld: series.length,
};
process.stdout.write(`${JSON.stringify(out)}\n`);
