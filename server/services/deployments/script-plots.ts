/**
 * A script deployment's plot values for its chart (#14, #19). Script code runs only in the worker, so the web app
 * cannot compute a script's plots the way it does a built-in's: it asks the worker with a `deployment.plots` job
 * (jobs/contract.ts), whose handler (scripts/deployment-plots.ts) rebuilds the deployment's chart bars exactly as
 * the chart does (chart-window.ts deploymentChartSeries), runs the script's plotValues over them in the sandbox and
 * stores the values in the job's result. The chart reads the latest such result of the deployment; one computed
 * before later bars were processed still serves the bars it covers (a plot value at a bar depends only on the bars up
 * to it, once the script passed the look-ahead check its deployment needs), and a newer one is asked for.
 *
 * The result also carries the script's warm-up for the deployment's params (its instance's, from the sandbox): the
 * bars a live or simulated deployment's series starts with depend on it (bars.ts seriesStart), so the web app rebuilds
 * the same series only once it knows it.
 */
import { and, desc, eq, inArray, ne, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { jobs } from '@/db/schema';
import type { CandleSeries } from '@/server/core/candles';
import { DEPLOYMENT_PLOTS_JOB_TYPE } from '@/server/services/jobs/contract';
import { enqueueJob } from '@/server/services/jobs/queue';

/** What a `deployment.plots` job stores as its result. */
export interface ScriptPlotsResult {
  /** the deployment's last processed bar when they were computed (ms UTC, open time): the bars they cover */
  lastBarTime: number;
  /** open times of the series' first and last bar, and how many bars (the values' length) */
  firstTime: number;
  lastTime: number;
  bars: number;
  /** the script instance's warm-up with the deployment's params, bars */
  warmup: number;
  /** the script version's hash the values come from */
  hash: string;
  /** plot name → the values' Float64Array bytes (little-endian), base64; NaN where a plot has no value */
  plots: Record<string, string>;
  /** the script's plotValues failed: why (no plots then) */
  error?: string;
}

export function encodeColumn(values: Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

export function decodeColumn(text: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const byDeployment = (userId: string, deploymentId: string) =>
  and(eq(jobs.type, DEPLOYMENT_PLOTS_JOB_TYPE), eq(jobs.userId, userId), sql`${jobs.payload}->>'deploymentId' = ${deploymentId}`);

/** The latest computed plots of the user's deployment, or null. */
export async function latestScriptPlots(db: DbOrTx, userId: string, deploymentId: string): Promise<ScriptPlotsResult | null> {
  const [row] = await db
    .select({ result: jobs.result })
    .from(jobs)
    .where(and(byDeployment(userId, deploymentId), eq(jobs.status, 'completed')))
    .orderBy(desc(jobs.finishedAt))
    .limit(1);
  return (row?.result as ScriptPlotsResult | undefined) ?? null;
}

/** Forgets the deployment's older computed plots (the handler, once a newer result is about to be stored). */
export async function pruneScriptPlots(db: DbOrTx, userId: string, deploymentId: string, keepJobId: string): Promise<void> {
  await db.delete(jobs).where(and(byDeployment(userId, deploymentId), ne(jobs.id, keepJobId), inArray(jobs.status, ['completed', 'failed', 'canceled'])));
}

/** Polling interval while a chart request waits for the worker's job (a web request cannot LISTEN on a pooled connection). */
const WAIT_POLL_MS = 100;

/**
 * Plots covering the deployment up to `lastBarTime`: the stored ones when they do; otherwise a job is queued (unless
 * one is already queued or running) and awaited up to `waitMs`. Returns the newest result there is then (possibly
 * older than `lastBarTime`, or null) and whether a newer one is still being computed.
 */
export async function scriptPlotsFor(
  db: DbOrTx,
  userId: string,
  deploymentId: string,
  lastBarTime: number,
  waitMs: number,
): Promise<{ result: ScriptPlotsResult | null; pending: boolean }> {
  const current = (result: ScriptPlotsResult | null) => result !== null && result.lastBarTime >= lastBarTime;
  let result = await latestScriptPlots(db, userId, deploymentId);
  if (current(result)) return { result, pending: false };
  // One job at a time per deployment, also when a burst of chart requests arrives together: the look and the insert
  // are serialised by a transaction-scoped advisory lock on the deployment (held for two statements, no waiting inside).
  const jobId = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`deployment.plots:${deploymentId}`}, 0))`);
    const [active] = await tx
      .select({ id: jobs.id })
      .from(jobs)
      .where(and(byDeployment(userId, deploymentId), inArray(jobs.status, ['queued', 'running'])))
      .limit(1);
    return active?.id ?? (await enqueueJob(tx, { type: DEPLOYMENT_PLOTS_JOB_TYPE, payload: { deploymentId }, userId, maxAttempts: 1 })).id;
  });
  for (const deadline = Date.now() + waitMs; Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
    const [job] = await db.select({ status: jobs.status }).from(jobs).where(eq(jobs.id, jobId));
    if (!job || job.status === 'queued' || job.status === 'running') continue;
    result = await latestScriptPlots(db, userId, deploymentId);
    return { result, pending: !current(result) && job.status !== 'failed' };
  }
  return { result, pending: true };
}

/**
 * The stored values laid on `series` (the chart's current bars): those of the result's bars, found by the open time
 * of its first bar and checked at its last; NaN after them. Null when the result's bars are not these (another series).
 */
export function alignScriptPlots(result: ScriptPlotsResult, series: CandleSeries): Record<string, Float64Array> | null {
  if (result.bars === 0) return null;
  let start = -1;
  for (let i = 0; i < series.length; i++)
    if (series.time[i] === result.firstTime) {
      start = i;
      break;
    }
  if (start < 0 || start + result.bars > series.length || series.time[start + result.bars - 1] !== result.lastTime) return null;
  const out: Record<string, Float64Array> = {};
  for (const [name, text] of Object.entries(result.plots)) {
    const values = decodeColumn(text);
    if (values.length !== result.bars) return null;
    const column = new Float64Array(series.length).fill(Number.NaN);
    column.set(values, start);
    out[name] = column;
  }
  return out;
}
