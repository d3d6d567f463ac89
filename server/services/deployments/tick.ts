/**
 * One deployment, one tick, on the worker: bring the bars up to "now" (the replay/simulated clock, or the wall clock
 * for live data: bars.ts), run the strategy machine over each newly closed bar (server/core/trading), execute the
 * orders it asks for (machine-orders.ts, through the orders service), and persist its state.
 *
 * Paper deployments do a whole tick in ONE transaction: the fenced lock on the deployment row (with the kill switch
 * latches, read FOR SHARE first), the orders, and the machine's state commit together or not at all, so a worker
 * killed at any point leaves nothing half-done; the next worker repeats the same bars with the same clientOrderIds.
 * Live deployments cannot (the order row must be committed before the exchange is called): each order goes through
 * the orders service's write-then-send path under the fencing check, an answer that does not say the order filled
 * stops the tick until the order settles (the reconciler's job), and the machine's state is written after each bar
 * under the same fence.
 */
import { and, eq } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { queryRows } from '@/db/raw';
import { deployments } from '@/db/schema';
import { evaluateCircuitBreakers } from '@/server/core/risk';
import { StrategyDecisionError } from '@/server/core/strategies/decision-error';
import { processBarOpen, processClosedBar, StrategyMachine, type MachineOrder, type MachineState } from '@/server/core/trading';
import { PAPER_EXCHANGE } from '@/server/services/accounts';
import { raiseAlert } from '@/server/services/alerts';
import { deploymentEvent, notifyEvents, type AppEvent } from '@/server/services/events';
import { crashPoint } from '@/server/services/faults';
import { engagedLatchesSql, haltingLatch, killSwitchError, latchFromRow } from '@/server/services/kill-switch/latch';
import { LeaseLostError } from '@/server/services/orders';
import { lastStoredOpen, loadBars, MAX_BARS_PER_TICK, seriesStartDecisionFloor } from './bars';
import { numberToDecimalString, executeMachineOrder, riskLimitsOf, StopTick, WaitForOrder, type TickContext } from './machine-orders';
import { feedTimeAt, type DeploymentDeps, type DeploymentRow } from './model';
import type { TickFence } from './paper-batch';
import { tickPortfolioDeployment } from './portfolio-tick';
import type { DeploymentRuntime } from './runtime';
import { completeReplay, failForStrategy, pauseForRisk } from './tick-transitions';

export interface TickResult {
  /** 'lost': the lease moved on (drop the runtime); 'ended': the deployment completed/paused/failed. */
  status: 'ok' | 'lost' | 'ended' | 'waiting';
  barsProcessed: number;
  orders: number;
  /** Wall time at which the next candle closes (or opens, for a pending order). */
  nextDueMs: number;
}

/**
 * Writes the machine's state and clears the state reason (fenced: only while this worker's epoch is the
 * deployment's). A prepared statement issued at the call, so a paper tick sends it together with its notifications.
 */
async function persist(
  db: DbOrTx,
  rt: DeploymentRuntime,
  state: MachineState,
  fields: Pick<DeploymentRow, 'lastBarTime' | 'lastDecision'>,
  now: number,
): Promise<boolean> {
  const rows = await queryRows(
    db,
    `update deployments set runner = $1::jsonb, updated_at = $2::timestamptz, last_bar_time = $3::bigint, last_decision = $4::jsonb, state_reason = null
      where id = $5::uuid and lease_epoch = $6::bigint and state = 'running' returning id`,
    [
      JSON.stringify(state),
      new Date(now).toISOString(),
      fields.lastBarTime === null ? null : String(fields.lastBarTime),
      fields.lastDecision === null ? null : JSON.stringify(fields.lastDecision),
      rt.id,
      String(rt.epoch),
    ],
  );
  return rows.length > 0;
}

