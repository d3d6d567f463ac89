/**
 * A machine's orders in a tick, the single-symbol strategy machine's and the portfolio machine's (portfolio-orders.ts)
 * alike: each buy is sized (the maximum position) and risk-checked by buy-verdict.ts, each order executed through the
 * orders service (executeOrder: a paper order inside the tick's transaction, a live one committed before it is sent)
 * and its fills turned into what the machine books. Refusals raise alerts.
 */
import type { Db, DbOrTx } from '@/db/client';
import { deriveClientOrderId } from '@/server/core/orders';
import type { RiskLimits } from '@/server/core/risk';
import type { MachineFill, MachineOrder, StrategyMachine } from '@/server/core/trading';
import { raiseAlert } from '@/server/services/alerts';
import type { AppEvent } from '@/server/services/events';
import { executeOrder, type ExecutedFill, type PaperPriceSource } from '@/server/services/orders';
import { decideBuy, type BuyRequest } from './buy-verdict';
import type { DeploymentDeps, DeploymentRow } from './model';
import type { DeploymentRuntime } from './runtime';

/** The order is not settled yet (live): the bar is processed again once it is. */
export class WaitForOrder extends Error {
  constructor(
    readonly orderId: string,
    readonly status: string,
  ) {
    super(`waiting for order ${orderId} (${status}) to settle`);
  }
}

/** Stop acting for this deployment in this tick (paused by a circuit breaker, etc.). */
export class StopTick extends Error {}

export interface TickContext {
  db: Db;
  /** A paper tick's transaction (null: live, each order commits on its own). */
  tx: DbOrTx | null;
  rt: DeploymentRuntime;
  deps: DeploymentDeps;
  ordersPlaced: number;
  machine: StrategyMachine;
  paused: { reason: string } | null;
  /** Events of a paper tick's orders, sent with the tick's last statements (delivered at its commit anyway). */
  notifications: AppEvent[];
}

export function riskLimitsOf(row: Pick<DeploymentRow, 'maxPositionQuote' | 'riskLimits'>): RiskLimits {
  const limits: RiskLimits = {};
  if (row.maxPositionQuote !== null) limits.maxPositionQuote = row.maxPositionQuote;
  if (row.riskLimits.maxOrderNotional) limits.maxOrderNotional = row.riskLimits.maxOrderNotional;
  if (row.riskLimits.dailyLossLimitQuote) limits.dailyLossLimitQuote = row.riskLimits.dailyLossLimitQuote;
  if (row.riskLimits.maxDrawdownFraction) limits.maxDrawdownFraction = row.riskLimits.maxDrawdownFraction;
  return limits;
}

export const numberToDecimalString = (value: number) => String(Number(value.toPrecision(15)));

/** A paper price source at one price: a replay or simulated bar's, or a live candle's close. */
export function fixedPrice(price: number, timeMs: number, source: string): PaperPriceSource {
  return {
    async latest() {
      return { price, timeMs, source, fillTimeMs: timeMs };
    },
    async candlesSince() {
      return [];
    },
  };
}

/** What an order's fills mean to the machine (null: none). */
export function machineFill(symbol: string, fills: readonly ExecutedFill[], side: 'buy' | 'sell', time: number): MachineFill | null {
  if (fills.length === 0) return null;
  let quantity = 0;
  let cost = 0;
  let fee = 0;
  let baseFee = 0;
  const [base, quote = 'USDT'] = symbol.split('/');
  for (const r of fills) {
    const q = Number(r.quantity);
    const p = Number(r.price);
    quantity += q;
    cost += q * p;
    const feeCost = Number(r.fee ?? '0');
    if (r.feeCurrency === null || r.feeCurrency === quote) fee += feeCost;
    else if (r.feeCurrency === base) {
      // Charged in the base asset (Binance takes a buyer's commission from what it bought): the position
      // is what arrived, and the fee is valued at the fill price.
      baseFee += feeCost;
      fee += feeCost * p;
    }
  }
  const price = fills.length === 1 ? Number(fills[0]!.price) : cost / quantity;
  return { side, quantity: side === 'buy' ? quantity - baseFee : quantity, price, fee, time };
}

