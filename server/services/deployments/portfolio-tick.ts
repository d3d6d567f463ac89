/**
 * One tick of a pair-list deployment (tick.ts dispatches here when the deployment has `strategy.symbols`): bring
 * every pair's bars up to "now", run the portfolio machine (server/core/trading/portfolio-machine.ts, the portfolio
 * engine's step) over each newly closed step, execute its orders through the orders service (portfolio-orders.ts),
 * and persist its state. One deployment, one lease, one state row, positions per pair.
 *
 * The same frame as a single-symbol tick (tick-frame.ts): a paper tick is ONE transaction (the fenced row lock with
 * the kill switch latches first, the orders, the state), so a worker killed anywhere leaves nothing half-done and
 * the next one repeats the same steps with the same clientOrderIds; a live tick commits each order before sending
 * it, stops on an answer that does not say it filled (WaitForOrder), and writes the state after each step under
 * the fence.
 *
 * Steps (P1): the distinct open times of the pairs' closed bars after the last processed step; the pairs with a bar
 * at a step are its active pairs. Replay and simulated feeds fill a decision at the next step's open when that step
 * is processed; live data fills it as soon as the next candle opens (at the last close), as tick.ts does.
 */
import type { Db, DbOrTx } from '@/db/client';
import {
  PortfolioMachine,
  processPortfolioOpen,
  processPortfolioStep,
  type ActiveBar,
  type PortfolioMachineState,
  type PortfolioOrder,
} from '@/server/core/trading';
import type { CandleSeries, OhlcvRow } from '@/server/core/candles';
import { candleRange, readCandleSeries } from '@/server/services/market-data/candles';
import { marketDataExchange } from '@/server/services/market-data/exchange';
import { MAX_BARS_PER_TICK, seriesStartDecisionFloor, warmupBars } from './bars';
import { feedTimeAt, type DeploymentDeps } from './model';
import { executePortfolioOrder, type PortfolioTickContext } from './portfolio-orders';
import { followStoredPairList } from './pair-list-refresh';
import { syncPortfolioRuntime, type DeploymentRuntime, type PortfolioRuntime } from './runtime';
import { breakerTrippedAfterBar, runTick, type TickProgress, type TickResult } from './tick-frame';
import { completeReplay } from './tick-transitions';

/** Brings every pair's bars up to the feed time (open time < feedTime; live: closed candles only). */
async function loadPortfolioBars(db: DbOrTx, rt: DeploymentRuntime, portfolio: PortfolioRuntime, feedTime: number, deps: DeploymentDeps): Promise<void> {
  const { exchange, timeframe } = rt.row.strategy;
  const feed = rt.row.feed;
  const seriesStart = feed.type === 'replay' ? feed.startMs! : (rt.row.lastBarTime ?? seriesStartDecisionFloor(rt)) - warmupBars(rt.strategy) * rt.barMs;
  await Promise.all(
    portfolio.symbols.map(async (symbol, p) => {
      const buffer = portfolio.bars[p]!;
      const from = buffer.lastTime === null ? seriesStart : buffer.lastTime + 1;
      if (from > feedTime) return;
      if (feed.type === 'replay') {
        const to = Math.min(feedTime + 1, from + (MAX_BARS_PER_TICK + 2) * rt.barMs);
        buffer.pushSeries(await (deps.readCandles ?? readCandleSeries)(db, { exchange, symbol, timeframe }, from, to));
      } else if (feed.type === 'simulated') {
        const to = Math.min(Math.floor(feedTime / rt.barMs) * rt.barMs + rt.barMs, from + (MAX_BARS_PER_TICK + 2) * rt.barMs);
        for (const row of portfolio.simulated[p]!.candles(Math.ceil(from / rt.barMs) * rt.barMs, to)) buffer.push(row);
      } else {
        const market = deps.marketData ? deps.marketData(exchange) : marketDataExchange(exchange);
        const rows: OhlcvRow[] = await market.fetchOHLCV(symbol, timeframe, from, 1000);
        for (const row of rows) if (row[0] + rt.barMs <= feedTime) buffer.push(row);
      }
    }),
  );
}

/** The steps after `after` whose bars closed by `feedTime` (at most MAX_BARS_PER_TICK), with their active pairs. */
function closedSteps(portfolio: PortfolioRuntime, series: readonly CandleSeries[], after: number | null, feedTime: number, barMs: number) {
  const cursors = portfolio.bars.map((buffer) => buffer.indexAfter(after));
  const steps: Array<{ time: number; active: ActiveBar[] }> = [];
  while (steps.length < MAX_BARS_PER_TICK) {
    let t = Infinity;
    for (let p = 0; p < series.length; p++) if (cursors[p]! < series[p]!.length && series[p]!.time[cursors[p]!]! < t) t = series[p]!.time[cursors[p]!]!;
    if (t === Infinity || t + barMs > feedTime) break;
    const active: ActiveBar[] = [];
    for (let p = 0; p < series.length; p++) {
      if (cursors[p]! < series[p]!.length && series[p]!.time[cursors[p]!] === t) active.push({ pair: p, series: series[p]!, index: cursors[p]!++ });
    }
    steps.push({ time: t, active });
  }
  return steps;
}

