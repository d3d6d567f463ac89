/**
 * Engine throughput: candles/s of runBacktest through the real strategy API (sma_crossover, mean_reversion),
 * beside two ceilings measured in the same process and the same rounds: a bare loop touching every close (the
 * memory floor) and the hand-written sma_crossover kernel (what a single specialised loop achieves). The
 * measured runs are interleaved — bare, kernel, engine sma, engine mean reversion, then again — so background
 * load on a shared machine hits every contender alike, and the strategy call site in the engine sees both
 * strategy classes, as it does in a worker that runs many kinds of backtests.
 */
import { runBacktest } from '../server/core/backtest/engine';
import type { BacktestConfig } from '../server/core/backtest/types';
import type { CandleSeries } from '../server/core/candles';
import { createStrategy } from '../server/core/strategies/registry';
import { fixtureSeries } from '../server/testing/fixtures';
import { runSmaCrossoverKernel } from './kernels/sma-crossover-kernel';
import { compareKernelToEngine, type CheckResult } from './lib/parity';
import { loadRealSeries, realDataPath, syntheticSeries, SYNTHETIC_TIMEFRAME } from './lib/series';
import { roundSummary, summarize, type Summary } from './lib/stats';
import { timeIt } from './lib/timing';

export const SMA_PARAMS = { fastPeriod: 10, slowPeriod: 30 } as const;
export const MEAN_REVERSION_PARAMS = { lookbackPeriod: 20, entryThreshold: 2, exitThreshold: 0 } as const;
export const ENGINE_RATIO_TARGET = 0.25;

export function benchConfig(timeframe: string): BacktestConfig {
  return { initialCapital: 10_000, feeRate: 0.001, slippage: 0.0005, timeframe };
}

export interface EngineSizeResult {
  candles: number;
  /** candles/s, median/min/max over the measured runs */
  bareLoop: Summary;
  kernel: Summary;
  engineSmaCrossover: Summary;
  engineMeanReversion: Summary;
  /** engine (sma_crossover) ÷ kernel, from the medians */
  engineToKernel: number;
  /** engine ÷ kernel within each round (the two ran back to back), median/min/max over the rounds */
  engineToKernelPerRound: Summary;
  /** trades of each run, for context */
  trades: { smaCrossover: number; meanReversion: number };
}

/** Sums every close: the least any backtest over the series must do. */
export function bareLoop(series: CandleSeries): number {
  const { close } = series;
  let sum = 0;
  for (let i = 0; i < close.length; i++) sum += close[i]!;
  return sum;
}

/** Kernel vs engine on the same candles; the result of the check. */
export function checkParity(
  name: string,
  series: CandleSeries,
  timeframe: string,
  params: { fastPeriod: number; slowPeriod: number; positionSizePct?: number },
): CheckResult {
  const config = benchConfig(timeframe);
  const engine = runBacktest(series, createStrategy('sma_crossover', params), config);
  const kernel = runSmaCrossoverKernel(series, params, config);
  return compareKernelToEngine(name, engine, kernel);
}

/**
 * Parity on real candles: Binance BTC/USDT 5m from ../shared/data when it is there (beside the repository,
 * on our own machines only), else the repository's own fixture, Coinbase BTC/USD 1h (what a fresh clone has).
 */
export function realDataParity(log: (line: string) => void): CheckResult[] {
  const checks: CheckResult[] = [];
  let real = loadRealSeries('BTC_USDT-5m.json');
  let label = 'real BTC/USDT 5m';
  let timeframe = '5m';
  if (!real) {
    log(`  ${realDataPath('BTC_USDT-5m.json')} is not there: real-data parity runs on the repository's Coinbase BTC/USD 1h fixture instead`);
    real = fixtureSeries('btc-usd-1h');
    label = 'real BTC/USD 1h (fixture)';
    timeframe = '1h';
  }
  for (const params of [{ ...SMA_PARAMS }, { fastPeriod: 20, slowPeriod: 100, positionSizePct: 50 }]) {
    checks.push(
      checkParity(
        `kernel = engine, ${label} (${real.length.toLocaleString('en')} candles), fast ${params.fastPeriod} slow ${params.slowPeriod}`,
        real,
        timeframe,
        params,
      ),
    );
  }
  return checks;
}

export function benchEngineSize(candles: number, runs: number, log: (line: string) => void): { result: EngineSizeResult; checks: CheckResult[] } {
  const series = syntheticSeries(candles);
  const config = benchConfig(SYNTHETIC_TIMEFRAME);
  const checks = [checkParity(`kernel = engine, synthetic ${candles.toLocaleString('en')} candles`, series, SYNTHETIC_TIMEFRAME, SMA_PARAMS)];

  let sink = 0;
  let smaTrades = 0;
  let meanReversionTrades = 0;
  const contenders: Array<{ name: keyof Omit<EngineSizeResult, 'candles' | 'engineToKernel' | 'engineToKernelPerRound' | 'trades'>; run: () => void }> = [
    { name: 'bareLoop', run: () => (sink += bareLoop(series)) },
    { name: 'kernel', run: () => (sink += runSmaCrossoverKernel(series, SMA_PARAMS, config).finalEquity) },
    {
      name: 'engineSmaCrossover',
      run: () => {
        const r = runBacktest(series, createStrategy('sma_crossover', SMA_PARAMS), config);
        smaTrades = r.tradeLog.length;
        sink += r.metrics.totalReturnPct;
      },
    },
    {
      name: 'engineMeanReversion',
      run: () => {
        const r = runBacktest(series, createStrategy('mean_reversion', MEAN_REVERSION_PARAMS), config);
        meanReversionTrades = r.tradeLog.length;
        sink += r.metrics.totalReturnPct;
      },
    },
  ];
  // Warm-up: one run each (JIT, page faults of the fresh arrays).
  for (const c of contenders) c.run();
  const samples = new Map(contenders.map((c) => [c.name, [] as number[]]));
  for (let round = 0; round < runs; round++) {
    for (const c of contenders) {
      const { ms } = timeIt(c.run);
      samples.get(c.name)!.push(candles / (ms / 1000));
    }
    log(`  engine ${candles.toLocaleString('en')}: round ${round + 1}/${runs}`);
  }
  if (!Number.isFinite(sink)) log('  (checksum not finite)');
  const rate = (name: string) => roundSummary(summarize(samples.get(name as never)!));
  const result: EngineSizeResult = {
    candles,
    bareLoop: rate('bareLoop'),
    kernel: rate('kernel'),
    engineSmaCrossover: rate('engineSmaCrossover'),
    engineMeanReversion: rate('engineMeanReversion'),
    engineToKernel: 0,
    engineToKernelPerRound: roundSummary(summarize(samples.get('engineSmaCrossover')!.map((engineRate, k) => engineRate / samples.get('kernel')![k]!)), 3),
    trades: { smaCrossover: smaTrades, meanReversion: meanReversionTrades },
  };
  result.engineToKernel = Number((summarize(samples.get('engineSmaCrossover')!).median / summarize(samples.get('kernel')!).median).toFixed(3));
  return { result, checks };
}
