/**
 * A deployment's equity curve over feed time (docs/trading.md, "Equity curve"), computed on the server from its
 * fills and the stored candles of its market, in one request: cash + position × close at bar closes, with cash
 * and position replayed from the deployment's fills as its runner books them.
 */
import { and, asc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '@/db/client';
import { fills, orders } from '@/db/schema';
import { Decimal, formatDecimal } from '@/server/core/money';
import { timeframeToMs } from '@/server/core/timeframe';
import { getDeployment } from './deployments';
import type { DeploymentDeps } from './model';
import { msToIso } from '@/server/core/time';
import type { DeploymentEquityCurve, DeploymentEquityPoint } from './views';

/** At most this many bar-close points; longer spans are bucketed (each bucket: its last bar close). */
export const MAX_DEPLOYMENT_CURVE_POINTS = 1500;
const BUCKET_CANDIDATES_MS = [60_000, 300_000, 900_000, 3_600_000, 14_400_000, 86_400_000, 604_800_000];

const out = (value: Decimal) => formatDecimal(value.toDecimalPlaces(18));

/** The bucket for a span: the timeframe if the span fits in the points, else the smallest candidate that does. */
export function curveBucketMs(timeframeMs: number, spanMs: number): number {
  if (spanMs / timeframeMs <= MAX_DEPLOYMENT_CURVE_POINTS) return timeframeMs;
  const fits = BUCKET_CANDIDATES_MS.find((b) => b > timeframeMs && b % timeframeMs === 0 && spanMs / b <= MAX_DEPLOYMENT_CURVE_POINTS);
  return fits ?? Math.ceil(spanMs / MAX_DEPLOYMENT_CURVE_POINTS / timeframeMs) * timeframeMs;
}

/**
 * The curve of one of the user's deployments (another user's: not found).
 *
 * - Start: the capital, at the feed's start (a live feed's first bar is the one before the deployment began).
 * - Bar closes from the start to the deployment's last processed bar, for the stored candles of its market:
 *   equity = cash + position × close, where cash and position are the capital and every fill up to that bar's
 *   open time (a decision fills at the next bar's open and is marked at that bar's close). A fee in the base
 *   asset (Binance's on a buy) reduces the position; any other fee reduces cash. Bucketed beyond
 *   MAX_DEPLOYMENT_CURVE_POINTS bars: each bucket is its last bar close.
 * - Past the stored candles (the simulated market, a live feed that is not stored): a point after each fill, at
 *   its price.
 * - The last point, at the last processed bar, is the runner's own equity (what the deployment reports).
 */
export async function deploymentEquityCurve(db: DbOrTx, userId: string, id: string, deps: DeploymentDeps = {}): Promise<DeploymentEquityCurve> {
  const deployment = await getDeployment(db, userId, id, deps);
  const { exchange, symbol, timeframe } = deployment.strategy;
  // A pair list: cash + Σ position × latest close over its pairs (docs/trading.md, "Pair lists").
  // A refreshed list (pairlist: top_volume) may have left pairs that still held: the machine's pairs, all of them.
  const symbols = deployment.strategy.symbols ? [...new Set([...deployment.strategy.symbols, ...deployment.positions.map((p) => p.symbol)])] : [symbol];
  const quote = symbol.split('/')[1] ?? '';
  const step = timeframeToMs(timeframe);
  const startMs = Math.floor(Date.parse(deployment.feed.start ?? deployment.createdAt) / step) * step - (deployment.feed.type === 'live' ? step : 0);
  const lastBar = deployment.lastBarTime ? Date.parse(deployment.lastBarTime) : null;
  const bucket = curveBucketMs(step, Math.max((lastBar ?? startMs) - startMs, step));

  const fillRows = await db
    .select({
      symbol: orders.symbol,
      side: orders.side,
      quantity: fills.quantity,
      price: fills.price,
      fee: fills.fee,
      feeCurrency: fills.feeCurrency,
      executedAt: fills.executedAt,
    })
    .from(fills)
    .innerJoin(orders, eq(orders.id, fills.orderId))
    .where(and(eq(orders.deploymentId, deployment.id), eq(orders.userId, userId)))
    .orderBy(asc(fills.executedAt), asc(fills.id));
  // The last bar close of each bucket, from the start to the last processed bar.
  const closes =
    lastBar === null || deployment.feed.type === 'simulated'
      ? []
      : await db.execute<{ symbol: string; time: string; close: number }>(sql`
          select * from (
            select distinct on (symbol, bucket) symbol, time::text as time, close, bucket
              from (select symbol, time, close, (time - ${startMs}::bigint) / ${bucket}::bigint as bucket
                      from candles
                     where exchange = ${exchange} and symbol in (${sql.join(
                       symbols.map((s) => sql`${s}`),
                       sql`, `,
                     )}) and timeframe = ${timeframe} and time >= ${startMs}::bigint and time <= ${lastBar}::bigint) as c
             order by symbol, bucket, time desc) as last_of_bucket
           order by time, symbol`);

  const points = new Map<number, DeploymentEquityPoint>();
  let cash = new Decimal(deployment.capitalQuote);
  const held = new Map<string, Decimal>(symbols.map((s) => [s, new Decimal(0)]));
  const lastClose = new Map<string, Decimal>();
  const marked = () => {
    let equity = cash;
    for (const [s, quantity] of held) if (!quantity.isZero()) equity = equity.plus(quantity.mul(lastClose.get(s) ?? 0));
    return equity;
  };
  points.set(startMs, { time: msToIso(startMs), equity: out(cash), source: 'start' });
  let next = 0;
  const applyFillsUntil = (timeMs: number, onFill?: (price: Decimal, atMs: number, symbol: string) => void) => {
    for (; next < fillRows.length && fillRows[next]!.executedAt.getTime() <= timeMs; next++) {
      const fill = fillRows[next]!;
      const cost = new Decimal(fill.quantity).mul(fill.price);
      const base = fill.symbol.split('/')[0];
      let position = held.get(fill.symbol) ?? new Decimal(0);
      if (fill.side === 'buy') {
        cash = cash.minus(cost);
        position = position.plus(fill.quantity);
      } else {
        cash = cash.plus(cost);
        position = position.minus(fill.quantity);
      }
      if (fill.feeCurrency === base) position = position.minus(fill.fee);
      else if (fill.feeCurrency === quote || fill.feeCurrency === null) cash = cash.minus(fill.fee);
      held.set(fill.symbol, position);
      onFill?.(new Decimal(fill.price), fill.executedAt.getTime(), fill.symbol);
    }
  };
  let markedUntil = -Infinity;
  for (const [k, row] of closes.entries()) {
    const time = Number(row.time);
    lastClose.set(row.symbol, new Decimal(String(row.close)));
    if (closes[k + 1] !== undefined && Number(closes[k + 1]!.time) === time) continue; // the other pairs' closes of this time first
    applyFillsUntil(time);
    points.set(time, { time: msToIso(time), equity: out(marked()), source: 'bar' });
    markedUntil = time;
  }
  applyFillsUntil(Infinity, (price, atMs, fillSymbol) => {
    lastClose.set(fillSymbol, price);
    if (atMs > markedUntil && !points.has(atMs)) points.set(atMs, { time: msToIso(atMs), equity: out(marked()), source: 'fill' });
  });
  if (lastBar !== null) points.set(lastBar, { time: msToIso(lastBar), equity: deployment.equity, source: 'bar' });
  return {
    deploymentId: deployment.id,
    currency: quote,
    stepSeconds: bucket / 1000,
    points: [...points.entries()].sort((a, b) => a[0] - b[0]).map(([, p]) => p),
  };
}
