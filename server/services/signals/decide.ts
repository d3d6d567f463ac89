/**
 * A signal's decision, inside the transaction that locks its deployment (execute.ts): the runner state marked at the
 * reference price, the strategy machine's rules (the same as a deployment's tick: machine-orders.ts, buy-verdict.ts),
 * and, once an order has filled, the fill booked on the runner state and the state written back.
 */

import type { DbOrTx } from '@/db/client';
import { queryRows, rowFromDriver } from '@/db/raw';
import { deployments } from '@/db/schema';
import { createStrategy } from '@/server/core/strategies/registry';
import { StrategyMachine, type MachineState } from '@/server/core/trading';
import { exchangeFor, type AccountRow } from '@/server/services/accounts';

import { decideBuy } from '@/server/services/deployments/buy-verdict';
import { machineFill } from '@/server/services/deployments/machine-orders';
import type { DeploymentRow } from '@/server/services/deployments/model';

import { haltingLatch, engagedLatchesSql, killSwitchError, latchFromRow } from '@/server/services/kill-switch/latch';
import { type ExecutedFill, type OrderDeps } from '@/server/services/orders';
import { UNAUTHORIZED } from './answers';
import { eq } from 'drizzle-orm';
import { type SignalBody } from './body';

export interface Locked {
  row: DeploymentRow;
  killSwitch: unknown[] | null;
}

/**
 * The fence: the deployment row FOR UPDATE (its latest version, whole) with the kill switch latches read FOR SHARE,
 * in the transaction's first statement: one round trip.
 */
export async function lockDeployment(tx: DbOrTx, deploymentId: string, userId: string): Promise<Locked> {
  const [locked] = await queryRows<{ kill_switch: unknown[] | null } & Record<string, unknown>>(
    tx,
    `with halt as (${engagedLatchesSql('$2::uuid')})
     select d.*, (select json_agg(latch) from halt) as kill_switch from deployments d where d.id = $1::uuid for update of d`,
    [deploymentId, userId],
  );
  if (!locked) throw UNAUTHORIZED();
  return { row: rowFromDriver(deployments, locked), killSwitch: locked.kill_switch };
}

export type Decided =
  | { kind: 'refused'; reason: string; details?: Record<string, unknown>; alerted?: boolean; pause?: boolean }
  | { kind: 'order'; side: 'buy' | 'sell'; quantity: number; referencePrice: number };

/** What a live signal's order is, kept on its `pending` row until the order settles (a retry sends the same order). */
export interface PendingOrder {
  side: 'buy' | 'sell';
  quantity: string;
  referencePrice: number;
}

/**
 * The latest price of a live deployment's market, read from its exchange BEFORE the transaction (no transaction
 * waits on the network): the buy's reference price for sizing and the risk rules, and the mark of the equity.
 */
export async function liveReferencePrice(account: AccountRow, symbol: string, deps: OrderDeps): Promise<number | null> {
  const ticker = await exchangeFor(account, deps).exchange.fetchTicker(symbol);
  const price = Number(ticker.last ?? ticker.ask ?? ticker.bid);
  return Number.isFinite(price) && price > 0 ? price : null;
}

/**
 * The deployment's runner state with the equity marked at `price` (a signal deployment has no bars to mark it on),
 * its peak, and the UTC day's starting equity rolled over, as a strategy's tick does on each bar.
 */
export function markedState(row: DeploymentRow, price: number | null, now: number): MachineState {
  const state = structuredClone(row.runner as unknown as MachineState);
  if (price !== null) {
    state.lastClose = price;
    state.equity = state.cash + state.quantity * price;
    if (state.equity > state.equityPeak) state.equityPeak = state.equity;
  }
  const day = Math.floor(now / 86_400_000) * 86_400_000;
  if (state.dayStartMs !== day) {
    state.dayStartMs = day;
    state.dayStartEquity = state.equity;
  }
  return state;
}