/** Open time of the last stored candle over the pairs (read at most every 5 s): the replay ends after it. */
async function lastStoredStep(db: DbOrTx, rt: DeploymentRuntime, portfolio: PortfolioRuntime, now: number): Promise<number | null> {
  if (rt.lastStored && now - rt.lastStored.readAtMs < 5_000) return rt.lastStored.lastMs;
  const { exchange, timeframe } = rt.row.strategy;
  const ranges = await Promise.all(portfolio.symbols.map((symbol) => candleRange(db, { exchange, symbol, timeframe })));
  const lasts = ranges.flatMap((r) => (r ? [r.lastMs] : []));
  const lastMs = lasts.length > 0 ? Math.max(...lasts) : null;
  rt.lastStored = { readAtMs: now, lastMs };
  return lastMs;
}

const decisionNote = (decisions: Record<string, string>) =>
  Object.entries(decisions)
    .map(([symbol, decision]) => `${symbol} ${decision}`)
    .join(', ');

export async function tickPortfolioDeployment(db: Db, rt: DeploymentRuntime, deps: DeploymentDeps = {}): Promise<TickResult> {
  const portfolio = rt.portfolio!;
  const now = (deps.now ?? Date.now)();
  const row = rt.row;
  const feedTime = feedTimeAt(row, now)!;
  const speed = row.feed.type === 'live' ? 1 : (row.feed.speed ?? 1);
  const wallAt = (feedMs: number) => now + Math.max(0, feedMs - feedTime) / speed;

  const state = structuredClone(row.runner as unknown as PortfolioMachineState);
  // A list the exchange chooses: its pairs as last refreshed (pair-list-refresh.ts); the runtime follows the state.
  await followStoredPairList(db, rt, state, now);
  syncPortfolioRuntime(
    portfolio,
    state.pairs.map((pair) => pair.symbol),
  );
  await loadPortfolioBars(db, rt, portfolio, feedTime, deps);
  const after = row.lastBarTime ?? (row.feed.type === 'replay' ? null : seriesStartDecisionFloor(rt));
  const series = portfolio.bars.map((buffer) => buffer.series);
  const steps = closedSteps(portfolio, series, after, feedTime, rt.barMs);
  const capital = Number(row.capitalQuote);
  const machine = new PortfolioMachine(state, portfolio.strategies, {
    capital,
    feeRate: Number(rt.account.feeRate ?? '0.001'),
    slippage: Number(rt.account.slippage ?? '0.0005'),
    rules: row.strategy.capital!,
  });
  const hasPending = () => state.admitted.length > 0 || state.pairs.some((p) => p.pendingExit !== null);
  const progress: TickProgress = { processed: 0, lastBarTime: row.lastBarTime, lastDecision: row.lastDecision };
  // Wall time at which the next step closes (its bars can only close then), at least 1 s ahead after an idle tick.
  const nextDue = () => wallAt((progress.lastBarTime ?? after ?? (row.feed.startMs ?? feedTime) - rt.barMs) + 2 * rt.barMs);

  if (steps.length === 0) {
    if (row.feed.type === 'replay') {
      const lastMs = await lastStoredStep(db, rt, portfolio, now);
      if (lastMs !== null && feedTime >= lastMs + rt.barMs && (row.lastBarTime ?? -Infinity) >= lastMs) {
        await completeReplay(db, rt, now);
        return { status: 'ended', barsProcessed: 0, orders: 0, nextDueMs: Infinity };
      }
    }
    return { status: 'ok', barsProcessed: 0, orders: 0, nextDueMs: Math.min(Math.max(nextDue(), now + 1_000), now + 60_000) };
  }

  const ctx: PortfolioTickContext = { db, tx: null, rt, deps, ordersPlaced: 0, machine, paused: null, notifications: [] };
  const exec = (order: PortfolioOrder) => executePortfolioOrder(ctx, order);
  const work = async () => {
    for (const step of steps) {
      const outcome = await processPortfolioStep(machine, step.time, step.active, exec);
      progress.processed++;
      progress.lastBarTime = step.time;
      const note = decisionNote(outcome.decisions);
      progress.lastDecision = {
        barTime: step.time,
        decision: Object.values(outcome.decisions).includes('enter') ? 'enter' : Object.values(outcome.decisions).includes('exit') ? 'exit' : 'hold',
        at: new Date(now).toISOString(),
        ...(note ? { note } : {}),
      };
      if (await breakerTrippedAfterBar(ctx, state, progress, now)) break;
    }
    const lastStep = progress.lastBarTime;
    if (row.feed.type === 'live' && !ctx.paused && hasPending() && lastStep !== null) {
      // Live data: the next candles opened when these closed; the decisions fill now, at each pair's last close.
      const opens: ActiveBar[] = [];
      state.pairs.forEach((pair, p) => {
        if (pair.lastClose === null) return;
        const c = pair.lastClose;
        const bar = {
          length: 1,
          time: Float64Array.of(lastStep + rt.barMs),
          open: Float64Array.of(c),
          high: Float64Array.of(c),
          low: Float64Array.of(c),
          close: Float64Array.of(c),
          volume: Float64Array.of(0),
        };
        opens.push({ pair: p, series: bar, index: 0 });
      });
      await processPortfolioOpen(machine, opens, exec);
    }
  };
  const nextDueMs = () => (steps.length >= MAX_BARS_PER_TICK ? now : Math.min(nextDue(), now + 60_000));
  return runTick(db, ctx, deps, now, state, progress, work, nextDueMs);
}
