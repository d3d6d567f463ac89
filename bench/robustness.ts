/**
 * The robustness lab against issue #15's ceilings (docs/robustness.md), each with a same-run reference:
 *   - 10,000 trade shuffles of a 1,000-trade backtest (target ≤ 1 s); reference: one pass over the trades.
 *   - 1,000 block-bootstrap re-runs over one year of 1h candles (target ≤ 10 s); reference: 1,000 plain backtests of
 *     the original candles (the paths' extra cost is building them).
 *   - a bias check (look-ahead + recursive) ÷ one backtest of the same candles (target ≤ 5×).
 * Correctness checks (the bench fails on them): a shuffle never changes the final return and equals the backtest's;
 * the same seed gives the same bytes; the blocks' original equals a plain backtest; the built-in passes both checks.
 */
import { runBacktest } from '../server/core/backtest/engine';
import { checkBias } from '../server/core/robustness/bias';
import { blockMonteCarlo, runMonteCarlo, tradeMonteCarlo } from '../server/core/robustness/monte-carlo';
import { createStrategy } from '../server/core/strategies/registry';
import type { CandleSeries } from '../server/core/candles';
import type { CheckResult } from './lib/parity';
import { syntheticSeries } from './lib/series';
import { roundSummary, summarize, type Summary } from './lib/stats';
import { timeIt } from './lib/timing';

export const SHUFFLE_TARGET_MS = 1_000;
export const BLOCKS_TARGET_MS = 10_000;
export const BIAS_RATIO_TARGET = 5;

export interface RobustnessBenchResult {
  shuffle: { runs: number; trades: number; ms: Summary };
  blocks: { runs: number; bars: number; ms: Summary; plainBacktestsMs: Summary; ratio: number };
  bias: { bars: number; strategy: string; ms: Summary; backtestMs: Summary; ratio: number };
}

const CONFIG_1H = { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe: '1h' };
const CONFIG_1M = { ...CONFIG_1H, timeframe: '1m' };

function head(series: CandleSeries, n: number): CandleSeries {
  return {
    length: n,
    time: series.time.subarray(0, n),
    open: series.open.subarray(0, n),
    high: series.high.subarray(0, n),
    low: series.low.subarray(0, n),
    close: series.close.subarray(0, n),
    volume: series.volume.subarray(0, n),
  };
}

