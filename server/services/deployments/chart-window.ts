import { and, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { deployments, fills, orders } from '@/db/schema';
import { candleTimeOf } from '@/server/core/charts/window';
import { AppError } from '@/server/core/errors';
import { formatDecimal } from '@/server/core/money/decimal';
import { isScriptType } from '@/server/core/scripts/script-type';
import { getStrategyDefinition } from '@/server/core/strategies';
import { parseParams } from '@/server/core/strategies/params';
import { timeframeToMs } from '@/server/core/timeframe';
import { buildChartWindow, type ChartMarker, type ChartWindowView, type WindowRequest } from '@/server/services/market-data/chart-window';
import { BarBuffer, loadBars } from './bars';
import type { DeploymentDeps } from './model';
import { loadRuntime } from './runtime';

/**
 * A window of a deployment's price chart (GET /api/v1/deployments/{id}/chart; the shape of the backtest's, see
 * docs/backtesting.md "Chart windows"): the bars its strategy has processed — brought in from its feed the way the
 * runner does (bars.ts loadBars: stored candles for a replay, the seeded simulated market, the exchange's public
 * candles for live) from where its runner started, up to its last processed bar — the strategy's declared plots
 * computed on those bars with its params (the same declaration and code as a backtest's), and its fills as
 * markers (`tradeNumber`: the fill's number in the deployment, 1-based; no P&L).
 *
 * A deployment's bars are bounded by how long it ran (MAX_CHART_BARS at most, the latest ones); they are read per
 * request, nothing is cached in the web process.
 */
export const MAX_CHART_BARS = 100_000;

export async function getDeploymentChartWindow(
  db: DbOrTx,
  userId: string,
  id: string,
  request: WindowRequest,
  deps: Pick<DeploymentDeps, 'marketData'> = {},
): Promise<ChartWindowView> {
  const [row] = await db
    .select()
    .from(deployments)
    .where(and(eq(deployments.id, id), eq(deployments.userId, userId)));
  if (!row) throw AppError.notFound('deployment');
  const { exchange, symbol, timeframe } = row.strategy;
  const key = { exchange, symbol, timeframe };
  const timeframeMs = timeframeToMs(timeframe);
  const lastBarTime = row.lastBarTime;
  const bars = new BarBuffer();
  if (lastBarTime !== null) {
    // The runner's series from its start (lastBarTime null: where a fresh runner starts, with its warm-up).
    const rt = await loadRuntime(db, { ...row, lastBarTime: null }, row.leaseEpoch);
    rt.bars = bars;
    const feedTime = row.feed.type === 'live' ? lastBarTime + timeframeMs : lastBarTime;
    for (let reads = 0; reads < 200 && (bars.lastTime ?? -Infinity) < lastBarTime; reads++) {
      const before = bars.length;
      await loadBars(db, rt, feedTime, deps);
      if (bars.length === before) break;
    }
  }
  const all = bars.series;
  const end = bars.indexAfter(lastBarTime);
  const start = Math.max(0, end - MAX_CHART_BARS);
  const series = {
    length: end - start,
    time: all.time.subarray(start, end),
    open: all.open.subarray(start, end),
    high: all.high.subarray(start, end),
    low: all.low.subarray(start, end),
    close: all.close.subarray(start, end),
    volume: all.volume.subarray(start, end),
  };
  const definition = isScriptType(row.strategy.type) ? null : getStrategyDefinition(row.strategy.type);
  const plots =
    definition?.plots && definition.plotValues && series.length > 0
      ? { specs: definition.plots, values: definition.plotValues(series, parseParams(definition, row.strategy.params)) }
      : null;
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
  return { ...window, markers: await windowFills(window.bucketMs, window.from, window.to) };
}
