/**
 * Portfolio engine throughput and memory (issue #16): one strategy (sma_crossover) over 20 pairs × one year of 5m
 * candles (20 × 105,120 = 2,102,400 candle-steps) with shared capital (5 slots, equal split), beside the single-pair
 * engine over one series of the same total length, interleaved round by round so background load hits both alike.
 * Target: the portfolio engine's candles/s ≥ 0.5 × the single-pair engine's.
 *
 * Memory per candle: resident memory (RSS) after building the 20 series and running the portfolio engine (result
 * held), minus RSS before building them (after a full GC), ÷ candles — measured first, in this fresh process (run
 * with --expose-gc for the GC; without it the figure includes garbage). Beside it, what the layout needs: the six
 * candle columns (48 B) and the per-pair equity (8 B) per candle, plus 16 B per step (portfolio equity and time).
 *
 * Runnable alone:  node --expose-gc --import tsx bench/portfolio.ts [--quick] [--runs=N]
 */
import { runBacktest } from '../server/core/backtest/engine';
import { runPortfolioBacktest, type PortfolioPair } from '../server/core/backtest/portfolio';
import type { CandleSeries } from '../server/core/candles';
import { createStrategy } from '../server/core/strategies/registry';
import { benchConfig, SMA_PARAMS } from './engine';
import { syntheticSeries } from './lib/series';
import { roundSummary, summarize, type Summary } from './lib/stats';
import { timeIt } from './lib/timing';

export const PORTFOLIO_RATIO_TARGET = 0.5;
const FIVE_MINUTES = 300_000;
/** one year of 5m bars */
export const YEAR_OF_5M = 105_120;
export const PAIR_COUNT = 20;
const CAPITAL = { maxOpenPositions: 5, stake: { type: 'equal_split' } } as const;

export interface PortfolioBenchResult {
  pairs: number;
  barsPerPair: number;
  /** candle-steps: Σ bars over the pairs */
  candles: number;
  /** candles/s, median/min/max over the measured runs */
  portfolio: Summary;
  singlePair: Summary;
  /** portfolio ÷ single-pair, from the medians */
  portfolioToSingle: number;
  /** the same within each round (back to back), median/min/max */
  portfolioToSinglePerRound: Summary;
  memory: { bytesPerCandle: number; layoutBytesPerCandle: number; gcExposed: boolean };
  trades: { portfolio: number; singlePair: number };
}

/** n 5-minute candles of the seeded random walk (a different seed per pair), aligned on the same times. */
function fiveMinuteSeries(n: number, seed: number): CandleSeries {
  const series = syntheticSeries(n, seed);
  const start = Date.UTC(2020, 0, 1);
  for (let i = 0; i < n; i++) series.time[i] = start + i * FIVE_MINUTES;
  return series;
}

function pairsOf(series: readonly CandleSeries[]): PortfolioPair[] {
  return series.map((s, p) => ({ symbol: `P${p}/USDT`, series: s, strategy: createStrategy('sma_crossover', SMA_PARAMS) }));
}

const gc = (globalThis as { gc?: () => void }).gc;

export function benchPortfolio(options: { barsPerPair?: number; pairs?: number; runs: number; log: (line: string) => void }): PortfolioBenchResult {
  const barsPerPair = options.barsPerPair ?? YEAR_OF_5M;
  const pairCount = options.pairs ?? PAIR_COUNT;
  const candles = barsPerPair * pairCount;
  const config = { ...benchConfig('5m'), ...CAPITAL };

  // Memory first, while the process holds nothing else of ours.
  gc?.();
  const rssBefore = process.memoryUsage().rss;
  const series = Array.from({ length: pairCount }, (_, p) => fiveMinuteSeries(barsPerPair, 1_000 + p));
  let result = runPortfolioBacktest(pairsOf(series), config);
  gc?.();
  const bytesPerCandle = (process.memoryUsage().rss - rssBefore) / candles;
  const layoutBytesPerCandle = 48 + 8 + (16 * result.time.length) / candles;
  options.log(
    `  portfolio memory: ${bytesPerCandle.toFixed(1)} B/candle resident (layout ${layoutBytesPerCandle.toFixed(1)} B/candle)${gc ? '' : ' (no --expose-gc)'}`,
  );

  const single = fiveMinuteSeries(candles, 77);
  let singleTrades = 0;
  let sink = 0;
  const contenders = [
    {
      name: 'portfolio',
      run: () => {
        result = runPortfolioBacktest(pairsOf(series), config);
        sink += result.metrics.totalReturnPct;
      },
    },
    {
      name: 'singlePair',
      run: () => {
        const r = runBacktest(single, createStrategy('sma_crossover', SMA_PARAMS), benchConfig('5m'));
        singleTrades = r.tradeLog.length;
        sink += r.metrics.totalReturnPct;
      },
    },
  ];
  for (const c of contenders) c.run();
  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]));
  for (let round = 0; round < options.runs; round++) {
    for (const c of contenders) samples.get(c.name)!.push(candles / (timeIt(c.run).ms / 1000));
    options.log(`  portfolio ${pairCount} × ${barsPerPair.toLocaleString('en')}: round ${round + 1}/${options.runs}`);
  }
  if (!Number.isFinite(sink)) options.log('  (checksum not finite)');
  const portfolio = samples.get('portfolio')!;
  const singlePair = samples.get('singlePair')!;
  return {
    pairs: pairCount,
    barsPerPair,
    candles,
    portfolio: roundSummary(summarize(portfolio)),
    singlePair: roundSummary(summarize(singlePair)),
    portfolioToSingle: Number((summarize(portfolio).median / summarize(singlePair).median).toFixed(3)),
    portfolioToSinglePerRound: roundSummary(summarize(portfolio.map((rate, k) => rate / singlePair[k]!)), 3),
    memory: { bytesPerCandle: Number(bytesPerCandle.toFixed(1)), layoutBytesPerCandle: Number(layoutBytesPerCandle.toFixed(1)), gcExposed: gc !== undefined },
    trades: { portfolio: result.tradeLog.length, singlePair: singleTrades },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const runs = Number(process.argv.find((a) => a.startsWith('--runs='))?.slice('--runs='.length) ?? (quick ? 3 : 5));
  const result = benchPortfolio({ barsPerPair: quick ? 10_000 : YEAR_OF_5M, runs, log: (line) => console.error(line) });
  console.error(
    `portfolio ${result.portfolioToSingle}× the single-pair engine's candles/s (target ≥ ${PORTFOLIO_RATIO_TARGET}); ${result.memory.bytesPerCandle} B/candle resident`,
  );
  // The last line: the result as one JSON line (bench/run.ts reads it).
  console.log(JSON.stringify(result));
}