/** What a tick asks for: one order of a machine, on one symbol, with the position it buys into. */
export interface TickOrder {
  symbol: string;
  side: 'buy' | 'sell';
  intent: MachineOrder['intent'];
  decidedOn: number;
  fillBarTime: number;
  referencePrice: number;
  quantity: number;
  clientOrderId: string;
  /** The state a buy is sized and risk-checked against: the symbol's position, the deployment's cash and equity. */
  state: BuyRequest['state'];
  /** Names the buy in a refusal's alert. */
  label: string;
  /** Unique per decision: the alerts' dedupe keys. */
  decisionKey: string;
}

/**
 * Sizes, risk-checks and executes one order of a machine (single symbol or pair list); its fill, or null when refused.
 * A buy goes through the one verdict (buy-verdict.ts); a sale is never blocked.
 */
export async function executeTickOrder(ctx: Omit<TickContext, 'machine'>, order: TickOrder): Promise<MachineFill | null> {
  const { rt } = ctx;
  const row = rt.row;
  const on = ctx.tx ?? ctx.db;
  let quantity = order.quantity;
  const expectedPrice = order.referencePrice;
  if (order.side === 'buy') {
    // Sized to the maximum position, risk-checked, and alerted on exactly as a buy signal is (buy-verdict.ts).
    const verdict = await decideBuy(on, {
      row,
      account: rt.account,
      state: order.state,
      quantity,
      referencePrice: expectedPrice,
      label: order.label,
      decisionKey: order.decisionKey,
    });
    if (verdict.kind === 'pause') {
      ctx.paused = { reason: verdict.reason };
      throw new StopTick(verdict.reason);
    }
    if (verdict.kind === 'refuse') return null;
    quantity = verdict.quantity;
  }
  const input = {
    accountId: rt.account.id,
    symbol: order.symbol,
    side: order.side,
    type: 'market' as const,
    quantity: numberToDecimalString(quantity),
    clientOrderId: order.clientOrderId,
    deploymentId: rt.id,
  };
  const feed = `${row.feed.type} ${row.strategy.exchange} ${row.strategy.timeframe}`;
  // The fence: a live order checks the epoch when its row is written; a paper tick already holds the deployment
  // row FOR UPDATE under its epoch for the whole transaction, which is the same check.
  const executed = ctx.tx
    ? await executeOrder(ctx.db, rt.userId, rt.account, input, {
        tx: ctx.tx,
        prices: fixedPrice(expectedPrice, order.fillBarTime, feed),
        fitQuantity: order.side === 'sell',
        announce: (event) => ctx.notifications.push(event),
        statements: ctx.deps.paperBatch?.orders,
        deps: ctx.deps,
      })
    : await executeOrder(ctx.db, rt.userId, rt.account, { ...input, fenceEpoch: rt.epoch }, { fitQuantity: true, settleAtOnce: true, deps: ctx.deps });
  if (executed === null) return null; // below the market's quantity step
  ctx.ordersPlaced++;
  const placed = executed.order;
  switch (placed.status) {
    case 'filled':
      return machineFill(placed.symbol, executed.fills, order.side, order.fillBarTime);
    case 'rejected':
    case 'canceled':
    case 'expired': {
      const partial = machineFill(placed.symbol, executed.fills, order.side, order.fillBarTime);
      if (partial) return partial;
      await raiseAlert(on, {
        userId: rt.userId,
        deploymentId: rt.id,
        accountId: rt.account.id,
        orderId: placed.id,
        kind: 'order_rejected',
        severity: 'warning',
        message: `${order.side} ${numberToDecimalString(quantity)} ${order.symbol} (${order.intent}) was ${placed.status}: ${placed.statusReason ?? 'no reason given'}`,
        dedupeKey: `order:${placed.id}`,
      });
      return null;
    }
    default:
      throw new WaitForOrder(placed.id, placed.status);
  }
}

/** Sizes, risk-checks and executes one order of the single-symbol machine; its fill, or null when refused. */
export function executeMachineOrder(ctx: TickContext, order: MachineOrder): Promise<MachineFill | null> {
  const { rt } = ctx;
  return executeTickOrder(ctx, {
    ...order,
    symbol: rt.row.strategy.symbol,
    clientOrderId: deriveClientOrderId({ deploymentId: rt.id, barTimeMs: order.decidedOn, intent: order.intent }),
    state: ctx.machine.state,
    label: `${order.intent} decided on ${new Date(order.decidedOn).toISOString()}`,
    decisionKey: `${rt.id}:${order.decidedOn}:${order.intent}`,
  });
}