function machineOf(row: DeploymentRow, account: AccountRow, state: MachineState): StrategyMachine {
  const strategy = createStrategy(row.strategy.type, row.strategy.params);
  return new StrategyMachine(state, strategy, {
    capital: Number(row.capitalQuote),
    feeRate: Number(account.feeRate ?? '0.001'),
    slippage: Number(account.slippage ?? '0.0005'),
  });
}

/**
 * What the signal asks for, given the deployment NOW (its row locked): refused (not running, the kill switch,
 * nothing to sell, a risk verdict) or an order. A buy is sized by the strategy machine (`positionSizePct` of the
 * cash, fee included) unless it names `size`, then judged by the one buy verdict every deployment's buy gets
 * (deployments/buy-verdict.ts), which raises its alert.
 */
export async function decide(tx: DbOrTx, locked: Locked, account: AccountRow, state: MachineState, signal: SignalBody, price: number | null): Promise<Decided> {
  const { row, killSwitch } = locked;
  if (row.state !== 'running')
    return { kind: 'refused', reason: `the deployment is ${row.state}${row.stateReason ? ` (${row.stateReason})` : ''}: it takes no signals` };
  const latch = haltingLatch((killSwitch ?? []).map(latchFromRow));
  if (latch) return { kind: 'refused', reason: killSwitchError(latch).message, details: { killSwitch: latch } };
  if (price === null) return { kind: 'refused', reason: `no price for ${row.strategy.symbol} to trade at` };
  if (signal.action === 'sell' || signal.action === 'exit') {
    if (!(state.quantity > 0)) return { kind: 'refused', reason: `nothing to ${signal.action}: the deployment holds no ${row.strategy.symbol.split('/')[0]}` };
    const quantity = signal.action === 'sell' && signal.size !== undefined ? Math.min(Number(signal.size), state.quantity) : state.quantity;
    return { kind: 'order', side: 'sell', quantity, referencePrice: price };
  }
  let quantity: number;
  if (signal.size !== undefined) quantity = Number(signal.size);
  else {
    // The strategy machine's own sizing of an entry filling at this price.
    const machine = machineOf(row, account, state);
    state.pending = { side: 'buy', barTime: signal.time ?? 0, intent: 'enter' };
    quantity = machine.pendingOrder({ time: 0, open: price, high: price, low: price, close: price })?.quantity ?? 0;
    state.pending = null;
  }
  const verdict = await decideBuy(tx, {
    row,
    account,
    state,
    quantity,
    referencePrice: price,
    label: `signal ${signal.id} (buy)`,
    decisionKey: `${row.id}:signal:${signal.id}`,
  });
  if (verdict.kind === 'buy') return { kind: 'order', side: 'buy', quantity: verdict.quantity, referencePrice: price };
  return { kind: 'refused', reason: verdict.reason, details: { rule: verdict.rule }, alerted: true, pause: verdict.kind === 'pause' };
}

/** Books an order's fills on the runner state (the strategy machine's applyFill), marked at `mark`; false: no fill. */
export function bookFill(
  row: DeploymentRow,
  account: AccountRow,
  state: MachineState,
  symbol: string,
  fills: readonly ExecutedFill[],
  side: 'buy' | 'sell',
  now: number,
): boolean {
  const fill = machineFill(symbol, fills, side, now);
  if (!fill) return false;
  machineOf(row, account, state).applyFill(fill, 'signal');
  const mark = state.lastClose ?? fill.price;
  state.equity = state.cash + state.quantity * mark;
  if (state.equity > state.equityPeak) state.equityPeak = state.equity;
  return true;
}

export async function writeState(tx: DbOrTx, deploymentId: string, state: MachineState, signal: SignalBody, now: number): Promise<void> {
  await tx
    .update(deployments)
    .set({
      runner: state as unknown as Record<string, unknown>,
      lastDecision: { barTime: now, decision: signal.action, at: new Date(now).toISOString(), note: `signal ${signal.id}` },
      updatedAt: new Date(now),
    })
    .where(eq(deployments.id, deploymentId));
}
