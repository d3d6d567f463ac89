/**
 * A walk-forward fold of a script version: its schema, its candidates run as the script's sweep (one isolate per
 * batch: services/scripts/sweep.ts) and its out-of-sample backtests as the script's backtests, in the worker's
 * sandbox, loaded on first use (the web app imports walk-forwards.ts, never the native sandbox).
 */
import type { DbOrTx } from '@/db/client';
import type { BacktestConfig, BacktestResult } from '@/server/core/backtest/types';
import type { CandleSeries } from '@/server/core/candles';
import type { StrategyDefinition } from '@/server/core/strategies/types';
import { scriptOrFail } from '@/server/services/backtests/run-job';
import type { RunCandidates } from './fold-search';

/** What a fold needs of a strategy that is not a built-in: its schema and a backtest of one cell. */
export interface FoldStrategy {
  readonly definition: StrategyDefinition;
  backtest(series: CandleSeries, params: Record<string, unknown>, config: BacktestConfig): Promise<BacktestResult>;
}

export async function scriptFoldStrategy(db: DbOrTx, userId: string, type: string): Promise<{ strategy: FoldStrategy; runCandidates: RunCandidates }> {
  const script = await scriptOrFail(db, userId, type);
  const { runScriptBacktest } = await import('@/server/services/scripts/run');
  const { runScriptSweep } = await import('@/server/services/scripts/sweep');
  return {
    strategy: {
      definition: script.definition,
      backtest: async (series, params, config) => (await runScriptBacktest(type, script.compiled, series, params, config, undefined, script.meta)).result,
    },
    runCandidates: (job, { signal, onProgress }) =>
      runScriptSweep(type, script.compiled, script.meta, job.series, job.combos, job.config, { signal, onProgress }),
  };
}
