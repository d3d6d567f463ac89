/**
 * One tick of a pair-list deployment (tick.ts dispatches here when the deployment has `strategy.symbols`): bring
 * every pair's bars up to "now", run the portfolio machine (server/core/trading/portfolio-machine.ts, the portfolio
 * engine's step) over each newly closed step, execute its orders through the orders service (portfolio-orders.ts),
 * and persist its state. One deployment, one lease, one state row, positions per pair.
 *
 * The same guarantees as a single-symbol tick (tick.ts): a paper tick is ONE transaction (the fenced row lock with
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
import { queryRows } from '@/db/raw';
import { evaluateCircuitBreakers } from '@/server/core/risk';
import {
  PortfolioMachine,
  processPortfolioOpen,
  processPortfolioStep,
  type ActiveBar,
  type MachineState,
  type PortfolioMachineState,
  type PortfolioOrder,
} from '@/server/core/trading';
import type { CandleSeries, OhlcvRow } from '@/server/core/candles';
import { PAPER_EXCHANGE } from '@/server/services/accounts';
import { raiseAlert } from '@/server/services/alerts';
import { deploymentEvent, notifyEvents, type AppEvent } from '@/server/services/events';
import { crashPoint } from '@/server/services/faults';
import { engagedLatchesSql, haltingLatch, killSwitchError, latchFromRow } from '@/server/services/kill-switch/latch';
import { candleRange, readCandleSeries } from '@/server/services/market-data/candles';
import { marketDataExchange } from '@/server/services/market-data/exchange';
import { LeaseLostError } from '@/server/services/orders';
import { MAX_BARS_PER_TICK, seriesStartDecisionFloor, warmupBars } from './bars';
import { numberToDecimalString, riskLimitsOf, StopTick, WaitForOrder } from './machine-orders';
import { feedTimeAt, type DeploymentDeps, type DeploymentRow } from './model';
import { executePortfolioOrder, type PortfolioTickContext } from './portfolio-orders';
import type { DeploymentRuntime, PortfolioRuntime } from './runtime';
import { completeReplay, pauseForRisk } from './tick-transitions';
import type { TickResult } from './tick';
import { and, eq } from 'drizzle-orm';
import { deployments } from '@/db/schema';

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

/** The machine's state and the tick's fields, fenced by the lease epoch (tick.ts `persist`, for a portfolio state). */
async function persist(
  db: DbOrTx,
  rt: DeploymentRuntime,
  state: PortfolioMachineState,
  fields: Pick<DeploymentRow, 'lastBarTime' | 'lastDecision'>,
  now: number,
) {
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

/** A paper tick's fence: the deployment row FOR UPDATE under this worker's epoch, the kill switch latches read first. */
async function fence(tx: DbOrTx, rt: DeploymentRuntime) {
  const [row] = await queryRows<{ id: string; kill_switch: unknown[] | null }>(
    tx,
    `with halt as (${engagedLatchesSql('$3::uuid')})
     select d.id, (select json_agg(latch) from halt) as kill_switch from deployments d where d.id = $1::uuid and d.lease_epoch = $2::bigint and d.state = 'running' for update of d`,
    [rt.id, String(rt.epoch), rt.userId],
  );
  return { held: row !== undefined, killSwitch: row?.kill_switch ?? null };
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

  await loadPortfolioBars(db, rt, portfolio, feedTime, deps);
  const after = row.lastBarTime ?? (row.feed.type === 'replay' ? null : seriesStartDecisionFloor(rt));
  const series = portfolio.bars.map((buffer) => buffer.series);
  const steps = closedSteps(portfolio, series, after, feedTime, rt.barMs);
  const state = structuredClone(row.runner as unknown as PortfolioMachineState);
  const capital = Number(row.capitalQuote);
  const machine = new PortfolioMachine(state, portfolio.strategies, {
    capital,
    feeRate: Number(rt.account.feeRate ?? '0.001'),
    slippage: Number(rt.account.slippage ?? '0.0005'),
    rules: row.strategy.capital!,
  });
  const hasPending = () => state.admitted.length > 0 || state.pairs.some((p) => p.pendingExit !== null);
  let lastStep = row.lastBarTime;
  // Wall time at which the next step closes (its bars can only close then), at least 1 s ahead after an idle tick.
  const nextDue = () => wallAt((lastStep ?? after ?? (row.feed.startMs ?? feedTime) - rt.barMs) + 2 * rt.barMs);

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

  const isPaper = rt.account.exchange === PAPER_EXCHANGE;
  const ctx: PortfolioTickContext = { db, tx: null, rt, deps, ordersPlaced: 0, machine, paused: null, notifications: [] };
  let processed = 0;
  let lastDecision: DeploymentRow['lastDecision'] = row.lastDecision;

  const body = async (tx: DbOrTx | null): Promise<TickResult> => {
    ctx.tx = tx;
    if (tx) {
      const held = deps.paperBatch ? await deps.paperBatch.fence() : await fence(tx, rt);
      if (!held.held) throw new LeaseLostError(rt.id);
      const latch = haltingLatch((held.killSwitch ?? []).map(latchFromRow));
      if (latch) {
        await pauseForRisk(tx, rt, killSwitchError(latch).message, now);
        ctx.paused = { reason: killSwitchError(latch).message };
        return { status: 'ended', barsProcessed: 0, orders: 0, nextDueMs: 0 };
      }
    }
    const exec = (order: PortfolioOrder) => executePortfolioOrder(ctx, order);
    try {
      for (const step of steps) {
        const outcome = await processPortfolioStep(machine, step.time, step.active, exec);
        processed++;
        lastStep = step.time;
        const note = decisionNote(outcome.decisions);
        lastDecision = {
          barTime: step.time,
          decision: Object.values(outcome.decisions).includes('enter') ? 'enter' : Object.values(outcome.decisions).includes('exit') ? 'exit' : 'hold',
          at: new Date(now).toISOString(),
          ...(note ? { note } : {}),
        };
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
            dedupeKey: `breaker:${rt.id}:${step.time}`,
          });
          break;
        }
        if (!tx && !(await persist(db, rt, state, { lastBarTime: lastStep, lastDecision }, now))) throw new LeaseLostError(rt.id);
      }
      if (row.feed.type === 'live' && !ctx.paused && hasPending() && lastStep !== null) {
        // Live data: the next candles opened when these closed; the decisions fill now, at each pair's last close.
        const opens: ActiveBar[] = [];
        state.pairs.forEach((pair, p) => {
          if (pair.lastClose === null) return;
          const c = pair.lastClose;
          const bar = {
            length: 1,
            time: Float64Array.of(lastStep! + rt.barMs),
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
    } catch (error) {
      if (!(error instanceof StopTick)) throw error;
    }
    const fields = { lastBarTime: lastStep, lastDecision };
    const events: AppEvent[] = [
      ...ctx.notifications,
      deploymentEvent({ userId: rt.userId, deploymentId: rt.id, state: ctx.paused ? 'paused' : 'running', lastBarTime: lastStep }),
    ];
    if (tx) {
      const persisted = deps.paperBatch
        ? await deps.paperBatch.finish({ state: state as unknown as MachineState, fields, now, events })
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
    rt.row = { ...row, runner: state as unknown as Record<string, unknown>, lastBarTime: lastStep, lastDecision, stateReason: null };
    if (ctx.paused) rt.row.state = 'paused';
    result.nextDueMs = steps.length >= MAX_BARS_PER_TICK ? now : Math.min(nextDue(), now + 60_000);
    return result;
  } catch (error) {
    if (error instanceof LeaseLostError) return { status: 'lost', barsProcessed: 0, orders: 0, nextDueMs: Infinity };
    if (error instanceof WaitForOrder) {
      await db
        .update(deployments)
        .set({ stateReason: `waiting for order ${error.orderId} (${error.status}) to settle` })
        .where(and(eq(deployments.id, rt.id), eq(deployments.leaseEpoch, rt.epoch)));
      return { status: 'waiting', barsProcessed: 0, orders: ctx.ordersPlaced, nextDueMs: now + 2_000 };
    }
    throw error;
  }
}
