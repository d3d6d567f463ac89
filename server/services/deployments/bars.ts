/**
 * A deployment's bars: the columnar buffer the strategy reads (from its series start), and how it is brought up to
 * the feed time from the deployment's feed: stored candles (replay), the seeded simulated market (simulated), or
 * the exchange's public candles (live).
 */
import type { DbOrTx } from '@/db/client';
import { allocateSeries, type CandleSeries, type OhlcvRow } from '@/server/core/candles';
import type { MachineBar } from '@/server/core/trading';
import type { StrategyInstance } from '@/server/core/strategies/types';
import { candleRange, readCandleSeries } from '@/server/services/market-data/candles';
import { marketDataExchange } from '@/server/services/market-data/exchange';
import type { DeploymentDeps } from './model';
import type { DeploymentRuntime } from './runtime';

/** Bars processed per tick at most (a replay catching up at full speed does it over several ticks). */
export const MAX_BARS_PER_TICK = 2000;

/** A growable columnar series of the deployment's bars (from its series start), shared with the strategy. */
export class BarBuffer {
  private columns: CandleSeries = allocateSeries(256);
  length = 0;

  get series(): CandleSeries {
    const c = this.columns;
    return { length: this.length, time: c.time, open: c.open, high: c.high, low: c.low, close: c.close, volume: c.volume };
  }

  get lastTime(): number | null {
    return this.length === 0 ? null : this.columns.time[this.length - 1]!;
  }

  push(row: ArrayLike<number>): void {
    if (this.length === this.columns.time.length) {
      const bigger = allocateSeries(this.columns.time.length * 2);
      for (const key of ['time', 'open', 'high', 'low', 'close', 'volume'] as const) bigger[key].set(this.columns[key]);
      this.columns = bigger;
    }
    const i = this.length++;
    this.columns.time[i] = row[0]!;
    this.columns.open[i] = row[1]!;
    this.columns.high[i] = row[2]!;
    this.columns.low[i] = row[3]!;
    this.columns.close[i] = row[4]!;
    this.columns.volume[i] = row[5]!;
  }

  pushSeries(series: CandleSeries): void {
    const last = this.lastTime;
    for (let i = 0; i < series.length; i++) {
      if (last !== null && series.time[i]! <= last) continue;
      this.push([series.time[i]!, series.open[i]!, series.high[i]!, series.low[i]!, series.close[i]!, series.volume[i]!]);
    }
  }

  indexAfter(time: number | null): number {
    if (time === null) return 0;
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.columns.time[mid]! <= time) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  bar(i: number): MachineBar {
    const c = this.columns;
    return { time: c.time[i]!, open: c.open[i]!, high: c.high[i]!, low: c.low[i]!, close: c.close[i]! };
  }
}

/** Bars of history the strategy warms up on before a live or simulated deployment's first decision. */
export function warmupBars(strategy: StrategyInstance): number {
  return Math.max(strategy.warmup + 2, 50);
}

/** Live/simulated deployments start deciding on the first candle that closes after they were created. */
export function seriesStartDecisionFloor(rt: DeploymentRuntime): number {
  if (rt.row.feed.type === 'simulated') return rt.row.feed.startMs! - rt.barMs;
  return Math.floor(rt.row.createdAt.getTime() / rt.barMs) * rt.barMs - rt.barMs;
}

/** First bar of the series the strategy sees (replay: the feed start, so indicators warm up inside the window, as in the backtest). */
function seriesStart(rt: DeploymentRuntime): number {
  const feed = rt.row.feed;
  if (feed.type === 'replay') return feed.startMs!;
  return (rt.row.lastBarTime ?? seriesStartDecisionFloor(rt)) - warmupBars(rt.strategy) * rt.barMs;
}

/** Brings the bar buffer up to the feed time: every stored/generated candle with open time < feedTime. */
export async function loadBars(db: DbOrTx, rt: DeploymentRuntime, feedTime: number, deps: DeploymentDeps): Promise<void> {
  const key = { exchange: rt.row.strategy.exchange, symbol: rt.row.strategy.symbol, timeframe: rt.row.strategy.timeframe };
  const from = rt.bars.lastTime === null ? seriesStart(rt) : rt.bars.lastTime + 1;
  if (from > feedTime) return;
  if (rt.row.feed.type === 'replay') {
    // Bounded reads: a fast replay catching up does it over several ticks.
    const to = Math.min(feedTime + 1, from + (MAX_BARS_PER_TICK + 2) * rt.barMs);
    rt.bars.pushSeries(await (deps.readCandles ?? readCandleSeries)(db, key, from, to));
  } else if (rt.row.feed.type === 'simulated') {
    const to = Math.min(Math.floor(feedTime / rt.barMs) * rt.barMs + rt.barMs, from + (MAX_BARS_PER_TICK + 2) * rt.barMs);
    for (const row of rt.simulated!.candles(Math.ceil(from / rt.barMs) * rt.barMs, to)) rt.bars.push(row);
  } else {
    const exchange = deps.marketData ? deps.marketData(key.exchange) : marketDataExchange(key.exchange);
    const rows: OhlcvRow[] = await exchange.fetchOHLCV(key.symbol, key.timeframe, from, 1000);
    for (const row of rows) if (row[0] + rt.barMs <= feedTime) rt.bars.push(row);
  }
}

/** Open time of the replay's last stored candle (read at most every 5 s). */
export async function lastStoredOpen(db: DbOrTx, rt: DeploymentRuntime, now: number): Promise<number | null> {
  if (rt.lastStored && now - rt.lastStored.readAtMs < 5_000) return rt.lastStored.lastMs;
  const lastMs =
    (await candleRange(db, { exchange: rt.row.strategy.exchange, symbol: rt.row.strategy.symbol, timeframe: rt.row.strategy.timeframe }))?.lastMs ?? null;
  rt.lastStored = { readAtMs: now, lastMs };
  return lastMs;
}