export function benchRobustness(options: { runs: number; quick: boolean; log: (line: string) => void }): {
  result: RobustnessBenchResult;
  checks: CheckResult[];
} {
  const { runs, quick, log } = options;
  const checks: CheckResult[] = [];
  log('\n▸ robustness');

  // 1. Shuffles: the first 1,000 trades of a fast crossover over a long random walk.
  const tradesNeeded = 1_000;
  const walk = syntheticSeries(quick ? 200_000 : 400_000, 15);
  const traded = runBacktest(walk, createStrategy('sma_crossover', { fastPeriod: 5, slowPeriod: 20 }), CONFIG_1M);
  const trades = Math.min(tradesNeeded, traded.tradeLog.length);
  const pnl = new Float64Array(trades);
  for (let t = 0; t < trades; t++) pnl[t] = traded.tradeLog.pnl(t);
  const shuffleRuns = quick ? 2_000 : 10_000;
  const shuffleOptions = { runs: shuffleRuns, seed: 1, ruinDrawdownPct: 30 };
  const shuffleMs: number[] = [];
  let shuffleJson = '';
  for (let r = 0; r < runs; r++) {
    const { ms, result } = timeIt(() => runMonteCarlo(tradeMonteCarlo('shuffle', pnl, 10_000, shuffleOptions)));
    shuffleMs.push(ms);
    const json = JSON.stringify(result);
    if (r === 0) {
      shuffleJson = json;
      const spread = result.finalReturnPct.p95 - result.finalReturnPct.p5;
      const own = result.original.finalReturnPct;
      checks.push({
        name: 'monte carlo: a shuffle keeps the final return',
        ok: Math.abs(spread) < 1e-6 && Math.abs(result.finalReturnPct.p50 - own) < 1e-6,
        detail: `P5..P95 spread ${spread}, P50 ${result.finalReturnPct.p50} vs the trades' own ${own}`,
      });
    } else if (r === 1) checks.push({ name: 'monte carlo: the same seed gives the same bytes', ok: json === shuffleJson, detail: `${json.length} bytes` });
  }
  const shuffle = { runs: shuffleRuns, trades, ms: roundSummary(summarize(shuffleMs), 2) };
  log(`  ${shuffleRuns.toLocaleString('en')} shuffles of ${trades} trades: ${shuffle.ms.median.toFixed(0)} ms (target ≤ ${SHUFFLE_TARGET_MS} ms at 10,000)`);

  // 2. Block bootstrap: one year of hourly bars (the random walk's bars taken as hours).
  const year = head(syntheticSeries(8_760, 16), 8_760);
  const blockRuns = quick ? 200 : 1_000;
  const make = () => createStrategy('sma_crossover', { fastPeriod: 10, slowPeriod: 30 });
  const blocksMs: number[] = [];
  const plainMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const { ms, result } = timeIt(() => runMonteCarlo(blockMonteCarlo(year, make, CONFIG_1H, 21, { runs: blockRuns, seed: 2, ruinDrawdownPct: 30 })));
    blocksMs.push(ms);
    const strategy = make();
    const plain = timeIt(() => {
      let last = 0;
      for (let k = 0; k < blockRuns; k++) last = runBacktest(year, strategy, CONFIG_1H).metrics.totalReturnPct;
      return last;
    });
    plainMs.push(plain.ms);
    if (r === 0)
      checks.push({
        name: "monte carlo: the blocks' original is the plain backtest",
        ok: result.original.finalReturnPct === plain.result,
        detail: `${result.original.finalReturnPct} vs ${plain.result}`,
      });
  }
  const blocksSummary = roundSummary(summarize(blocksMs), 2);
  const plainSummary = roundSummary(summarize(plainMs), 2);
  const blocks = {
    runs: blockRuns,
    bars: year.length,
    ms: blocksSummary,
    plainBacktestsMs: plainSummary,
    ratio: Number((blocksSummary.median / plainSummary.median).toFixed(3)),
  };
  log(
    `  ${blockRuns.toLocaleString('en')} block-bootstrap re-runs × ${year.length.toLocaleString('en')} bars: ${blocksSummary.median.toFixed(0)} ms (${blocks.ratio}× the same number of plain backtests; target ≤ ${BLOCKS_TARGET_MS} ms at 1,000)`,
  );

  // 3. Bias check against one backtest of the same candles.
  const biasBars = quick ? 200_000 : 1_000_000;
  const biasSeries = head(syntheticSeries(biasBars, 17), biasBars);
  const biasStrategy = () => createStrategy('ema_crossover', { fastPeriod: 12, slowPeriod: 26 });
  const biasMs: number[] = [];
  const backtestMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    backtestMs.push(timeIt(() => runBacktest(biasSeries, biasStrategy(), CONFIG_1M)).ms);
    const { ms, result } = timeIt(() => checkBias(biasSeries, biasStrategy, CONFIG_1M));
    biasMs.push(ms);
    if (r === 0)
      checks.push({
        name: 'bias check: ema_crossover passes both checks',
        ok: result.lookahead.passed && result.recursive.passed,
        detail: JSON.stringify({ lookahead: result.lookahead, recursive: result.recursive }),
      });
  }
  const biasSummary = roundSummary(summarize(biasMs), 2);
  const backtestSummary = roundSummary(summarize(backtestMs), 2);
  const bias = {
    bars: biasBars,
    strategy: 'ema_crossover',
    ms: biasSummary,
    backtestMs: backtestSummary,
    ratio: Number((biasSummary.median / backtestSummary.median).toFixed(3)),
  };
  log(
    `  bias check of ${biasBars.toLocaleString('en')} bars: ${biasSummary.median.toFixed(0)} ms = ${bias.ratio}× one backtest (${backtestSummary.median.toFixed(0)} ms; target ≤ ${BIAS_RATIO_TARGET}×)`,
  );

  return { result: { shuffle, blocks, bias }, checks };
}
