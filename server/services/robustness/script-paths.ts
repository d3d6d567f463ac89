/**
 * Price-path resampling of a script backtest (worker only: loaded on first use by monte-carlo.ts, so the web app,
 * which imports that module to create studies, never loads the native sandbox). Every path is a full run of the
 * script's backtest in one isolate, kept for the whole study or shard, as a sweep keeps one for its cells; the
 * script's reference run over the backtest's own candles is made in the same isolate first.
 */
import type { DbOrTx } from '@/db/client';
import type { BacktestConfig } from '@/server/core/backtest/types';
import type { CandleSeries } from '@/server/core/candles';
import { blockMonteCarloOf, type MonteCarloOptions, type MonteCarloPlan, type PathRun } from '@/server/core/robustness/monte-carlo';
import { parseParams } from '@/server/core/strategies/params';
import { scriptDefinition } from '@/server/core/scripts/description';
import { scriptOrFail } from '@/server/services/backtests/run-job';
import { checkedMeta } from '@/server/services/scripts/run';
import { ScriptSandbox } from '@/server/services/scripts/sandbox';

/** The study's plan over a script version's paths, and the isolate to dispose once the plan has run. */
export async function scriptBlockPlan(
  db: DbOrTx,
  userId: string,
  type: string,
  rawParams: unknown,
  series: CandleSeries,
  config: BacktestConfig,
  blockBars: number,
  options: MonteCarloOptions,
): Promise<{ plan: MonteCarloPlan; dispose: () => void }> {
  const script = await scriptOrFail(db, userId, type);
  const { sandbox, description } = await ScriptSandbox.load(script.compiled);
  try {
    const meta = checkedMeta(description, script.meta);
    const params = parseParams(scriptDefinition(type, meta), rawParams);
    const run = (path: CandleSeries): PathRun => {
      const { metrics, equity } = sandbox.backtestSync(path, params, config);
      return { totalReturnPct: metrics.totalReturnPct, maxDrawdownPct: metrics.maxDrawdownPct, equity };
    };
    const plan = blockMonteCarloOf(series, run, run(series), blockBars, options);
    return { plan, dispose: () => sandbox.dispose() };
  } catch (error) {
    sandbox.dispose();
    throw error;
  }
}
