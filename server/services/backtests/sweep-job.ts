/**
 * The sweep job's handler, for the worker only: it starts the sweep thread pool (sweep-pool.ts), whose run-time
 * bundling of the thread entry the web app's build should never see, so the routes import sweeps.ts without it.
 */
import { and, eq, inArray, sql } from 'drizzle-orm';
import { backtestSweeps, type SweepRunResult } from '@/db/schema';
import { generateGrid, type ParamRange } from '@/server/core/backtest';
import { BacktestCancelledError } from '@/server/core/backtest/types';
import { getStrategyDefinition } from '@/server/core/strategies';
import type { JobContext, JobHandler, JobPayload, SWEEP_JOB_TYPE } from '@/server/services/jobs/contract';
import { isScriptType } from '@/server/core/scripts/script-type';
import { failureMessage, interruptionReason, scriptOrFail } from './run-job';
import { loadCandlesOrFail, loadPairCandlesOrFail, portfolioConfig } from './run-candles';
import { runPortfolioSweep } from './portfolio-sweep';
import { runSweep } from './sweep-pool';
import { ACTIVE_SWEEP_STATUSES as ACTIVE } from './sweeps';

/**
 * The `backtest.sweep` job: the grid (regenerated from the stored ranges and base params, so the same as at
 * request time) runs over the process's sweep thread pool, sharing one copy of the candles. Progress is reported
 * per chunk; a cancel or a lost lease stops the sweep's threads at their next check (they stay in the pool).
 */
export function createSweepHandler(options: { threads?: number } = {}): JobHandler<JobPayload<typeof SWEEP_JOB_TYPE>> {
  return {
    async abandon(ctx, message) {
      await ctx.db
        .update(backtestSweeps)
        .set({ status: 'failed', error: message, finishedAt: sql`now()` })
        .where(and(eq(backtestSweeps.id, ctx.payload.sweepId), eq(backtestSweeps.userId, ctx.job.userId ?? ''), inArray(backtestSweeps.status, ACTIVE)));
    },
    async run(ctx: JobContext<JobPayload<typeof SWEEP_JOB_TYPE>>): Promise<Record<string, unknown>> {
      const { db, job } = ctx;
      const { sweepId } = ctx.payload;
      const userId = job.userId ?? '';
      const [row] = await db
        .select()
        .from(backtestSweeps)
        .where(and(eq(backtestSweeps.id, sweepId), eq(backtestSweeps.userId, userId)));
      if (!row) throw new Error(`sweep ${sweepId} not found`);
      if (!ACTIVE.includes(row.status)) return { sweepId, skipped: row.status };
      const scope = and(eq(backtestSweeps.id, sweepId), eq(backtestSweeps.userId, userId), inArray(backtestSweeps.status, ACTIVE));
      await db
        .update(backtestSweeps)
        .set({ status: 'running', startedAt: sql`coalesce(${backtestSweeps.startedAt}, now())`, error: null })
        .where(scope);
      const abort = new AbortController();
      const onShutdown = () => abort.abort();
      ctx.signal.addEventListener('abort', onShutdown, { once: true });
      let interruption: unknown = null;
      try {
        await ctx.progress(0.01, 'loading candles');
        const pairList = row.symbols && row.capital ? { symbols: row.symbols, capital: row.capital } : null;
        const series = pairList
          ? await loadPairCandlesOrFail(db, { ...row, symbols: pairList.symbols })
          : [await loadCandlesOrFail(db, row, row.startTime, row.endTime)];
        const script = isScriptType(row.strategyType) ? await scriptOrFail(db, userId, row.strategyType) : null;
        const definition = script ? script.definition : getStrategyDefinition(row.strategyType);
        const { combos } = generateGrid(definition, row.ranges as Record<string, ParamRange>, { baseParams: row.baseParams });
        const config = { initialCapital: row.initialCapital, feeRate: row.feeRate, slippage: row.slippage, timeframe: row.timeframe };
        const onProgress = (done: number, total: number) => {
          ctx.progress(0.02 + 0.93 * (done / total), `${done} of ${total} combinations`).catch((error: unknown) => {
            interruption = error;
            abort.abort();
          });
        };
        const results = pairList
          ? // A pair list: each cell a portfolio backtest (portfolio-sweep.ts).
            await runPortfolioSweep(
              { symbols: pairList.symbols, series, strategyType: row.strategyType, combos, config: portfolioConfig(config, pairList.capital) },
              { signal: abort.signal, onProgress },
            )
          : script
            ? // A script's cells run in its sandbox, here (loaded on first use, as run-job.ts does).
              await (
                await import('@/server/services/scripts/sweep')
              ).runScriptSweep(row.strategyType, script.compiled, script.meta, series[0]!, combos, config, { signal: abort.signal, onProgress })
            : await runSweep(
                { series: series[0]!, strategyType: row.strategyType, combos, config },
                { threads: options.threads, signal: abort.signal, onProgress },
              );
        await ctx.progress(0.97, 'storing results');
        const stored: SweepRunResult[] = results.map((r) => ({
          params: { ...r.params },
          metrics: r.metrics as unknown as Record<string, number | null> | null,
          error: r.error,
        }));
        await db
          .update(backtestSweeps)
          .set({ status: 'completed', progress: 1, results: stored, finishedAt: sql`now()`, scriptHash: script?.hash ?? null })
          .where(scope);
        return { sweepId, combinations: results.length };
      } catch (caught) {
        const error = caught instanceof BacktestCancelledError && interruption ? interruption : caught;
        const reason = interruptionReason(error);
        if (reason === 'canceled') {
          await db
            .update(backtestSweeps)
            .set({ status: 'canceled', error: 'canceled by the user', finishedAt: sql`now()` })
            .where(scope);
        } else if (reason === null && !(error instanceof BacktestCancelledError)) {
          await db
            .update(backtestSweeps)
            .set({ status: 'failed', error: failureMessage(error, job.id), finishedAt: sql`now()` })
            .where(scope);
        }
        throw error;
      } finally {
        ctx.signal.removeEventListener('abort', onShutdown);
      }
    },
  };
}

export const backtestSweepHandler = createSweepHandler();
