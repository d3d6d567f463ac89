/**
 * The `deployment.plots` job (worker only: it loads the sandbox): a script deployment's declared plots over the bars
 * its chart shows (deployments/chart-window.ts deploymentChartSeries), computed by the script's plotValues in a new
 * isolate with the deployment's params and pinned version, the same call as a script backtest's plots (run.ts). The
 * result (deployments/script-plots.ts ScriptPlotsResult) replaces the deployment's older ones.
 */
import { and, eq } from 'drizzle-orm';
import type { Db } from '@/db/client';
import { deployments } from '@/db/schema';
import { isScriptType } from '@/server/core/scripts/script-type';
import { scriptDefinition } from '@/server/core/scripts/description';
import { parseParams } from '@/server/core/strategies/params';
import { deploymentChartSeries, warmupOnlyInstance } from '@/server/services/deployments/chart-window';
import type { DeploymentRow } from '@/server/services/deployments/model';
import { encodeColumn, pruneScriptPlots, type ScriptPlotsResult } from '@/server/services/deployments/script-plots';
import type { DEPLOYMENT_PLOTS_JOB_TYPE, JobContext, JobHandler, JobPayload } from '@/server/services/jobs/contract';
import { ScriptRuntimeError } from './errors';
import { checkedMeta } from './run';
import { withScript } from './sandbox';
import { runnableScript, type RunnableScript } from './scripts';

type Payload = JobPayload<typeof DEPLOYMENT_PLOTS_JOB_TYPE>;

async function run({ job, payload, db }: JobContext<Payload>): Promise<Record<string, unknown>> {
  const userId = job.userId;
  if (!userId) throw new Error('a deployment.plots job needs its user');
  const [row] = await db
    .select()
    .from(deployments)
    .where(and(eq(deployments.id, payload.deploymentId), eq(deployments.userId, userId)));
  if (!row) throw new Error(`deployment ${payload.deploymentId} not found`);
  if (!isScriptType(row.strategy.type) || row.lastBarTime === null) throw new Error('the deployment has no script plots to compute');
  const script = await runnableScript(db, userId, row.strategy.type);
  if (row.strategy.scriptHash !== undefined && script.hash !== row.strategy.scriptHash)
    throw new ScriptRuntimeError('error', `script version ${row.strategy.type} is not the one deployed (its hash changed)`);
  const params = parseParams(scriptDefinition(row.strategy.type, script.meta), row.strategy.params);
  const result = await computePlots(db, row, script, params).catch((error: unknown) => {
    // A script that cannot start (its declarations changed, its instance throws): stored as this bar's answer, so the
    // chart does not ask again before the deployment's next bar; the chart shows no plots.
    if (!(error instanceof ScriptRuntimeError)) throw error;
    const failed: ScriptPlotsResult = {
      lastBarTime: row.lastBarTime!,
      firstTime: 0,
      lastTime: 0,
      bars: 0,
      warmup: 0,
      hash: script.hash,
      plots: {},
      error: error.message,
    };
    return failed;
  });
  await pruneScriptPlots(db, userId, row.id, job.id);
  return result as unknown as Record<string, unknown>;
}

async function computePlots(db: Db, row: DeploymentRow, script: RunnableScript, params: Record<string, unknown>): Promise<ScriptPlotsResult> {
  return withScript(script.compiled, async (sandbox, description): Promise<ScriptPlotsResult> => {
    checkedMeta(description, script.meta);
    const { warmup } = await sandbox.liveStart(params);
    const series = await deploymentChartSeries(db, row, warmupOnlyInstance(warmup));
    const base = { lastBarTime: row.lastBarTime!, firstTime: series.time[0] ?? 0, lastTime: series.time[series.length - 1] ?? 0, bars: series.length };
    const shape = { ...base, warmup, hash: script.hash };
    if (series.length === 0) return { ...shape, plots: {} };
    try {
      const values = await sandbox.plotValues(series, params);
      const plots: Record<string, string> = {};
      for (const spec of script.meta.plots) {
        const column = values[spec.name];
        if (column instanceof Float64Array && column.length === series.length) plots[spec.name] = encodeColumn(column);
      }
      return { ...shape, plots };
    } catch (error) {
      if (!(error instanceof ScriptRuntimeError)) throw error;
      return { ...shape, plots: {}, error: error.message };
    }
  });
}

export const deploymentPlotsHandler: JobHandler<Payload> = { run };