/** A paper tick's fence, alone: the deployment row FOR UPDATE under this worker's epoch, with the kill switch latches. */
async function fence(tx: DbOrTx, rt: DeploymentRuntime): Promise<TickFence> {
  const [row] = await queryRows<{ id: string; kill_switch: unknown[] | null }>(
    tx,
    `with halt as (${engagedLatchesSql('$3::uuid')})
     select d.id, (select json_agg(latch) from halt) as kill_switch from deployments d where d.id = $1::uuid and d.lease_epoch = $2::bigint and d.state = 'running' for update of d`,
    [rt.id, String(rt.epoch), rt.userId],
  );
  return { held: row !== undefined, killSwitch: row?.kill_switch ?? null };
}

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

  const isPaper = rt.account.exchange === PAPER_EXCHANGE;
  const ctx: TickContext = { db, tx: null, rt, deps, ordersPlaced: 0, machine, paused: null, notifications: [] };
  let processed = 0;
  let lastDecision: DeploymentRow['lastDecision'] = row.lastDecision;
  let newLastBar = row.lastBarTime;

  const body = async (tx: DbOrTx | null): Promise<TickResult> => {
    ctx.tx = tx;
    if (tx) {
      // The fence for the whole transaction: the row stays locked under this worker's epoch until the commit.
      // With it, the kill switch latches (read first, as every order transaction must: kill-switch/latch.ts).
      // In a batch, the batch's first statement is every member's fence (paper-batch.ts fenceAll).
      const held = deps.paperBatch ? await deps.paperBatch.fence() : await fence(tx, rt);
      if (!held.held) throw new LeaseLostError(rt.id);
      const latch = haltingLatch((held.killSwitch ?? []).map(latchFromRow));
      if (latch) {
        // The engage pauses every deployment it halts, and nothing resumes one while it holds: only a defence.
        await pauseForRisk(tx, rt, killSwitchError(latch).message, now);
        ctx.paused = { reason: killSwitchError(latch).message };
        return { status: 'ended', barsProcessed: 0, orders: 0, nextDueMs: 0 };
      }
    }
    const exec = (order: MachineOrder) => executeMachineOrder(ctx, order);
    try {
      for (let i = first; i <= lastClosed; i++) {
        const outcome = await processClosedBar(machine, bars.series, i, exec);
        processed++;
        newLastBar = bars.bar(i).time;
        lastDecision = { barTime: newLastBar, decision: outcome.decision ?? 'hold', at: new Date(now).toISOString() };
        const breaker = evaluateCircuitBreakers(
          { equity: numberToDecimalString(state.equity), equityPeak: numberToDecimalString(state.equityPeak) },
          riskLimitsOf(row),
        );
        if (!breaker.allowed) {
          ctx.paused = { reason: breaker.reason };
          await raiseAlert(tx ?? db, {
            userId: rt.userId,
            deploymentId: rt.id,
            accountId: rt.account.id,
            kind: 'circuit_breaker',
            severity: 'critical',
            message: breaker.reason,
            dedupeKey: `breaker:${rt.id}:${newLastBar}`,
          });
          break;
        }
        if (!tx) {
          if (!(await persist(db, rt, state, { lastBarTime: newLastBar, lastDecision }, now))) throw new LeaseLostError(rt.id);
        }
      }
      if (!ctx.paused && inProgress >= 0 && state.pending !== null && row.feed.type !== 'live') await processBarOpen(machine, bars.bar(inProgress), exec);
      if (row.feed.type === 'live' && !ctx.paused && state.pending !== null && lastClosed >= 0) {
        // Live data: the next candle opened when this one closed; the decision fills now, near its close.
        const last = bars.bar(lastClosed);
        await processBarOpen(machine, { time: last.time + rt.barMs, open: last.close, high: last.close, low: last.close, close: last.close }, exec);
      }
    } catch (error) {
      if (!(error instanceof StopTick)) throw error;
    }
    const fields = { lastBarTime: newLastBar, lastDecision };
    const events: AppEvent[] = [
      ...ctx.notifications,
      deploymentEvent({ userId: rt.userId, deploymentId: rt.id, state: ctx.paused ? 'paused' : 'running', lastBarTime: newLastBar }),
    ];
    if (tx) {
      // Sent together on the transaction's connection (both prepared, so neither waits for a describe round
      // trip); the notifications are delivered at the commit.
      // In a batch, sent with every member's (paper-batch.ts finishAll).
      const persisted = deps.paperBatch
        ? await deps.paperBatch.finish({ state, fields, now, events })
        : (await Promise.all([notifyEvents(tx, events), persist(tx, rt, state, fields, now)]))[1];
      if (!persisted) throw new LeaseLostError(rt.id);
      if (ctx.paused) await pauseForRisk(tx, rt, ctx.paused.reason, now);
    } else {
      if (!(await persist(db, rt, state, fields, now))) throw new LeaseLostError(rt.id);
      if (ctx.paused) await pauseForRisk(db, rt, ctx.paused.reason, now);
      await notifyEvents(db, events);
    }
    return { status: ctx.paused ? 'ended' : 'ok', barsProcessed: processed, orders: ctx.ordersPlaced, nextDueMs: 0 };
  };

  try {
    const result = isPaper ? await (deps.paperTransaction ?? ((fn) => db.transaction(fn)))(body) : await body(null);
    crashPoint('deployment.after_commit');
    rt.row = { ...row, runner: state as unknown as Record<string, unknown>, lastBarTime: newLastBar, lastDecision, stateReason: null };
    if (ctx.paused) rt.row.state = 'paused';
    result.nextDueMs = nextDue();
    return result;
  } catch (error) {
    if (error instanceof LeaseLostError) return { status: 'lost', barsProcessed: 0, orders: 0, nextDueMs: Infinity };
    if (error instanceof StrategyDecisionError) {
      // A script's decision failed (its writes of this tick were rolled back, or, live, stopped at that bar).
      await failForStrategy(db, rt, error.message, now);
      return { status: 'ended', barsProcessed: 0, orders: ctx.ordersPlaced, nextDueMs: Infinity };
    }
    if (error instanceof WaitForOrder) {
      // The bar is processed again once the order settles; the strategy has seen it, which is idempotent.
      await db
        .update(deployments)
        .set({ stateReason: `waiting for order ${error.orderId} (${error.status}) to settle` })
        .where(and(eq(deployments.id, rt.id), eq(deployments.leaseEpoch, rt.epoch)));
      return { status: 'waiting', barsProcessed: 0, orders: ctx.ordersPlaced, nextDueMs: now + 2_000 };
    }
    throw error;
  }
}
