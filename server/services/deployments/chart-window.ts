import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { deployments, fills, orders } from '@/db/schema';
import { allocateSeries, type CandleSeries } from '@/server/core/candles';
import { candleTimeOf } from '@/server/core/charts/window';
import { AppError } from '@/server/core/errors';
import { formatDecimal } from '@/server/core/money/decimal';
import { scriptDefinition, scriptWarmup } from '@/server/core/scripts/description';
import { isScriptType } from '@/server/core/scripts/script-type';
import { getStrategyDefinition } from '@/server/core/strategies';
import { parseParams } from '@/server/core/strategies/params';
import type { PlotSpec, StrategyInstance } from '@/server/core/strategies/types';
import { timeframeToMs } from '@/server/core/timeframe';
import { buildChartWindow, type ChartMarker, type ChartWindowView, type WindowRequest } from '@/server/services/market-data/chart-window';
import { BarBuffer, loadBars } from './bars';
import { runnableScript } from '@/server/services/scripts/scripts';
import type { DeploymentDeps, DeploymentRow } from './model';
import { disposeRuntime, loadRuntime } from './runtime';
import { alignScriptPlots, scriptPlotsFor } from './script-plots';

/**
 * A window of a deployment's price chart (GET /api/v1/deployments/{id}/chart; the shape of the backtest's, see
 * docs/backtesting.md "Chart windows"): the bars its strategy has processed — brought in from its feed the way the
 * runner does (bars.ts loadBars: stored candles for a replay, the seeded simulated market, the exchange's public
 * candles for live) from where its runner started, up to its last processed bar — the strategy's declared plots
 * computed on those bars with its params (the same declaration and code as a backtest's), and its fills as
 * markers (`tradeNumber`: the fill's number in the deployment, 1-based; no P&L). A script's plots are computed by the
 * worker (script-plots.ts): the request waits for them up to SCRIPT_PLOTS_WAIT_MS, and answers `plotsPending: true`
 * (the plots it has, possibly none) when they are not ready; asking again later gets them.
 *
 * A deployment's bars are bounded by how long it ran (MAX_CHART_BARS at most, the latest ones); they are read per
 * request, nothing is cached in the web process.
 */
export const MAX_CHART_BARS = 100_000;

/** How long a chart request of a script deployment waits for the worker's plots (script-plots.ts) before answering without them. */
export const SCRIPT_PLOTS_WAIT_MS = 4_000;

/**
 * The bars a deployment's strategy processed, from where its runner started up to its last processed bar (the latest
 * MAX_CHART_BARS): the chart's series, also what the worker computes a script's plots over (scripts/deployment-plots.ts).
 * `instance`: the strategy (its warm-up decides where a live or simulated series starts); a script's is passed in,
 * as the web app never loads the sandbox.
 */
export async function deploymentChartSeries(
  db: DbOrTx,
  row: DeploymentRow,
  instance: StrategyInstance | undefined,
  deps: Pick<DeploymentDeps, 'marketData'> = {},
): Promise<CandleSeries> {
  const timeframeMs = timeframeToMs(row.strategy.timeframe);
  const lastBarTime = row.lastBarTime;
  const bars = new BarBuffer();
  if (lastBarTime !== null) {
    // The runner's series from its start (lastBarTime null: where a fresh runner starts, with its warm-up).
    const rt = await loadRuntime(db, { ...row, lastBarTime: null }, row.leaseEpoch, instance);
    try {
      rt.bars = bars;
      const feedTime = row.feed.type === 'live' ? lastBarTime + timeframeMs : lastBarTime;
      for (let reads = 0; reads < 200 && (bars.lastTime ?? -Infinity) < lastBarTime; reads++) {
        const before = bars.length;
        await loadBars(db, rt, feedTime, deps);
        if (bars.length === before) break;
      }
    } finally {
      disposeRuntime(rt);
    }
  }
  const all = bars.series;
  const end = bars.indexAfter(lastBarTime);
  const start = Math.max(0, end - MAX_CHART_BARS);
  return {
    length: end - start,
    time: all.time.subarray(start, end),
    open: all.open.subarray(start, end),
    high: all.high.subarray(start, end),
    low: all.low.subarray(start, end),
    close: all.close.subarray(start, end),
    volume: all.volume.subarray(start, end),
  };
}

/** A strategy instance that only states its warm-up: enough to rebuild a deployment's bars, never asked to decide. */
export function warmupOnlyInstance(warmup: number): StrategyInstance {
  const decides = (): never => {
    throw new Error('this instance only states a warm-up: it never decides');
  };
  return {
    params: {} as StrategyInstance['params'],
    warmup,
    accumulates: false,
    fixedEntryQuote: null,
    reset: () => {},
    onBar: decides,
    shouldOpenPosition: decides,
    shouldClosePosition: decides,
    generateSignals: decides,
  };
}

