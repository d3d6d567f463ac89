/**
 * One deployment, one tick, on the worker: bring the bars up to "now" (the replay/simulated clock, or the wall clock
 * for live data: bars.ts), run the strategy machine over each newly closed bar (server/core/trading), execute the
 * orders it asks for (machine-orders.ts, through the orders service), and persist its state.
 *
 * The frame around the machine (the paper transaction and its fence, the kill switch latches, the live path's
 * per-bar state writes, the circuit breaker, the events) is tick-frame.ts', shared with pair-list ticks.
 */
import type { Db } from '@/db/client';
import { processBarOpen, processClosedBar, StrategyMachine, type MachineOrder, type MachineState } from '@/server/core/trading';
import { lastStoredOpen, loadBars, MAX_BARS_PER_TICK, seriesStartDecisionFloor } from './bars';
import { executeMachineOrder, type TickContext } from './machine-orders';
import { feedTimeAt, type DeploymentDeps } from './model';
import { tickPortfolioDeployment } from './portfolio-tick';
import { breakerTrippedAfterBar, runTick, type TickProgress, type TickResult } from './tick-frame';
import type { DeploymentRuntime } from './runtime';
import { completeReplay } from './tick-transitions';

export type { TickResult };

/**
 * Runs one tick of a deployment. Never throws for a lost lease (returns 'lost'); other errors propagate
 * (the caller logs them and rebuilds the runtime from Postgres).
 */
export async function tickDeployment(db: Db, rt: DeploymentRuntime, deps: DeploymentDeps = {}): Promise<TickResult> {
  if (rt.portfolio) return tickPortfolioDeployment(db, rt, deps); // a pair list: portfolio-tick.ts
  const now = (deps.now ?? Date.now)();
  const row = rt.row;
  const feedTime = feedTimeAt(row, now)!;
  const speed = row.feed.type === 'live' ? 1 : (row.feed.speed ?? 1);
  const wallAt = (feedMs: number) => now + Math.max(0, feedMs - feedTime) / speed;

  await loadBars(db, rt, feedTime, deps);
  const lastBarTime = row.lastBarTime ?? (row.feed.type === 'replay' ? null : seriesStartDecisionFloor(rt));
  const first = rt.bars.indexAfter(lastBarTime);
  const bars = rt.bars;
  let lastClosed = first - 1;
  for (let i = first; i < bars.length && i - first < MAX_BARS_PER_TICK; i++) {
    if (bars.bar(i).time + rt.barMs <= feedTime) lastClosed = i;
    else break;
  }
  const inProgress = lastClosed + 1 < bars.length && bars.bar(lastClosed + 1).time <= feedTime ? lastClosed + 1 : -1;
  const state = structuredClone(row.runner as unknown as MachineState);
  const machine = new StrategyMachine(state, rt.strategy, {
    capital: Number(row.capitalQuote),
    feeRate: Number(rt.account.feeRate ?? '0.001'),
    slippage: Number(rt.account.slippage ?? '0.0005'),
  });
  const needsOpen = inProgress >= 0 && state.pending !== null;
  const nextDue = () => {
    const next = lastClosed + 1 < bars.length ? bars.bar(lastClosed + 1).time : (lastClosed >= 0 ? bars.bar(lastClosed).time : feedTime) + rt.barMs;
    return Math.min(wallAt(next + rt.barMs), state.pending !== null && lastClosed + 1 < bars.length ? wallAt(next) : Infinity);
  };

  // Replay: completed once the feed has passed the last stored candle and every bar is processed.
  if (lastClosed < first && !needsOpen) {
    if (row.feed.type === 'replay') {
      const lastMs = await lastStoredOpen(db, rt, now);
      if (lastMs !== null && feedTime >= lastMs + rt.barMs && (row.lastBarTime ?? -Infinity) >= lastMs) {
        await completeReplay(db, rt, now);
        return { status: 'ended', barsProcessed: 0, orders: 0, nextDueMs: Infinity };
      }
    }
    return { status: 'ok', barsProcessed: 0, orders: 0, nextDueMs: nextDue() };
  }

  const ctx: TickContext = { db, tx: null, rt, deps, ordersPlaced: 0, machine, paused: null, notifications: [] };
  const progress: TickProgress = { processed: 0, lastBarTime: row.lastBarTime, lastDecision: row.lastDecision };
  const exec = (order: MachineOrder) => executeMachineOrder(ctx, order);
  const work = async () => {
    for (let i = first; i <= lastClosed; i++) {
      const outcome = await processClosedBar(machine, bars.series, i, exec);
      progress.processed++;
      progress.lastBarTime = bars.bar(i).time;
      progress.lastDecision = { barTime: progress.lastBarTime, decision: outcome.decision ?? 'hold', at: new Date(now).toISOString() };
      if (await breakerTrippedAfterBar(ctx, state, progress, now)) break;
    }
    if (!ctx.paused && inProgress >= 0 && state.pending !== null && row.feed.type !== 'live') await processBarOpen(machine, bars.bar(inProgress), exec);
    if (row.feed.type === 'live' && !ctx.paused && state.pending !== null && lastClosed >= 0) {
      // Live data: the next candle opened when this one closed; the decision fills now, near its close.
      const last = bars.bar(lastClosed);
      await processBarOpen(machine, { time: last.time + rt.barMs, open: last.close, high: last.close, low: last.close, close: last.close }, exec);
    }
  };
  return runTick(db, ctx, deps, now, state, progress, work, nextDue);
}
