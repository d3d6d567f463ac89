/**
 * Sandboxed scripts (#19): the SMA crossover template run as a user script — its own V8 isolate, the candles copied
 * in once, the whole backtest inside — against the built-in sma_crossover on the same candles, interleaved round by
 * round in the same process. The sandboxed time counts everything the worker does per backtest: creating the
 * isolate, loading the runtime and the script, copying the candles in and the results out, disposing it.
 * Correctness check: the script's trades, equity and metrics must equal the built-in's exactly.
 */
import { isDeepStrictEqual } from 'node:util';
import { runBacktest } from '../server/core/backtest/engine';
import { SCRIPT_TEMPLATES } from '../server/core/scripts/templates';
import { createStrategy } from '../server/core/strategies/registry';
import { compileScript } from '../server/services/scripts/compile';
import { runScriptBacktest } from '../server/services/scripts/run';
import { DEFAULT_LIMITS } from '../server/services/scripts/sandbox';
import { benchConfig, SMA_PARAMS } from './engine';
import type { CheckResult } from './lib/parity';
import { syntheticSeries, SYNTHETIC_TIMEFRAME } from './lib/series';
import { roundSummary, summarize, type Summary } from './lib/stats';
import { timeAsync, timeIt } from './lib/timing';

/** Issue #19: sandboxed ≥ 0.5 × the built-in engine's candles/s. */
export const SCRIPT_RATIO_TARGET = 0.5;

export interface ScriptBenchResult {
  candles: number;
  builtIn: Summary;
  sandboxed: Summary;
  /** sandboxed ÷ built-in within each round, median/min/max */
  ratioPerRound: Summary;
  /** sandboxed ÷ built-in, from the medians */
  ratio: number;
  trades: number;
}

export async function benchScripts(candles: number, runs: number, log: (line: string) => void): Promise<{ result: ScriptBenchResult; checks: CheckResult[] }> {
  const series = syntheticSeries(candles);
  const config = benchConfig(SYNTHETIC_TIMEFRAME);
  const compiled = await compileScript(SCRIPT_TEMPLATES.find((t) => t.type === 'sma_crossover')!.source);
  if (!compiled.ok) throw new Error(`the sma_crossover template does not compile: ${JSON.stringify(compiled.diagnostics)}`);
  const limits = { ...DEFAULT_LIMITS, memoryMb: 1024, loadTimeoutMs: 5_000, backtestTimeoutMs: 600_000 };
  const sandboxed = () => runScriptBacktest('script:bench@1', compiled.js, series, SMA_PARAMS, config, limits);

  // Warm-up of both (JIT on the host; the sandbox's runtime bundle is built once per process).
  const expected = runBacktest(series, createStrategy('sma_crossover', SMA_PARAMS), config);
  const actual = (await sandboxed()).result;
  const problems: string[] = [];
  if (!isDeepStrictEqual(actual.metrics, expected.metrics)) problems.push('metrics differ');
  if (!isDeepStrictEqual(actual.trades, expected.trades)) problems.push(`trades differ (${actual.trades.length} vs ${expected.trades.length})`);
  if (!Buffer.from(actual.equity.buffer).equals(Buffer.from(expected.equity.buffer))) problems.push('equity differs');
  if (expected.trades.length === 0) problems.push('no trade: the check proves little');
  const checks: CheckResult[] = [
    {
      name: `sandboxed sma_crossover script = built-in, ${candles.toLocaleString('en')} candles`,
      ok: problems.length === 0,
      detail: problems.length === 0 ? `${expected.trades.length} trades, equity and metrics identical` : problems.join('; '),
    },
  ];

  const builtInRates: number[] = [];
  const sandboxedRates: number[] = [];
  const ratios: number[] = [];
  for (let r = 0; r < runs; r++) {
    const host = timeIt(() => runBacktest(series, createStrategy('sma_crossover', SMA_PARAMS), config));
    const isolate = await timeAsync(sandboxed);
    const hostRate = candles / (host.ms / 1000);
    const isolateRate = candles / (isolate.ms / 1000);
    builtInRates.push(hostRate);
    sandboxedRates.push(isolateRate);
    ratios.push(isolateRate / hostRate);
    log(
      `  scripts: round ${r + 1}/${runs}: built-in ${Math.round(hostRate).toLocaleString('en')}/s, sandboxed ${Math.round(isolateRate).toLocaleString('en')}/s (${(isolateRate / hostRate).toFixed(2)}×)`,
    );
  }
  const builtIn = roundSummary(summarize(builtInRates));
  const sandboxedSummary = roundSummary(summarize(sandboxedRates));
  return {
    result: {
      candles,
      builtIn,
      sandboxed: sandboxedSummary,
      ratioPerRound: roundSummary(summarize(ratios), 3),
      ratio: Number((sandboxedSummary.median / builtIn.median).toFixed(3)),
      trades: expected.trades.length,
    },
    checks,
  };
}