export async function getDeploymentChartWindow(
  db: DbOrTx,
  userId: string,
  id: string,
  request: WindowRequest,
  deps: Pick<DeploymentDeps, 'marketData'> & { scriptPlotsWaitMs?: number } = {},
): Promise<ChartWindowView> {
  const [row] = await db
    .select()
    .from(deployments)
    .where(and(eq(deployments.id, id), eq(deployments.userId, userId)));
  if (!row) throw AppError.notFound('deployment');
  const { exchange, symbol, timeframe } = row.strategy;
  const key = { exchange, symbol, timeframe };
  const timeframeMs = timeframeToMs(timeframe);
  let series: CandleSeries;
  let plots: { specs: readonly PlotSpec[]; values: Record<string, Float64Array> } | null = null;
  let plotsPending = false;
  if (isScriptType(row.strategy.type)) {
    // The worker computes a script's plots (script-plots.ts); its result also says the warm-up the bars start with.
    const { meta } = await runnableScript(db, userId, row.strategy.type);
    const computed =
      row.lastBarTime === null || meta.plots.length === 0
        ? null
        : await scriptPlotsFor(db, userId, id, row.lastBarTime, deps.scriptPlotsWaitMs ?? SCRIPT_PLOTS_WAIT_MS);
    // Where the bars start depends on the warm-up: the one the script declares (read without running it), else the
    // one the worker's result says (a replay starts at its feed's start; a live series without either is taken from
    // 0, which leaves out some of its first bars; a simulated market's prices themselves depend on it: no bars then).
    const declared = meta.warmup === undefined ? null : scriptWarmup(meta, parseParams(scriptDefinition(row.strategy.type, meta), row.strategy.params));
    const warmup = declared ?? computed?.result?.warmup ?? null;
    if (warmup !== null || row.feed.type !== 'simulated' || meta.plots.length === 0 || row.lastBarTime === null) {
      series = await deploymentChartSeries(db, row, warmupOnlyInstance(warmup ?? 0), deps);
      const values = computed?.result && series.length > 0 ? alignScriptPlots(computed.result, series) : null;
      if (values) plots = { specs: meta.plots, values };
    } else {
      series = allocateSeries(0);
    }
    plotsPending = computed?.pending ?? false;
    if (!plots && meta.plots.length > 0) plots = { specs: meta.plots, values: {} };
  } else {
    series = await deploymentChartSeries(db, row, undefined, deps);
    const definition = getStrategyDefinition(row.strategy.type);
    if (definition.plots && definition.plotValues && series.length > 0)
      plots = { specs: definition.plots, values: definition.plotValues(series, parseParams(definition, row.strategy.params)) };
  }
  const windowFills = async (bucketMs: number, from: number, to: number): Promise<ChartMarker[]> => {
    const rows = await db.execute<{ n: string; side: 'buy' | 'sell'; price: string; quantity: string; time: string }>(sql`
      select * from (
        select row_number() over (order by ${fills.executedAt}, ${fills.id}) as n, ${orders.side} as side, ${fills.price}::text as price,
          ${fills.quantity}::text as quantity, floor(extract(epoch from ${fills.executedAt}) * 1000)::bigint as time
        from ${fills} join ${orders} on ${orders.id} = ${fills.orderId}
        where ${orders.deploymentId} = ${id} and ${orders.userId} = ${userId}
      ) f
      where f.time >= ${from} and f.time < ${to}
      order by f.time, f.n`);
    const markers: ChartMarker[] = [];
    const onCandle = new Map<string, ChartMarker>();
    for (const r of rows) {
      const time = Number(r.time);
      const barTime = Math.floor(time / timeframeMs) * timeframeMs;
      const candle = candleTimeOf(barTime, bucketMs, timeframeMs);
      // Zoomed out: one marker per candle and side (the first fill's), `more` counting the others — as a backtest's.
      const same = bucketMs !== timeframeMs ? onCandle.get(`${candle}|${r.side}`) : undefined;
      if (same) {
        same.more++;
        continue;
      }
      const marker: ChartMarker = {
        time: candle,
        barTime,
        tradeNumber: Number(r.n),
        side: r.side,
        price: formatDecimal(r.price),
        quantity: formatDecimal(r.quantity),
        pnl: null,
        pnlPct: null,
        more: 0,
      };
      onCandle.set(`${candle}|${r.side}`, marker);
      markers.push(marker);
    }
    return markers;
  };
  const window = buildChartWindow(key, series, request, plots, () => []);
  return { ...window, markers: await windowFills(window.bucketMs, window.from, window.to), ...(plotsPending && { plotsPending }) };
}
