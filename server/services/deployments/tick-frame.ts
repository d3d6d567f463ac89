/**
 * What every deployment tick does around its machine, single-symbol (tick.ts) or pair list (portfolio-tick.ts):
 *
 * Paper deployments do a whole tick in ONE transaction: the fenced lock on the deployment row (with the kill switch
 * latches, read FOR SHARE first), the orders, and the machine's state commit together or not at all, so a worker
 * killed at any point leaves nothing half-done; the next worker repeats the same bars with the same clientOrderIds.
 * Live deployments cannot (the order row must be committed before the exchange is called): each order goes through
 * the orders service's write-then-send path under the fencing check, an answer that does not say the order filled
 * stops the tick until the order settles (the reconciler's job), and the machine's state is written after each bar
 * under the same fence. After each bar (a step, for a pair list) the drawdown circuit breaker is evaluated on the
 * marked equity.
 */
import { and, eq } from 'drizzle-orm';
import type { Db, DbOrTx } from '@/db/client';
import { queryRows } from '@/db/raw';
import { deployments } from '@/db/schema';
import { evaluateCircuitBreakers } from '@/server/core/risk';
import { StrategyDecisionError } from '@/server/core/strategies/decision-error';
import type { MachineState, PortfolioMachineState } from '@/server/core/trading';
import { PAPER_EXCHANGE } from '@/server/services/accounts';
import { raiseAlert } from '@/server/services/alerts';
import { deploymentEvent, notifyEvents, type AppEvent } from '@/server/services/events';
import { crashPoint } from '@/server/services/faults';
import { engagedLatchesSql, haltingLatch, killSwitchError, latchFromRow } from '@/server/services/kill-switch/latch';
import { LeaseLostError } from '@/server/services/orders';
import { numberToDecimalString, riskLimitsOf, StopTick, WaitForOrder, type TickContext } from './machine-orders';
import type { DeploymentDeps, DeploymentRow } from './model';
import type { TickFence } from './paper-batch';
import type { DeploymentRuntime } from './runtime';
import { failForStrategy, pauseForRisk } from './tick-transitions';
import { storeScriptLog } from './script-log';

export interface TickResult {
  /** 'lost': the lease moved on (drop the runtime); 'ended': the deployment completed/paused/failed. */
  status: 'ok' | 'lost' | 'ended' | 'waiting';
  barsProcessed: number;
  orders: number;
  /** Wall time at which the next candle closes (or opens, for a pending order). */
  nextDueMs: number;
}

/** A machine's state as the deployment row keeps it (`runner`). */
export type TickState = MachineState | PortfolioMachineState;

/** What a tick has done so far: bars (steps) processed, the last one's time and decision. */
export interface TickProgress {
  processed: number;
  lastBarTime: number | null;
  lastDecision: DeploymentRow['lastDecision'];
}

/**
 * Writes the machine's state and clears the state reason (fenced: only while this worker's epoch is the
 * deployment's). A prepared statement issued at the call, so a paper tick sends it together with its notifications.
 */
async function persist(db: DbOrTx, rt: DeploymentRuntime, state: TickState, fields: Pick<DeploymentRow, 'lastBarTime' | 'lastDecision'>, now: number) {
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
 * After each processed bar (step): true when the drawdown circuit breaker trips (the tick pauses the deployment and
 * stops, with a critical alert); otherwise a live tick writes the state now, under the fence.
 */
export async function breakerTrippedAfterBar(ctx: Omit<TickContext, 'machine'>, state: TickState, progress: TickProgress, now: number): Promise<boolean> {
  const { rt, tx, db } = ctx;
  const breaker = evaluateCircuitBreakers(
    { equity: numberToDecimalString(state.equity), equityPeak: numberToDecimalString(state.equityPeak) },
    riskLimitsOf(rt.row),
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
      dedupeKey: `breaker:${rt.id}:${progress.lastBarTime}`,
    });
    return true;
  }
  if (!tx && !(await persist(db, rt, state, { lastBarTime: progress.lastBarTime, lastDecision: progress.lastDecision }, now))) throw new LeaseLostError(rt.id);
  return false;
}

/**
 * Runs a tick's `work` (the machine over the new bars, its orders through `ctx`) inside the frame: the paper
 * transaction and its fence (or none, live), the kill switch latches, the state write, the pause, the events; then
 * the runtime's row is brought up to date. Never throws for a lost lease (returns 'lost'); an order that has not
 * settled returns 'waiting' (the bar is processed again once it has); other errors propagate (the caller logs them
 * and rebuilds the runtime from Postgres).
 */
export async function runTick(
  db: Db,
  ctx: Omit<TickContext, 'machine'>,
  deps: DeploymentDeps,
  now: number,
  state: TickState,
  progress: TickProgress,
  work: () => Promise<void>,
  nextDueMs: () => number,
): Promise<TickResult> {
  const { rt } = ctx;
  const row = rt.row;
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
    try {
      await work();
    } catch (error) {
      if (!(error instanceof StopTick)) throw error;
    }
    const fields = { lastBarTime: progress.lastBarTime, lastDecision: progress.lastDecision };
    const events: AppEvent[] = [
      ...ctx.notifications,
      deploymentEvent({ userId: rt.userId, deploymentId: rt.id, state: ctx.paused ? 'paused' : 'running', lastBarTime: progress.lastBarTime }),
    ];
    if (tx) {
      // Sent together on the transaction's connection (both prepared, so neither waits for a describe round
      // trip); the notifications are delivered at the commit.
      // In a batch, sent with every member's (paper-batch.ts finishAll).
      const persisted = deps.paperBatch
        ? await deps.paperBatch.finish({ state: state as MachineState, fields, now, events })
        : (await Promise.all([notifyEvents(tx, events), persist(tx, rt, state, fields, now)]))[1];
      if (!persisted) throw new LeaseLostError(rt.id);
      if (ctx.paused) await pauseForRisk(tx, rt, ctx.paused.reason, now);
    } else {
      if (!(await persist(db, rt, state, fields, now))) throw new LeaseLostError(rt.id);
      if (ctx.paused) await pauseForRisk(db, rt, ctx.paused.reason, now);
      await notifyEvents(db, events);
    }
    return { status: ctx.paused ? 'ended' : 'ok', barsProcessed: progress.processed, orders: ctx.ordersPlaced, nextDueMs: 0 };
  };

  try {
    const isPaper = rt.account.exchange === PAPER_EXCHANGE;
    const result = isPaper ? await (deps.paperTransaction ?? ((fn) => db.transaction(fn)))(body) : await body(null);
    crashPoint('deployment.after_commit');
    await storeScriptLog(db, rt);
    rt.row = {
      ...row,
      runner: state as unknown as Record<string, unknown>,
      lastBarTime: progress.lastBarTime,
      lastDecision: progress.lastDecision,
      stateReason: null,
    };
    if (ctx.paused) rt.row.state = 'paused';
    result.nextDueMs = nextDueMs();
    return result;
  } catch (error) {
    if (error instanceof LeaseLostError) return { status: 'lost', barsProcessed: 0, orders: 0, nextDueMs: Infinity };
    if (error instanceof StrategyDecisionError) {
      // A script's decision failed (its writes of this tick were rolled back, or, live, stopped at that bar).
      await storeScriptLog(db, rt);
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
